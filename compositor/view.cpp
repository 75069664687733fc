#include "view.hpp"

#include <algorithm>

#include "output.hpp"
#include "seat.hpp"

namespace tranche {

View::View(Server& server, wlr_xdg_toplevel* toplevel)
    : server(server),
      toplevel(toplevel),
      tree(wlr_scene_tree_create(server.layers.views)),
      id(server.surface_ids.of(toplevel->base->surface)),
      content_(wlr_scene_xdg_surface_create(tree, toplevel->base)),
      decoration_(tree) {
  tree->node.data = static_cast<SceneObject*>(this);
  // Popups find their parent's scene tree here.
  toplevel->base->data = content_;
  wlr_scene_node_set_enabled(&tree->node, false);

  wlr_xdg_surface* base = toplevel->base;
  map_.connect(&base->surface->events.map, [this](void*) { handle_map(); });
  unmap_.connect(&base->surface->events.unmap, [this](void*) { handle_unmap(); });
  commit_.connect(&base->surface->events.commit, [this](void*) { handle_commit(); });
  destroy_.connect(&toplevel->events.destroy, [this](void*) { delete this; });

  // Interactive move/resize only in answer to a real button press on this client.
  request_move_.connect(&toplevel->events.request_move, [this](void* data) {
    auto* event = static_cast<wlr_xdg_toplevel_move_event*>(data);
    if (mapped_ && wlr_seat_validate_pointer_grab_serial(this->server.seat->wlr, surface(), event->serial))
      this->server.seat->begin_move(*this);
  });
  request_resize_.connect(&toplevel->events.request_resize, [this](void* data) {
    auto* event = static_cast<wlr_xdg_toplevel_resize_event*>(data);
    if (mapped_ && wlr_seat_validate_pointer_grab_serial(this->server.seat->wlr, surface(), event->serial))
      this->server.seat->begin_resize(*this, event->edges);
  });
  request_maximize_.connect(&toplevel->events.request_maximize, [this](void*) {
    if (this->toplevel->base->initialized) set_maximized(this->toplevel->requested.maximized);
  });
  request_fullscreen_.connect(&toplevel->events.request_fullscreen, [this](void*) {
    if (!this->toplevel->base->initialized) return;
    Output* target = nullptr;
    if (wlr_output* o = this->toplevel->requested.fullscreen_output) target = this->server.output_of(o);
    set_fullscreen(this->toplevel->requested.fullscreen, target);
  });
  set_title_.connect(&toplevel->events.set_title, [this](void*) {
    if (foreign_ && this->toplevel->title) wlr_foreign_toplevel_handle_v1_set_title(foreign_, this->toplevel->title);
    if (listed_) listed_->update(this->toplevel->title, this->toplevel->app_id);
  });
  set_app_id_.connect(&toplevel->events.set_app_id, [this](void*) {
    if (foreign_ && this->toplevel->app_id)
      wlr_foreign_toplevel_handle_v1_set_app_id(foreign_, this->toplevel->app_id);
    if (listed_) listed_->update(this->toplevel->title, this->toplevel->app_id);
  });
}

View::~View() {
  if (mapped_) handle_unmap();
  // Listeners go before the scene nodes they may touch.
  map_.disconnect();
  unmap_.disconnect();
  commit_.disconnect();
  decoration_request_mode_.disconnect();
  decoration_destroy_.disconnect();
  toplevel->base->data = nullptr;
  wlr_scene_node_destroy(&tree->node);  // with the content and decoration below it
  if (icon_) wlr_xdg_toplevel_icon_v1_unref(icon_);
}

View* View::from(wlr_xdg_toplevel* toplevel) {
  auto* content = toplevel ? static_cast<wlr_scene_tree*>(toplevel->base->data) : nullptr;
  if (!content || !content->node.parent) return nullptr;
  return dynamic_cast<View*>(static_cast<SceneObject*>(content->node.parent->node.data));
}

void View::set_icon(wlr_xdg_toplevel_icon_v1* icon) {
  if (icon) wlr_xdg_toplevel_icon_v1_ref(icon);
  if (icon_) wlr_xdg_toplevel_icon_v1_unref(icon_);
  icon_ = icon;
}

bool View::modal() const {
  wlr_xdg_dialog_v1* dialog = wlr_xdg_dialog_v1_try_from_wlr_xdg_toplevel(toplevel);
  return dialog && dialog->modal;
}

wlr_box View::geometry() const {
  // The effective window geometry (the surface extents without an explicit one).
  wlr_box box = toplevel->base->geometry;
  return {x_, y_, box.width, box.height};
}

void View::move_to(int x, int y) {
  x_ = x;
  y_ = y;
  wlr_scene_node_set_position(&tree->node, x, y);
  server.seat->schedule_pointer_refresh();
}

void View::set_size(int width, int height) {
  wlr_xdg_toplevel_set_size(toplevel, std::max(width, 1), std::max(height, 1));
}

void View::set_activated(bool activated) {
  activated_ = activated;
  if (toplevel->base->initialized) wlr_xdg_toplevel_set_activated(toplevel, activated);
  if (foreign_) wlr_foreign_toplevel_handle_v1_set_activated(foreign_, activated);
  update_decoration();
}

void View::raise() {
  wlr_scene_node_raise_to_top(&tree->node);
  server.seat->schedule_pointer_refresh();
  auto& views = server.views();
  views.remove(this);
  views.push_front(this);
}

Output* View::output() const {
  wlr_box g = geometry();
  wlr_output* o = wlr_output_layout_output_at(server.output_layout, g.x + g.width / 2.0, g.y + g.height / 2.0);
  if (!o) o = wlr_output_layout_output_at(server.output_layout, g.x, g.y);
  return o ? server.output_of(o) : nullptr;
}

void View::close() { wlr_xdg_toplevel_send_close(toplevel); }

void View::set_fullscreen(bool fullscreen, Output* target) {
  if (!toplevel->base->initialized) return;
  if (fullscreen == fullscreen_) {
    wlr_xdg_surface_schedule_configure(toplevel->base);  // the protocol wants an answer
    return;
  }
  Output* out = target ? target : (output() ? output() : server.focused_output());
  if (fullscreen && !out) return;
  if (fullscreen) {
    if (!restore_ && mapped_) restore_ = geometry();
    fullscreen_ = true;
    wlr_scene_node_reparent(&tree->node, server.layers.fullscreen);
    wlr_box box = out->layout_box();
    move_to(box.x, box.y);
    set_size(box.width, box.height);
  } else {
    fullscreen_ = false;
    wlr_scene_node_reparent(&tree->node, server.layers.views);
    if (maximized_) {
      fit_to_output();
    } else {
      restore_geometry();
    }
  }
  wlr_xdg_toplevel_set_fullscreen(toplevel, fullscreen);
  if (foreign_) wlr_foreign_toplevel_handle_v1_set_fullscreen(foreign_, fullscreen);
  update_decoration();
}

void View::set_maximized(bool maximized) {
  if (!toplevel->base->initialized) return;
  if (maximized == maximized_) {
    wlr_xdg_surface_schedule_configure(toplevel->base);
    return;
  }
  maximized_ = maximized;
  if (maximized) {
    if (!restore_ && mapped_) restore_ = geometry();
    fit_to_output();
  } else if (!fullscreen_) {
    restore_geometry();
  }
  wlr_xdg_toplevel_set_maximized(toplevel, maximized);
  if (foreign_) wlr_foreign_toplevel_handle_v1_set_maximized(foreign_, maximized);
}

// Back to the geometry before maximize/fullscreen; a window that started in
// one of those states has none, and chooses its own size, placed centred.
void View::restore_geometry() {
  if (restore_ && restore_->width > 0) {
    move_to(restore_->x, restore_->y);
    set_size(restore_->width, restore_->height);
  } else {
    wlr_xdg_toplevel_set_size(toplevel, 0, 0);
    recentre_ = true;
  }
  restore_.reset();
}

void View::fit_to_output() {
  Output* out = output() ? output() : server.focused_output();
  if (!out) return;
  if (fullscreen_) {
    wlr_box box = out->layout_box();
    move_to(box.x, box.y);
    set_size(box.width, box.height);
  } else if (maximized_) {
    wlr_box area = out->usable_area();
    int top = decoration_.visible() ? Decoration::kTitleHeight + Decoration::kBorder : 0;
    int side = decoration_.visible() ? Decoration::kBorder : 0;
    move_to(area.x + side, area.y + top);
    set_size(area.width - 2 * side, area.height - top - side);
  }
}

placement::Rect View::frame() const {
  wlr_box g = geometry();
  int top = decoration_.visible() ? Decoration::kTitleHeight + Decoration::kBorder : 0;
  int side = decoration_.visible() ? Decoration::kBorder : 0;
  return {g.x - side, g.y - top, g.width + 2 * side, g.height + top + side};
}

void View::place_initially() {
  Output* out = server.focused_output();
  if (!out) return;
  wlr_box a = out->usable_area();
  placement::Rect area{a.x, a.y, a.width, a.height}, f = frame();
  View* parent = nullptr;
  for (View* view : server.views())
    if (view != this && view->mapped() && toplevel->parent && view->toplevel == toplevel->parent) parent = view;
  placement::Point p = parent ? placement::centre_on(parent->frame(), area, f.width, f.height)
                              : placement::place(area, f.width, f.height, server.window_frames(this));
  // frame() is relative to the geometry's corner by the decoration's size.
  wlr_box g = geometry();
  move_to(p.x + (g.x - f.x), p.y + (g.y - f.y));
}

void View::handle_commit() {
  wlr_xdg_surface* base = toplevel->base;
  if (base->initial_commit) {
    // First commit: answer with a configure; size 0x0 lets the client choose.
    apply_decoration_mode();
    if (Output* out = server.focused_output()) {
      wlr_box area = out->usable_area();
      wlr_xdg_toplevel_set_bounds(toplevel, area.width, area.height);
    }
    wlr_xdg_toplevel_set_wm_capabilities(toplevel, WLR_XDG_TOPLEVEL_WM_CAPABILITIES_MAXIMIZE |
                                                      WLR_XDG_TOPLEVEL_WM_CAPABILITIES_FULLSCREEN);
    wlr_xdg_toplevel_set_size(toplevel, 0, 0);
    // States asked for before the first commit are answered in the first configure.
    if (toplevel->requested.fullscreen) {
      Output* target = toplevel->requested.fullscreen_output ? server.output_of(toplevel->requested.fullscreen_output)
                                                             : nullptr;
      set_fullscreen(true, target);
    } else if (toplevel->requested.maximized) {
      set_maximized(true);
    }
    return;
  }
  wlr_box box = base->geometry;
  // wlroots' xdg scene tree puts the window geometry's corner at the tree origin.
  // Without an explicit geometry that box grows with subsurfaces sticking out up
  // or left: keep the main surface still rather than the box's corner.
  bool implicit = base->current.geometry.width <= 0 || base->current.geometry.height <= 0;
  wlr_scene_node_set_position(&content_->node, implicit ? box.x : 0, implicit ? box.y : 0);
  if (box.width != last_geometry_.width || box.height != last_geometry_.height) {
    if (recentre_ && !fullscreen_ && !maximized_) {
      last_geometry_ = box;
      place_initially();
    }
    recentre_ = false;
    server.seat->view_resized(*this, last_geometry_, box);
    last_geometry_ = box;
    update_decoration();
  }
}

void View::handle_map() {
  mapped_ = true;
  wlr_box box = toplevel->base->geometry;
  last_geometry_ = box;
  if (!fullscreen_ && !maximized_) place_initially();
  wlr_scene_node_set_enabled(&tree->node, true);
  server.views().push_front(this);

  listed_ = server.toplevel_list->add(toplevel->title, toplevel->app_id, toplevel->base, nullptr);
  foreign_ = wlr_foreign_toplevel_handle_v1_create(server.foreign_toplevels);
  if (toplevel->title) wlr_foreign_toplevel_handle_v1_set_title(foreign_, toplevel->title);
  if (toplevel->app_id) wlr_foreign_toplevel_handle_v1_set_app_id(foreign_, toplevel->app_id);
  if (Output* out = output()) wlr_foreign_toplevel_handle_v1_output_enter(foreign_, out->wlr);
  foreign_activate_.connect(&foreign_->events.request_activate, [this](void*) { server.focus_view(this); });
  foreign_close_.connect(&foreign_->events.request_close, [this](void*) { close(); });
  foreign_maximize_.connect(&foreign_->events.request_maximize, [this](void* data) {
    set_maximized(static_cast<wlr_foreign_toplevel_handle_v1_maximized_event*>(data)->maximized);
  });
  foreign_fullscreen_.connect(&foreign_->events.request_fullscreen, [this](void* data) {
    auto* event = static_cast<wlr_foreign_toplevel_handle_v1_fullscreen_event*>(data);
    set_fullscreen(event->fullscreen, event->output ? server.output_of(event->output) : nullptr);
  });

  update_decoration();
  server.focus_view(this);
}

void View::handle_unmap() {
  mapped_ = false;
  wlr_scene_node_set_enabled(&tree->node, false);
  server.seat->view_unmapped(*this);
  bool was_focused = server.focused_view() == this;
  server.views().remove(this);
  if (was_focused) server.focus_view(nullptr);
  foreign_activate_.disconnect();
  foreign_close_.disconnect();
  foreign_maximize_.disconnect();
  foreign_fullscreen_.disconnect();
  if (foreign_) wlr_foreign_toplevel_handle_v1_destroy(foreign_);
  foreign_ = nullptr;
  listed_.reset();
  if (was_focused) server.focus_view(server.views().empty() ? nullptr : server.views().front());
}

void View::set_decoration(wlr_xdg_toplevel_decoration_v1* decoration) {
  xdg_decoration_ = decoration;
  decoration_request_mode_.connect(&decoration->events.request_mode, [this](void*) { apply_decoration_mode(); });
  decoration_destroy_.connect(&decoration->events.destroy, [this](void*) {
    decoration_request_mode_.disconnect();
    decoration_destroy_.disconnect();
    xdg_decoration_ = nullptr;
    update_decoration();
  });
  apply_decoration_mode();
}

void View::apply_decoration_mode() {
  // Only once the surface can take a configure; the initial commit calls us again.
  if (!xdg_decoration_ || !toplevel->base->initialized) return;
  // We draw decorations unless the client insists on its own.
  auto mode = xdg_decoration_->requested_mode == WLR_XDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE
                  ? WLR_XDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE
                  : WLR_XDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE;
  wlr_xdg_toplevel_decoration_v1_set_mode(xdg_decoration_, mode);
  update_decoration();
}

void View::update_decoration() {
  bool ssd = xdg_decoration_ &&
             xdg_decoration_->scheduled_mode == WLR_XDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE && !fullscreen_;
  decoration_.set_visible(ssd && mapped_);
  if (ssd) decoration_.update(last_geometry_.width, last_geometry_.height, activated_);
}

}  // namespace tranche
