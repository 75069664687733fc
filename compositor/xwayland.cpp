#include "xwayland.hpp"

#include <filesystem>

#include "output.hpp"
#include "seat.hpp"

namespace tranche {

std::unique_ptr<Xwayland> Xwayland::create(Server& server) {
  std::error_code ec;
  if (!std::filesystem::exists("/usr/bin/Xwayland", ec)) {
    TLOG(WLR_INFO, "Xwayland is not installed: X11 clients are not supported");
    return nullptr;
  }
  wlr_xwayland* xwayland = wlr_xwayland_create(server.display, server.compositor, true);
  if (!xwayland) {
    TLOG(WLR_ERROR, "cannot set up Xwayland");
    return nullptr;
  }
  return std::unique_ptr<Xwayland>(new Xwayland(server, xwayland));
}

Xwayland::Xwayland(Server& server, wlr_xwayland* xwayland) : server_(server), xwayland_(xwayland) {
  wlr_xwayland_set_seat(xwayland, server.seat->wlr);
  new_surface_.connect(&xwayland->events.new_surface, [this](void* data) {
    surfaces_.push_back(new XwaylandSurface(server_, static_cast<wlr_xwayland_surface*>(data), surfaces_));
  });
}

Xwayland::~Xwayland() {
  new_surface_.disconnect();
  while (!surfaces_.empty()) delete surfaces_.front();
  wlr_xwayland_destroy(xwayland_);
}

void Xwayland::export_display() { setenv("DISPLAY", xwayland_->display_name, 1); }

XwaylandSurface::XwaylandSurface(Server& server, wlr_xwayland_surface* surface,
                                 std::list<XwaylandSurface*>& registry)
    : server(server), xsurface(surface), id(server.surface_ids.fresh()), registry_(registry) {
  associate_.connect(&surface->events.associate, [this](void*) {
    this->server.surface_ids.assign(xsurface->surface, id);
    map_.connect(&xsurface->surface->events.map, [this](void*) { handle_map(); });
    unmap_.connect(&xsurface->surface->events.unmap, [this](void*) { handle_unmap(); });
  });
  dissociate_.connect(&surface->events.dissociate, [this](void*) {
    map_.disconnect();
    unmap_.disconnect();
  });
  request_configure_.connect(&surface->events.request_configure, [this](void* data) {
    auto* event = static_cast<wlr_xwayland_surface_configure_event*>(data);
    wlr_xwayland_surface_configure(xsurface, event->x, event->y, event->width, event->height);
    if (tree_) wlr_scene_node_set_position(&tree_->node, event->x, event->y);
  });
  auto relist = [this](void*) {
    if (listed_) listed_->update(xsurface->title, xsurface->class_);
  };
  set_title_.connect(&surface->events.set_title, relist);
  set_class_.connect(&surface->events.set_class, relist);
  destroy_.connect(&surface->events.destroy, [this](void*) { delete this; });
}

XwaylandSurface::~XwaylandSurface() {
  if (tree_) handle_unmap();
  associate_.disconnect();
  dissociate_.disconnect();
  map_.disconnect();
  unmap_.disconnect();
  request_configure_.disconnect();
  destroy_.disconnect();
  set_title_.disconnect();
  set_class_.disconnect();
  registry_.remove(this);
}

wlr_box XwaylandSurface::geometry() const { return {xsurface->x, xsurface->y, xsurface->width, xsurface->height}; }

void XwaylandSurface::handle_map() {
  tree_ = wlr_scene_subsurface_tree_create(server.layers.views, xsurface->surface);
  tree_->node.data = static_cast<SceneObject*>(this);
  int x = xsurface->x, y = xsurface->y;
  if (!xsurface->override_redirect && x == 0 && y == 0) {
    // Unplaced windows are placed like Wayland ones.
    if (Output* output = server.focused_output()) {
      wlr_box a = output->usable_area();
      placement::Point p =
          placement::place({a.x, a.y, a.width, a.height}, xsurface->width, xsurface->height, server.window_frames(this));
      x = p.x;
      y = p.y;
      wlr_xwayland_surface_configure(xsurface, x, y, xsurface->width, xsurface->height);
    }
  }
  wlr_scene_node_set_position(&tree_->node, x, y);
  if (!xsurface->override_redirect) {
    listed_ = server.toplevel_list->add(xsurface->title, xsurface->class_, nullptr, xsurface->surface);
    wlr_xwayland_surface_activate(xsurface, true);
    server.seat->focus_surface(xsurface->surface);
  }
}

void XwaylandSurface::handle_unmap() {
  if (!tree_) return;
  wlr_scene_node_destroy(&tree_->node);
  tree_ = nullptr;
  listed_.reset();
  if (server.seat->wlr->keyboard_state.focused_surface == xsurface->surface) server.seat->focus_surface(nullptr);
}

}  // namespace tranche
