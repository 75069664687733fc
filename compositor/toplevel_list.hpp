// ext-foreign-toplevel-list-v1 and the capture of single windows
// (ext-image-copy-capture-v1 with foreign-toplevel sources): one handle per
// mapped window (xdg or X11), so taskbars, docks and screen-sharing pickers
// see it with a stable identifier, and grim -T or a portal can record it.
#pragma once

#include <list>
#include <memory>
#include <string>

#include "listener.hpp"

struct wl_display;
struct wl_event_loop;
struct wl_global;
struct wlr_allocator;
struct wlr_renderer;
struct wlr_scene;
struct wlr_surface;
struct wlr_xdg_surface;
struct wlr_ext_foreign_toplevel_list_v1;
struct wlr_ext_foreign_toplevel_handle_v1;
struct wlr_ext_foreign_toplevel_image_capture_source_manager_v1;
struct wlr_ext_image_capture_source_v1;

namespace tranche {

class ToplevelHandle;

class ToplevelList {
 public:
  ToplevelList(wl_display* display, wl_event_loop* loop, wlr_allocator* allocator, wlr_renderer* renderer);
  ~ToplevelList();
  ToplevelList(const ToplevelList&) = delete;
  ToplevelList& operator=(const ToplevelList&) = delete;

  // A handle for a window that was just mapped: `xdg` for an xdg toplevel
  // (its subsurfaces and geometry), else `surface` (an X11 window).
  std::unique_ptr<ToplevelHandle> add(const char* title, const char* app_id, wlr_xdg_surface* xdg,
                                      wlr_surface* surface);
  // While the session is locked, window captures show nothing (transparent
  // frames), as the outputs do.
  void set_hidden(bool hidden);
  bool hidden() const { return hidden_; }
  // After a GPU reset: new captures use the new renderer. Running window
  // captures end (their sources hold the old one); clients may start again.
  void renderer_changed(wlr_allocator* allocator, wlr_renderer* renderer);

  // Both list every window: privileged (not for sandboxed clients).
  wl_global* list_global() const;
  wl_global* capture_source_global() const;
  unsigned captures_started() const { return captures_started_; }

 private:
  friend class ToplevelHandle;
  wl_event_loop* loop_;
  wlr_allocator* allocator_;
  wlr_renderer* renderer_;
  wlr_ext_foreign_toplevel_list_v1* list_;
  wlr_ext_foreign_toplevel_image_capture_source_manager_v1* capture_sources_;
  std::list<ToplevelHandle*> handles_;
  bool hidden_ = false;
  unsigned captures_started_ = 0;
  Listener capture_request_;
};

class ToplevelHandle {
 public:
  ~ToplevelHandle();
  ToplevelHandle(const ToplevelHandle&) = delete;
  ToplevelHandle& operator=(const ToplevelHandle&) = delete;

  void update(const char* title, const char* app_id);
  // Unique for the session, never reused (wlroots makes it): IPC shows it.
  std::string identifier() const;

 private:
  friend class ToplevelList;
  ToplevelHandle(ToplevelList& list, const char* title, const char* app_id, wlr_xdg_surface* xdg,
                 wlr_surface* surface);
  // The window alone in a scene of its own, made at the first capture request.
  wlr_ext_image_capture_source_v1* capture_source();
  void drop_capture();
  void apply_hidden();

  ToplevelList& list_;
  std::list<ToplevelHandle*>::iterator self_;
  wlr_ext_foreign_toplevel_handle_v1* handle_;
  wlr_xdg_surface* xdg_;
  wlr_surface* surface_;
  wlr_scene* capture_scene_ = nullptr;
  wlr_ext_image_capture_source_v1* capture_source_ = nullptr;  // destroyed with the scene
};

}  // namespace tranche
