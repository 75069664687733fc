#include "seat.hpp"

#include <algorithm>

#include "decoration.hpp"
#include "input_method.hpp"
#include "layer_shell.hpp"
#include "session_lock.hpp"
#include "timer.hpp"
#include "view.hpp"

namespace tranche {

// The config's modifier bits are wlroots' own, so bindings compare directly.
constexpr bool same_bit(config::Modifier ours, wlr_keyboard_modifier theirs) {
  return static_cast<uint32_t>(ours) == static_cast<uint32_t>(theirs);
}
static_assert(same_bit(config::ModShift, WLR_MODIFIER_SHIFT) && same_bit(config::ModCtrl, WLR_MODIFIER_CTRL) &&
              same_bit(config::ModAlt, WLR_MODIFIER_ALT) && same_bit(config::ModLogo, WLR_MODIFIER_LOGO) &&
              same_bit(config::ModCaps, WLR_MODIFIER_CAPS) && same_bit(config::ModMod2, WLR_MODIFIER_MOD2) &&
              same_bit(config::ModMod3, WLR_MODIFIER_MOD3) && same_bit(config::ModMod5, WLR_MODIFIER_MOD5));

// --- keyboards ---------------------------------------------------------------

Keyboard::Keyboard(Seat& seat, wlr_keyboard* keyboard, bool is_virtual)
    : wlr(keyboard), is_virtual(is_virtual), seat_(seat) {
  if (!is_virtual) apply_config(seat.server.config().keyboard);
  modifiers_.connect(&keyboard->events.modifiers, [this](void*) {
    seat_.use_keyboard(wlr);
    if (seat_.server.input_method && seat_.server.input_method->forward_modifiers(wlr)) return;
    wlr_seat_keyboard_notify_modifiers(seat_.wlr, &wlr->modifiers);
  });
  key_.connect(&keyboard->events.key, [this](void* data) {
    auto* event = static_cast<wlr_keyboard_key_event*>(data);
    wlr_idle_notifier_v1_notify_activity(seat_.server.idle_notifier, seat_.wlr);
    bool handled = false;
    if (event->state == WL_KEYBOARD_KEY_STATE_PRESSED && wlr->xkb_state) {
      // Translated keysyms first ("Logo+Shift+q" sees Q), then the key's base
      // level, so Shift+Tab or Logo+Shift+1 match though xkb reports other syms.
      xkb_keycode_t keycode = event->keycode + 8;
      uint32_t modifiers = wlr_keyboard_get_modifiers(wlr);
      const xkb_keysym_t* syms;
      int count = xkb_state_key_get_syms(wlr->xkb_state, keycode, &syms);
      handled = handle_binding(syms, count, modifiers);
      if (!handled) {
        xkb_layout_index_t layout = xkb_state_key_get_layout(wlr->xkb_state, keycode);
        count = xkb_keymap_key_get_syms_by_level(wlr->keymap, keycode, layout, 0, &syms);
        handled = handle_binding(syms, count, modifiers);
      }
    }
    // Then an input method's keyboard grab (not while locked), then the focused client.
    if (!handled && seat_.server.input_method && seat_.server.input_method->forward_key(wlr, event)) return;
    if (!handled) {
      seat_.use_keyboard(wlr);
      wlr_seat_keyboard_notify_key(seat_.wlr, event->time_msec, event->keycode, event->state);
    }
  });
  destroy_.connect(&keyboard->base.events.destroy, [this](void*) { seat_.remove_keyboard(this); });
}

Keyboard::~Keyboard() {
  if (seat_.server.input_method) seat_.server.input_method->keyboard_destroyed(wlr);
  modifiers_.disconnect();
  key_.disconnect();
  destroy_.disconnect();
}

void Keyboard::apply_config(const config::KeyboardConfig& config) {
  xkb_rule_names names{};
  names.rules = config.rules.empty() ? nullptr : config.rules.c_str();
  names.model = config.model.empty() ? nullptr : config.model.c_str();
  names.layout = config.layout.empty() ? nullptr : config.layout.c_str();
  names.variant = config.variant.empty() ? nullptr : config.variant.c_str();
  names.options = config.options.empty() ? nullptr : config.options.c_str();
  xkb_context* context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
  xkb_keymap* keymap = xkb_keymap_new_from_names(context, &names, XKB_KEYMAP_COMPILE_NO_FLAGS);
  if (!keymap) {
    TLOG(WLR_ERROR, "keyboard layout '%s' variant '%s' cannot be compiled; keeping the US layout",
         config.layout.c_str(), config.variant.c_str());
    names = {};
    keymap = xkb_keymap_new_from_names(context, &names, XKB_KEYMAP_COMPILE_NO_FLAGS);
  }
  wlr_keyboard_set_keymap(wlr, keymap);
  xkb_keymap_unref(keymap);
  xkb_context_unref(context);
  wlr_keyboard_set_repeat_info(wlr, config.repeat_rate, config.repeat_delay);
}

bool Keyboard::handle_binding(const xkb_keysym_t* syms, int count, uint32_t modifiers) {
  Server& server = seat_.server;
  using config::Action;
  for (int i = 0; i < count; ++i) {
    const config::KeyBinding* binding = config::match(server.config().bindings, modifiers, syms[i]);
    if (!binding) continue;
    // Locked: the keys are the locker's (a password may contain Logo+Return);
    // inhibited: the focused client (a VM, a remote desktop) wants them. Only
    // switching VT stays, as the way to a console.
    if (binding->action != Action::SwitchVt &&
        ((server.session_lock && server.session_lock->locked()) || seat_.shortcuts_inhibited()))
      continue;
    switch (binding->action) {
      case Action::Exec: server.spawn(binding->argument); break;
      case Action::Terminal: server.spawn(server.config().terminal); break;
      case Action::Close: server.close_focused(); break;
      case Action::CycleFocus: server.cycle_focus(); break;
      case Action::Fullscreen:
        if (View* v = server.focused_view()) v->set_fullscreen(!v->fullscreen());
        break;
      case Action::Maximize:
        if (View* v = server.focused_view()) v->set_maximized(!v->maximized());
        break;
      case Action::Reload:
        if (auto result = server.reload_config(); !result) TLOG(WLR_ERROR, "%s", result.error().c_str());
        break;
      case Action::Quit: server.terminate(); break;
      case Action::SwitchVt:
        if (server.session) wlr_session_change_vt(server.session, std::stoul(binding->argument));
        break;
    }
    return true;
  }
  return false;
}

// --- seat --------------------------------------------------------------------

Seat::Seat(Server& server)
    : server(server),
      wlr(wlr_seat_create(server.display, "seat0")),
      cursor(wlr_cursor_create()),
      xcursor(wlr_xcursor_manager_create(nullptr, 24)) {
  wlr_cursor_attach_output_layout(cursor, server.output_layout);
  drag_icons_ = wlr_scene_tree_create(&server.scene->tree);

  motion_.connect(&cursor->events.motion, [this](void* data) {
    auto* e = static_cast<wlr_pointer_motion_event*>(data);
    handle_motion(e->time_msec, e->delta_x, e->delta_y, e->unaccel_dx, e->unaccel_dy, &e->pointer->base);
  });
  motion_absolute_.connect(&cursor->events.motion_absolute, [this](void* data) {
    auto* e = static_cast<wlr_pointer_motion_absolute_event*>(data);
    double lx, ly;
    wlr_cursor_absolute_to_layout_coords(cursor, &e->pointer->base, e->x, e->y, &lx, &ly);
    double dx = lx - cursor->x, dy = ly - cursor->y;
    handle_motion(e->time_msec, dx, dy, dx, dy, &e->pointer->base);
  });
  button_.connect(&cursor->events.button, [this](void* data) {
    handle_button(static_cast<wlr_pointer_button_event*>(data));
  });
  axis_.connect(&cursor->events.axis, [this](void* data) {
    auto* e = static_cast<wlr_pointer_axis_event*>(data);
    wlr_idle_notifier_v1_notify_activity(this->server.idle_notifier, wlr);
    wlr_seat_pointer_notify_axis(wlr, e->time_msec, e->orientation, e->delta, e->delta_discrete, e->source,
                                 e->relative_direction);
  });
  frame_.connect(&cursor->events.frame, [this](void*) { wlr_seat_pointer_notify_frame(wlr); });
  connect_touch();
  connect_gestures();
  tablets_ = std::make_unique<Tablets>(*this);

  shortcuts_inhibit_ = wlr_keyboard_shortcuts_inhibit_v1_create(server.display);
  new_shortcuts_inhibitor_.connect(&shortcuts_inhibit_->events.new_inhibitor,
                                   [this](void*) { update_shortcuts_inhibitors(); });
  keyboard_focus_change_.connect(&wlr->keyboard_state.events.focus_change,
                                 [this](void*) { update_shortcuts_inhibitors(); });

  request_cursor_.connect(&wlr->events.request_set_cursor, [this](void* data) {
    auto* e = static_cast<wlr_seat_pointer_request_set_cursor_event*>(data);
    if (e->seat_client == wlr->pointer_state.focused_client && has_pointer_)
      wlr_cursor_set_surface(cursor, e->surface, e->hotspot_x, e->hotspot_y);
  });
  auto* shapes = wlr_cursor_shape_manager_v1_create(server.display, 1);
  cursor_shape_.connect(&shapes->events.request_set_shape, [this](void* data) {
    auto* e = static_cast<wlr_cursor_shape_manager_v1_request_set_shape_event*>(data);
    if (e->seat_client == wlr->pointer_state.focused_client && has_pointer_)
      wlr_cursor_set_xcursor(cursor, xcursor, wlr_cursor_shape_v1_name(e->shape));
  });
  request_selection_.connect(&wlr->events.request_set_selection, [this](void* data) {
    auto* e = static_cast<wlr_seat_request_set_selection_event*>(data);
    wlr_seat_set_selection(wlr, e->source, e->serial);
  });
  request_primary_selection_.connect(&wlr->events.request_set_primary_selection, [this](void* data) {
    auto* e = static_cast<wlr_seat_request_set_primary_selection_event*>(data);
    wlr_seat_set_primary_selection(wlr, e->source, e->serial);
  });
  request_start_drag_.connect(&wlr->events.request_start_drag, [this](void* data) {
    auto* e = static_cast<wlr_seat_request_start_drag_event*>(data);
    if (wlr_seat_validate_pointer_grab_serial(wlr, e->origin, e->serial))
      wlr_seat_start_pointer_drag(wlr, e->drag, e->serial);
    else
      wlr_data_source_destroy(e->drag->source);
  });
  start_drag_.connect(&wlr->events.start_drag, [this](void* data) {
    auto* drag = static_cast<wlr_drag*>(data);
    if (drag->icon) wlr_scene_drag_icon_create(drag_icons_, drag->icon);
  });
  update_capabilities();  // the pointer capability is there before any device
}

Seat::~Seat() {
  if (refresh_idle_) wl_event_source_remove(refresh_idle_);
  keyboards_.clear();
  // wlroots asserts a dying cursor has no listeners: ours go first.
  for (Listener* listener : {&motion_, &motion_absolute_, &button_, &axis_, &frame_, &touch_down_, &touch_up_,
                             &touch_motion_, &touch_cancel_, &touch_frame_, &swipe_begin_, &swipe_update_,
                             &swipe_end_, &pinch_begin_, &pinch_update_, &pinch_end_, &hold_begin_, &hold_end_})
    listener->disconnect();
  tablets_.reset();  // its listeners are on the cursor
  wlr_xcursor_manager_destroy(xcursor);
  wlr_cursor_destroy(cursor);
}

void Seat::add_input_device(wlr_input_device* device) {
  switch (device->type) {
    case WLR_INPUT_DEVICE_KEYBOARD:
      keyboards_.push_back(std::make_unique<Keyboard>(*this, wlr_keyboard_from_input_device(device), false));
      use_keyboard(keyboards_.back()->wlr);
      break;
    case WLR_INPUT_DEVICE_TOUCH:
      has_touch_ = true;
      [[fallthrough]];
    case WLR_INPUT_DEVICE_POINTER:
      wlr_cursor_attach_input_device(cursor, device);
      has_pointer_ = true;
      break;
    case WLR_INPUT_DEVICE_TABLET:
      has_pointer_ = true;  // its tools move the cursor
      [[fallthrough]];
    case WLR_INPUT_DEVICE_TABLET_PAD:
      tablets_->add_device(device);
      break;
    default: break;
  }
  update_capabilities();
}

void Seat::add_virtual_keyboard(wlr_virtual_keyboard_v1* keyboard) {
  keyboards_.push_back(std::make_unique<Keyboard>(*this, &keyboard->keyboard, true));
  use_keyboard(keyboards_.back()->wlr);
  update_capabilities();
}

// Clients get a keymap (and, for the focused one, an enter) for a wl_keyboard
// only while the seat has a keyboard, so the seat always has one when any exists.
void Seat::use_keyboard(wlr_keyboard* keyboard) {
  wlr_keyboard* previous = wlr_seat_get_keyboard(wlr);
  wlr_seat_set_keyboard(wlr, keyboard);
  wlr_surface* focused = wlr->keyboard_state.focused_surface;
  if (!previous && keyboard && focused) {
    // wl_keyboards bound while there was none got no enter: enter again.
    wlr_seat_keyboard_notify_clear_focus(wlr);
    focus_surface(focused);
  }
}

void Seat::add_virtual_pointer(wlr_virtual_pointer_v1_new_pointer_event* event) {
  wlr_cursor_attach_input_device(cursor, &event->new_pointer->pointer.base);
  has_pointer_ = true;
  update_capabilities();
}

void Seat::remove_keyboard(Keyboard* keyboard) {
  bool was_seat_keyboard = wlr_seat_get_keyboard(wlr) == keyboard->wlr;
  keyboards_.remove_if([keyboard](const auto& k) { return k.get() == keyboard; });
  if (was_seat_keyboard) wlr_seat_set_keyboard(wlr, keyboards_.empty() ? nullptr : keyboards_.back()->wlr);
  update_capabilities();
}

void Seat::update_capabilities() {
  uint32_t caps = 0;
  if (has_pointer_) caps |= WL_SEAT_CAPABILITY_POINTER;
  if (!keyboards_.empty()) caps |= WL_SEAT_CAPABILITY_KEYBOARD;
  if (has_touch_) caps |= WL_SEAT_CAPABILITY_TOUCH;
  // Clients may bind a pointer before any device exists (headless + virtual pointer).
  caps |= WL_SEAT_CAPABILITY_POINTER;
  wlr_seat_set_capabilities(wlr, caps);
}

void Seat::apply_config(const config::Config& config) {
  for (auto& keyboard : keyboards_)
    if (!keyboard->is_virtual) keyboard->apply_config(config.keyboard);
}

// A top or overlay layer surface with exclusive keyboard interactivity keeps the
// keyboard until it unmaps or changes its interactivity.
static bool holds_keyboard(LayerSurface* layer) {
  return layer && layer->mapped() &&
         layer->layer->current.keyboard_interactive == ZWLR_LAYER_SURFACE_V1_KEYBOARD_INTERACTIVITY_EXCLUSIVE &&
         layer->layer->current.layer >= ZWLR_LAYER_SHELL_V1_LAYER_TOP;
}

void Seat::focus_surface(wlr_surface* surface) {
  if (server.session_lock && !server.session_lock->allows(surface)) return;
  if (focused_layer_ && surface != focused_layer_->layer->surface) {
    if (holds_keyboard(focused_layer_)) return;
    focused_layer_ = nullptr;  // a window takes the keyboard from an on-demand layer surface
  }
  schedule_pointer_refresh();  // pointer constraints follow the keyboard focus
  if (!surface) {
    wlr_seat_keyboard_notify_clear_focus(wlr);
    return;
  }
  if (wlr_keyboard* kb = wlr_seat_get_keyboard(wlr)) {
    wlr_seat_keyboard_notify_enter(wlr, surface, kb->keycodes, kb->num_keycodes, &kb->modifiers);
  } else {
    wlr_seat_keyboard_notify_enter(wlr, surface, nullptr, 0, nullptr);
  }
}

void Seat::focus_lock_surface(wlr_surface* surface) {
  focused_layer_ = nullptr;
  if (server.session_lock && !server.session_lock->allows(surface)) surface = nullptr;
  schedule_pointer_refresh();
  if (!surface) {
    wlr_seat_keyboard_notify_clear_focus(wlr);
    return;
  }
  wlr_keyboard* kb = wlr_seat_get_keyboard(wlr);
  wlr_seat_keyboard_notify_enter(wlr, surface, kb ? kb->keycodes : nullptr, kb ? kb->num_keycodes : 0,
                                 kb ? &kb->modifiers : nullptr);
}

void Seat::lock_changed() {
  end_grab();
  if (server.input_method) server.input_method->lock_changed();  // nothing reaches the IME while locked
  wlr_seat_pointer_notify_clear_focus(wlr);  // also ends a held button's implicit grab
  if (server.session_lock && server.session_lock->locked()) {
    end_touches(nullptr);
    if (!server.session_lock->allows(wlr->keyboard_state.focused_surface)) focus_lock_surface(nullptr);
  }
  schedule_pointer_refresh();
}

void Seat::focus_layer(LayerSurface* layer) {
  if (layer != focused_layer_ && holds_keyboard(focused_layer_) && !holds_keyboard(layer)) return;
  focused_layer_ = layer;
  focus_surface(layer ? layer->layer->surface : nullptr);
}

void Seat::layer_unmapped(LayerSurface& layer) {
  if (focused_layer_ != &layer) return;
  focused_layer_ = nullptr;
  View* view = server.focused_view();
  focus_surface(view ? view->surface() : nullptr);
}

void Seat::view_unmapped(View& view) {
  if (grab_view_ == &view) end_grab();
}

void Seat::begin_move(View& view) {
  if (view.fullscreen()) return;
  if (view.maximized()) view.set_maximized(false);
  grab_ = Grab::Move;
  grab_view_ = &view;
  grab_x_ = cursor->x;
  grab_y_ = cursor->y;
  grab_box_ = view.geometry();
  wlr_seat_pointer_notify_clear_focus(wlr);
}

void Seat::begin_resize(View& view, uint32_t edges) {
  if (view.fullscreen() || edges == WLR_EDGE_NONE) return;
  grab_ = Grab::Resize;
  grab_view_ = &view;
  grab_x_ = cursor->x;
  grab_y_ = cursor->y;
  grab_box_ = view.geometry();
  grab_edges_ = edges;
  wlr_xdg_toplevel_set_resizing(view.toplevel, true);
  wlr_seat_pointer_notify_clear_focus(wlr);
}

void Seat::end_grab() {
  if (grab_ == Grab::Resize && grab_view_) wlr_xdg_toplevel_set_resizing(grab_view_->toplevel, false);
  grab_ = Grab::None;
  grab_view_ = nullptr;
}

void Seat::view_resized(View& view, const wlr_box&, const wlr_box& after) {
  // Resizing from the left or top keeps the opposite edge where it was.
  if (grab_ != Grab::Resize || grab_view_ != &view) return;
  wlr_box g = view.geometry();
  int x = g.x, y = g.y;
  if (grab_edges_ & WLR_EDGE_LEFT) x = grab_box_.x + grab_box_.width - after.width;
  if (grab_edges_ & WLR_EDGE_TOP) y = grab_box_.y + grab_box_.height - after.height;
  view.move_to(x, y);
}

// Where a confined pointer may go, surface-local. wlroots 0.20 computes the
// constraint's region (the one asked for, within the input region) only when
// the surface next commits; until then it is empty, though a confinement holds
// from the start: use the input region within what was asked.
static void confine_region(const wlr_pointer_constraint_v1* constraint, pixman_region32_t* out) {
  if (pixman_region32_not_empty(&constraint->region)) {
    pixman_region32_copy(out, &constraint->region);
    return;
  }
  pixman_region32_copy(out, &constraint->surface->input_region);
  if (constraint->current.committed & WLR_POINTER_CONSTRAINT_V1_STATE_REGION)
    pixman_region32_intersect(out, out, &constraint->current.region);
  else if (constraint->pending.committed & WLR_POINTER_CONSTRAINT_V1_STATE_REGION)
    pixman_region32_intersect(out, out, &constraint->pending.region);
}

bool Seat::pointer_locked(double* dx, double* dy) {
  if (!active_constraint_) return false;
  if (active_constraint_->type == WLR_POINTER_CONSTRAINT_V1_LOCKED) return true;
  // Confined: motion stops at the region's edge (surface-local coordinates).
  double sx = wlr->pointer_state.sx, sy = wlr->pointer_state.sy, cx, cy;
  pixman_region32_t region;
  pixman_region32_init(&region);
  confine_region(active_constraint_, &region);
  if (wlr_region_confine(&region, sx, sy, sx + *dx, sy + *dy, &cx, &cy)) {
    *dx = cx - sx;
    *dy = cy - sy;
  }
  pixman_region32_fini(&region);
  return false;
}

void Seat::handle_motion(uint32_t time_msec, double dx, double dy, double dx_unaccel, double dy_unaccel,
                         wlr_input_device* device) {
  wlr_idle_notifier_v1_notify_activity(server.idle_notifier, wlr);
  wlr_relative_pointer_manager_v1_send_relative_motion(server.relative_pointer, wlr, uint64_t(time_msec) * 1000,
                                                       dx, dy, dx_unaccel, dy_unaccel);
  if (grab_ == Grab::None && pointer_locked(&dx, &dy)) return;
  wlr_cursor_move(cursor, device, dx, dy);
  refresh_pointer(time_msec);
}

void Seat::refresh_pointer(uint32_t time_msec) {
  if (grab_ == Grab::Move && grab_view_) {
    grab_view_->move_to(grab_box_.x + int(cursor->x - grab_x_), grab_box_.y + int(cursor->y - grab_y_));
    return;
  }
  if (grab_ == Grab::Resize && grab_view_) {
    int dx = int(cursor->x - grab_x_), dy = int(cursor->y - grab_y_);
    int w = grab_box_.width, h = grab_box_.height;
    if (grab_edges_ & WLR_EDGE_LEFT) w -= dx;
    if (grab_edges_ & WLR_EDGE_RIGHT) w += dx;
    if (grab_edges_ & WLR_EDGE_TOP) h -= dy;
    if (grab_edges_ & WLR_EDGE_BOTTOM) h += dy;
    grab_view_->set_size(std::max(w, 1), std::max(h, 1));
    return;
  }
  wlr_scene_node_set_position(&drag_icons_->node, int(cursor->x), int(cursor->y));
  // While a button is held, the surface it was pressed on keeps the pointer (implicit grab).
  if (wlr->pointer_state.button_count > 0 && wlr->pointer_state.focused_surface && !wlr_seat_pointer_has_grab(wlr)) {
    wlr_seat_pointer_notify_motion(wlr, time_msec, cursor->x - press_x_, cursor->y - press_y_);
    return;
  }
  wlr_surface* surface = nullptr;
  double sx = 0, sy = 0;
  server.object_at(cursor->x, cursor->y, &surface, &sx, &sy);
  if (!surface) {
    // No pointer device, no cursor: nobody can move it, and a software cursor
    // would keep every buffer off the planes.
    if (has_pointer_) wlr_cursor_set_xcursor(cursor, xcursor, "default");
    else wlr_cursor_unset_image(cursor);
    wlr_seat_pointer_notify_clear_focus(wlr);
  } else {
    wlr_seat_pointer_notify_enter(wlr, surface, sx, sy);
    wlr_seat_pointer_notify_motion(wlr, time_msec, sx, sy);
  }
  // A constraint is active while its surface has pointer and keyboard focus: a
  // window in the background cannot capture the pointer.
  wlr_pointer_constraint_v1* constraint = nullptr;
  if (surface && surface == wlr->keyboard_state.focused_surface)
    constraint = wlr_pointer_constraints_v1_constraint_for_surface(server.pointer_constraints, surface, wlr);
  if (constraint != active_constraint_) {
    if (active_constraint_) wlr_pointer_constraint_v1_send_deactivated(active_constraint_);
    active_constraint_ = constraint;
    constraint_destroy_.disconnect();
    if (constraint) {
      wlr_pointer_constraint_v1_send_activated(constraint);
      constraint_destroy_.connect(&constraint->events.destroy, [this](void*) {
        constraint_destroy_.disconnect();
        active_constraint_ = nullptr;
      });
    }
  }
}

// Ours at once (the refresh below sets it over no surface); a client's when
// the pointer enters its surface again, as clients set their cursor on enter.
void Seat::renderer_changed() {
  wlr_cursor_unset_image(cursor);
  if (grab_ != Grab::None) return;  // the grab's end refreshes the pointer
  if (wlr->pointer_state.focused_surface) wlr_seat_pointer_notify_clear_focus(wlr);
  schedule_pointer_refresh();
}

void Seat::schedule_pointer_refresh() {
  if (refresh_idle_ || grab_ != Grab::None) return;
  refresh_idle_ = wl_event_loop_add_idle(server.loop, [](void* data) {
    auto* seat = static_cast<Seat*>(data);
    seat->refresh_idle_ = nullptr;
    const wlr_seat_pointer_state& state = seat->wlr->pointer_state;
    wlr_surface* focus = state.focused_surface;
    double sx = state.sx, sy = state.sy;
    seat->refresh_pointer(uint32_t(monotonic_now() / 1'000'000));
    // Enter and leave come with their frame; a motion without an input event needs one.
    if (focus && state.focused_surface == focus && (state.sx != sx || state.sy != sy))
      wlr_seat_pointer_notify_frame(seat->wlr);
  }, this);
}

void Seat::surface_destroyed(wlr_surface* surface) {
  schedule_pointer_refresh();
  // The client sees the contact lift rather than keep it for a surface it no longer has.
  end_touches(surface);
}

void Seat::end_touches(wlr_surface* only) {
  bool ended = false;
  wlr_touch_point *point, *next;
  wl_list_for_each_safe(point, next, &wlr->touch_state.touch_points, link) {
    if (only && point->surface != only) continue;
    touch_origins_.erase(point->touch_id);
    wlr_seat_touch_notify_up(wlr, uint32_t(monotonic_now() / 1'000'000), point->touch_id);
    ended = true;
  }
  if (ended) wlr_seat_touch_notify_frame(wlr);
}

// Touch goes to the surface under the first contact point; a touch on a window
// focuses it, like a click.
void Seat::connect_touch() {
  touch_down_.connect(&cursor->events.touch_down, [this](void* data) {
    auto* e = static_cast<wlr_touch_down_event*>(data);
    wlr_idle_notifier_v1_notify_activity(server.idle_notifier, wlr);
    double lx, ly;
    wlr_cursor_absolute_to_layout_coords(cursor, &e->touch->base, e->x, e->y, &lx, &ly);
    wlr_surface* surface = nullptr;
    double sx = 0, sy = 0;
    SceneObject* object = server.object_at(lx, ly, &surface, &sx, &sy);
    if (auto* view = dynamic_cast<View*>(object)) server.focus_view(view);
    if (!surface) return;
    touch_origins_[e->touch_id] = {lx - sx, ly - sy};
    wlr_seat_touch_notify_down(wlr, surface, e->time_msec, e->touch_id, sx, sy);
  });
  touch_motion_.connect(&cursor->events.touch_motion, [this](void* data) {
    auto* e = static_cast<wlr_touch_motion_event*>(data);
    auto origin = touch_origins_.find(e->touch_id);
    if (origin == touch_origins_.end() || !wlr_seat_touch_get_point(wlr, e->touch_id)) return;
    double lx, ly;
    wlr_cursor_absolute_to_layout_coords(cursor, &e->touch->base, e->x, e->y, &lx, &ly);
    // Coordinates stay relative to the surface the contact started on.
    wlr_seat_touch_notify_motion(wlr, e->time_msec, e->touch_id, lx - origin->second.first,
                                 ly - origin->second.second);
  });
  touch_up_.connect(&cursor->events.touch_up, [this](void* data) {
    auto* e = static_cast<wlr_touch_up_event*>(data);
    touch_origins_.erase(e->touch_id);
    if (wlr_seat_touch_get_point(wlr, e->touch_id)) wlr_seat_touch_notify_up(wlr, e->time_msec, e->touch_id);
  });
  touch_cancel_.connect(&cursor->events.touch_cancel, [this](void* data) {
    auto* e = static_cast<wlr_touch_cancel_event*>(data);
    touch_origins_.erase(e->touch_id);
    if (wlr_touch_point* point = wlr_seat_touch_get_point(wlr, e->touch_id))
      wlr_seat_touch_notify_cancel(wlr, point->client);
  });
  touch_frame_.connect(&cursor->events.touch_frame, [this](void*) { wlr_seat_touch_notify_frame(wlr); });
}

// Only the inhibitor of the surface with keyboard focus is active.
void Seat::update_shortcuts_inhibitors() {
  wlr_surface* focused = wlr->keyboard_state.focused_surface;
  wlr_keyboard_shortcuts_inhibitor_v1* inhibitor;
  wl_list_for_each(inhibitor, &shortcuts_inhibit_->inhibitors, link) {
    if (inhibitor->seat != wlr) continue;
    bool want = focused && inhibitor->surface == focused;
    if (want && !inhibitor->active) wlr_keyboard_shortcuts_inhibitor_v1_activate(inhibitor);
    if (!want && inhibitor->active) wlr_keyboard_shortcuts_inhibitor_v1_deactivate(inhibitor);
  }
}

bool Seat::shortcuts_inhibited() const {
  wlr_surface* focused = wlr->keyboard_state.focused_surface;
  wlr_keyboard_shortcuts_inhibitor_v1* inhibitor;
  wl_list_for_each(inhibitor, &shortcuts_inhibit_->inhibitors, link)
    if (inhibitor->seat == wlr && inhibitor->active && inhibitor->surface == focused) return true;
  return false;
}

// Touchpad gestures from libinput go to the surface with pointer focus.
void Seat::connect_gestures() {
  gestures_ = wlr_pointer_gestures_v1_create(server.display);
  swipe_begin_.connect(&cursor->events.swipe_begin, [this](void* data) {
    auto* e = static_cast<wlr_pointer_swipe_begin_event*>(data);
    wlr_idle_notifier_v1_notify_activity(server.idle_notifier, wlr);
    wlr_pointer_gestures_v1_send_swipe_begin(gestures_, wlr, e->time_msec, e->fingers);
  });
  swipe_update_.connect(&cursor->events.swipe_update, [this](void* data) {
    auto* e = static_cast<wlr_pointer_swipe_update_event*>(data);
    wlr_pointer_gestures_v1_send_swipe_update(gestures_, wlr, e->time_msec, e->dx, e->dy);
  });
  swipe_end_.connect(&cursor->events.swipe_end, [this](void* data) {
    auto* e = static_cast<wlr_pointer_swipe_end_event*>(data);
    wlr_pointer_gestures_v1_send_swipe_end(gestures_, wlr, e->time_msec, e->cancelled);
  });
  pinch_begin_.connect(&cursor->events.pinch_begin, [this](void* data) {
    auto* e = static_cast<wlr_pointer_pinch_begin_event*>(data);
    wlr_idle_notifier_v1_notify_activity(server.idle_notifier, wlr);
    wlr_pointer_gestures_v1_send_pinch_begin(gestures_, wlr, e->time_msec, e->fingers);
  });
  pinch_update_.connect(&cursor->events.pinch_update, [this](void* data) {
    auto* e = static_cast<wlr_pointer_pinch_update_event*>(data);
    wlr_pointer_gestures_v1_send_pinch_update(gestures_, wlr, e->time_msec, e->dx, e->dy, e->scale, e->rotation);
  });
  pinch_end_.connect(&cursor->events.pinch_end, [this](void* data) {
    auto* e = static_cast<wlr_pointer_pinch_end_event*>(data);
    wlr_pointer_gestures_v1_send_pinch_end(gestures_, wlr, e->time_msec, e->cancelled);
  });
  hold_begin_.connect(&cursor->events.hold_begin, [this](void* data) {
    auto* e = static_cast<wlr_pointer_hold_begin_event*>(data);
    wlr_idle_notifier_v1_notify_activity(server.idle_notifier, wlr);
    wlr_pointer_gestures_v1_send_hold_begin(gestures_, wlr, e->time_msec, e->fingers);
  });
  hold_end_.connect(&cursor->events.hold_end, [this](void* data) {
    auto* e = static_cast<wlr_pointer_hold_end_event*>(data);
    wlr_pointer_gestures_v1_send_hold_end(gestures_, wlr, e->time_msec, e->cancelled);
  });
}

void Seat::add_pointer_constraint(wlr_pointer_constraint_v1* constraint) {
  if (wlr->pointer_state.focused_surface == constraint->surface) refresh_pointer(0);
}

void Seat::emulate_button(uint32_t time_msec, uint32_t button, bool pressed) {
  wlr_pointer_button_event event{.pointer = nullptr, .time_msec = time_msec, .button = button,
                                 .state = pressed ? WL_POINTER_BUTTON_STATE_PRESSED : WL_POINTER_BUTTON_STATE_RELEASED};
  handle_button(&event);
  wlr_seat_pointer_notify_frame(wlr);
}

void Seat::handle_button(wlr_pointer_button_event* event) {
  wlr_idle_notifier_v1_notify_activity(server.idle_notifier, wlr);
  if (grab_ != Grab::None) {
    if (event->state == WL_POINTER_BUTTON_STATE_RELEASED) {
      end_grab();
      // The seat still counts the button as held: release it there too (no
      // client has pointer focus during a move or resize, so none sees it).
      wlr_seat_pointer_notify_button(wlr, event->time_msec, event->button, event->state);
      schedule_pointer_refresh();
    }
    return;
  }
  if (event->state == WL_POINTER_BUTTON_STATE_PRESSED) {
    wlr_surface* surface = nullptr;
    double sx = 0, sy = 0;
    SceneObject* object = server.object_at(cursor->x, cursor->y, &surface, &sx, &sy);
    if (auto* view = dynamic_cast<View*>(object)) {
      server.focus_view(view);
      wlr_box g = view->geometry();
      double x = cursor->x - g.x, y = cursor->y - g.y;
      switch (view->decoration().part_at(x, y)) {
        case DecorationPart::TitleBar: begin_move(*view); return;
        case DecorationPart::CloseButton: view->close(); return;
        case DecorationPart::Border: begin_resize(*view, view->decoration().edges_at(x, y)); return;
        case DecorationPart::None: break;
      }
    } else if (auto* layer = dynamic_cast<LayerSurface*>(object)) {
      if (layer->layer->current.keyboard_interactive != ZWLR_LAYER_SURFACE_V1_KEYBOARD_INTERACTIVITY_NONE)
        focus_layer(layer);
    }
  }
  if (event->state == WL_POINTER_BUTTON_STATE_PRESSED && wlr->pointer_state.button_count == 0) {
    press_x_ = cursor->x - wlr->pointer_state.sx;  // where the grabbing surface is
    press_y_ = cursor->y - wlr->pointer_state.sy;
  }
  wlr_seat_pointer_notify_button(wlr, event->time_msec, event->button, event->state);
  if (wlr->pointer_state.button_count == 0) schedule_pointer_refresh();  // the grab ended
}

}  // namespace tranche
