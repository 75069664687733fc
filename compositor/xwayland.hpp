// X11 clients through Xwayland, started lazily on the first X connection.
// Absent when the Xwayland binary is not installed.
#pragma once

#include <list>
#include <memory>

#include "listener.hpp"
#include "server.hpp"
#include "toplevel_list.hpp"

namespace tranche {

class XwaylandSurface : public SceneObject {
 public:
  XwaylandSurface(Server& server, wlr_xwayland_surface* surface, std::list<XwaylandSurface*>& registry);
  ~XwaylandSurface() override;

  wlr_box geometry() const;
  bool mapped() const { return tree_ != nullptr; }
  std::string identifier() const { return listed_ ? listed_->identifier() : ""; }

  Server& server;
  wlr_xwayland_surface* xsurface;
  const uint64_t id;

 private:
  void handle_map();
  void handle_unmap();

  std::list<XwaylandSurface*>& registry_;
  wlr_scene_tree* tree_ = nullptr;
  std::unique_ptr<ToplevelHandle> listed_;  // mapped, not override-redirect
  Listener associate_, dissociate_, map_, unmap_, request_configure_, destroy_, set_title_, set_class_;
};

class Xwayland {
 public:
  static std::unique_ptr<Xwayland> create(Server& server);
  ~Xwayland();

  void export_display();  // DISPLAY for our children
  std::list<XwaylandSurface*>& surfaces() { return surfaces_; }

 private:
  Xwayland(Server& server, wlr_xwayland* xwayland);
  Server& server_;
  wlr_xwayland* xwayland_;
  std::list<XwaylandSurface*> surfaces_;
  Listener new_surface_;
  friend class XwaylandSurface;
};

}  // namespace tranche
