#include "toplevel_list.hpp"

#include "wlr.hpp"

namespace tranche {

ToplevelList::ToplevelList(wl_display* display, wl_event_loop* loop, wlr_allocator* allocator,
                           wlr_renderer* renderer)
    : loop_(loop),
      allocator_(allocator),
      renderer_(renderer),
      list_(wlr_ext_foreign_toplevel_list_v1_create(display, 1)),
      capture_sources_(wlr_ext_foreign_toplevel_image_capture_source_manager_v1_create(display, 1)) {
  capture_request_.connect(&capture_sources_->events.new_request, [this](void* data) {
    auto* request = static_cast<wlr_ext_foreign_toplevel_image_capture_source_manager_v1_request*>(data);
    // A handle whose window is gone (or an inert one) gets no source: wlroots
    // then makes the client's source inert, which the protocol allows.
    auto* handle = static_cast<ToplevelHandle*>(request->toplevel_handle->data);
    if (!handle) return;
    if (wlr_ext_image_capture_source_v1* source = handle->capture_source())
      if (wlr_ext_foreign_toplevel_image_capture_source_manager_v1_request_accept(request, source))
        captures_started_++;
  });
}

ToplevelList::~ToplevelList() { capture_request_.disconnect(); }

wl_global* ToplevelList::list_global() const { return list_->global; }
wl_global* ToplevelList::capture_source_global() const { return capture_sources_->global; }

std::unique_ptr<ToplevelHandle> ToplevelList::add(const char* title, const char* app_id, wlr_xdg_surface* xdg,
                                                  wlr_surface* surface) {
  return std::unique_ptr<ToplevelHandle>(new ToplevelHandle(*this, title, app_id, xdg, surface));
}

void ToplevelList::set_hidden(bool hidden) {
  hidden_ = hidden;
  for (ToplevelHandle* handle : handles_) handle->apply_hidden();
}

void ToplevelList::renderer_changed(wlr_allocator* allocator, wlr_renderer* renderer) {
  allocator_ = allocator;
  renderer_ = renderer;
  for (ToplevelHandle* handle : handles_) handle->drop_capture();
}

ToplevelHandle::ToplevelHandle(ToplevelList& list, const char* title, const char* app_id, wlr_xdg_surface* xdg,
                               wlr_surface* surface)
    : list_(list), xdg_(xdg), surface_(xdg ? xdg->surface : surface) {
  wlr_ext_foreign_toplevel_handle_v1_state state{.title = title, .app_id = app_id};
  handle_ = wlr_ext_foreign_toplevel_handle_v1_create(list.list_, &state);
  if (handle_) handle_->data = this;
  self_ = list_.handles_.insert(list_.handles_.end(), this);
}

ToplevelHandle::~ToplevelHandle() {
  list_.handles_.erase(self_);
  drop_capture();
  if (handle_) {
    handle_->data = nullptr;
    wlr_ext_foreign_toplevel_handle_v1_destroy(handle_);
  }
}

// Destroying the scene destroys the capture source; sessions on it stop.
void ToplevelHandle::drop_capture() {
  if (capture_scene_) wlr_scene_node_destroy(&capture_scene_->tree.node);
  capture_scene_ = nullptr;
  capture_source_ = nullptr;
}

void ToplevelHandle::update(const char* title, const char* app_id) {
  if (!handle_) return;
  wlr_ext_foreign_toplevel_handle_v1_state state{.title = title, .app_id = app_id};
  wlr_ext_foreign_toplevel_handle_v1_update_state(handle_, &state);
}

std::string ToplevelHandle::identifier() const {
  return handle_ && handle_->identifier ? handle_->identifier : "";
}

wlr_ext_image_capture_source_v1* ToplevelHandle::capture_source() {
  if (capture_source_) return capture_source_;
  if (!capture_scene_) {
    capture_scene_ = wlr_scene_create();
    if (!capture_scene_) return nullptr;
    // The window's own surfaces (all of their extents), not what covers it
    // on the screen. This scene's stacking is not X11's.
    capture_scene_->restack_xwayland_surfaces = false;
    if (xdg_)
      wlr_scene_xdg_surface_create(&capture_scene_->tree, xdg_);
    else
      wlr_scene_subsurface_tree_create(&capture_scene_->tree, surface_);
    apply_hidden();
  }
  capture_source_ = wlr_ext_image_capture_source_v1_create_with_scene_node(
      &capture_scene_->tree.node, list_.loop_, list_.allocator_, list_.renderer_);
  return capture_source_;
}

void ToplevelHandle::apply_hidden() {
  if (!capture_scene_) return;
  wlr_scene_node* node;
  wl_list_for_each(node, &capture_scene_->tree.children, link) wlr_scene_node_set_enabled(node, !list_.hidden_);
}

}  // namespace tranche
