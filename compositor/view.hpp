// A toplevel window (xdg-shell): its place in the scene and the stack, its
// decorations, maximize/fullscreen state, and its foreign-toplevel handle.
#pragma once

#include <memory>
#include <optional>

#include "decoration.hpp"
#include "placement.hpp"
#include "listener.hpp"
#include "server.hpp"
#include "toplevel_list.hpp"

namespace tranche {

class Output;

class View : public SceneObject {
 public:
  View(Server& server, wlr_xdg_toplevel* toplevel);
  ~View() override;
  // The view of an xdg toplevel, or null (not made yet, or already gone).
  static View* from(wlr_xdg_toplevel* toplevel);

  // Window geometry (content, without decorations) in layout coordinates.
  wlr_box geometry() const;
  placement::Rect frame() const;  // geometry with the decorations, in layout coordinates
  void move_to(int x, int y);
  void set_size(int width, int height);
  void set_activated(bool activated);
  void set_fullscreen(bool fullscreen, Output* output = nullptr);
  void set_maximized(bool maximized);
  void close();
  // Re-fits a maximized or fullscreen view after its output changed.
  void fit_to_output();
  void raise();

  Output* output() const;  // the output holding most of the view, or null
  wlr_surface* surface() const { return toplevel->base->surface; }
  bool mapped() const { return mapped_; }
  bool fullscreen() const { return fullscreen_; }
  bool maximized() const { return maximized_; }
  bool activated() const { return activated_; }
  Decoration& decoration() { return decoration_; }
  // ext-foreign-toplevel-list's identifier while mapped, else empty.
  std::string identifier() const { return listed_ ? listed_->identifier() : ""; }

  // xdg-decoration: the mode the client asked for, applied once it can be.
  void set_decoration(wlr_xdg_toplevel_decoration_v1* decoration);
  // xdg-toplevel-icon: the icon the client set (null: none), kept referenced.
  void set_icon(wlr_xdg_toplevel_icon_v1* icon);
  wlr_xdg_toplevel_icon_v1* icon() const { return icon_; }
  // xdg-dialog-v1: whether this is a modal dialog.
  bool modal() const;

  Server& server;
  wlr_xdg_toplevel* toplevel;
  wlr_scene_tree* tree;  // positioned at the geometry's top-left corner
  const uint64_t id;

 private:
  void handle_commit();
  void handle_map();
  void handle_unmap();
  void apply_decoration_mode();
  void update_decoration();
  void place_initially();
  void restore_geometry();

  wlr_scene_tree* content_;
  Decoration decoration_;
  int x_ = 0, y_ = 0;
  bool mapped_ = false;
  bool activated_ = false;
  bool fullscreen_ = false;
  bool maximized_ = false;
  bool recentre_ = false;  // place centred once the client picked its size
  std::optional<wlr_box> restore_;  // geometry before maximize/fullscreen
  wlr_box last_geometry_{};
  wlr_xdg_toplevel_decoration_v1* xdg_decoration_ = nullptr;
  wlr_xdg_toplevel_icon_v1* icon_ = nullptr;
  wlr_foreign_toplevel_handle_v1* foreign_ = nullptr;
  std::unique_ptr<ToplevelHandle> listed_;  // while mapped

  Listener map_, unmap_, commit_, destroy_;
  Listener request_move_, request_resize_, request_maximize_, request_fullscreen_;
  Listener set_title_, set_app_id_;
  Listener decoration_request_mode_, decoration_destroy_;
  Listener foreign_activate_, foreign_close_, foreign_maximize_, foreign_fullscreen_;
};

}  // namespace tranche
