#include "toplevel_list.hpp"

#include "wlr.hpp"

namespace tranche {

ToplevelHandle::ToplevelHandle(wlr_ext_foreign_toplevel_list_v1* list, const char* title, const char* app_id) {
  wlr_ext_foreign_toplevel_handle_v1_state state{.title = title, .app_id = app_id};
  handle_ = list ? wlr_ext_foreign_toplevel_handle_v1_create(list, &state) : nullptr;
}

ToplevelHandle::~ToplevelHandle() {
  if (handle_) wlr_ext_foreign_toplevel_handle_v1_destroy(handle_);
}

void ToplevelHandle::update(const char* title, const char* app_id) {
  if (!handle_) return;
  wlr_ext_foreign_toplevel_handle_v1_state state{.title = title, .app_id = app_id};
  wlr_ext_foreign_toplevel_handle_v1_update_state(handle_, &state);
}

std::string ToplevelHandle::identifier() const {
  return handle_ && handle_->identifier ? handle_->identifier : "";
}

}  // namespace tranche
