// ext-foreign-toplevel-list-v1: one handle per mapped window (xdg or X11), so
// taskbars, docks and screen-sharing pickers see it with a stable identifier.
#pragma once

#include <string>

struct wlr_ext_foreign_toplevel_list_v1;
struct wlr_ext_foreign_toplevel_handle_v1;

namespace tranche {

class ToplevelHandle {
 public:
  ToplevelHandle(wlr_ext_foreign_toplevel_list_v1* list, const char* title, const char* app_id);
  ~ToplevelHandle();
  ToplevelHandle(const ToplevelHandle&) = delete;
  ToplevelHandle& operator=(const ToplevelHandle&) = delete;

  void update(const char* title, const char* app_id);
  // Unique for the session, never reused (wlroots makes it): IPC shows it.
  std::string identifier() const;

 private:
  wlr_ext_foreign_toplevel_handle_v1* handle_;
};

}  // namespace tranche
