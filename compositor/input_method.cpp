#include "input_method.hpp"

#include "output.hpp"
#include "seat.hpp"
#include "server.hpp"
#include "session_lock.hpp"

namespace tranche {

namespace {

wl_client* client_of(wl_resource* resource) { return resource ? wl_resource_get_client(resource) : nullptr; }

// Where `surface` is drawn, in layout coordinates: found among the scene's
// buffers, so windows, layer surfaces, subsurfaces and popups all work.
bool surface_origin(wlr_scene* scene, wlr_surface* surface, int* x, int* y) {
  struct Search {
    wlr_surface* surface;
    int x = 0, y = 0;
    bool found = false;
  } search{surface};
  wlr_scene_node_for_each_buffer(&scene->tree.node, [](wlr_scene_buffer* buffer, int sx, int sy, void* data) {
    auto* s = static_cast<Search*>(data);
    wlr_scene_surface* scene_surface = wlr_scene_surface_try_from_buffer(buffer);
    if (s->found || !scene_surface || scene_surface->surface != s->surface) return;
    s->found = true;
    s->x = sx;
    s->y = sy;
  }, &search);
  *x = search.x;
  *y = search.y;
  return search.found;
}

}  // namespace

struct InputMethodRelay::TextInput {
  wlr_text_input_v3* wlr;
  Listener enable, commit, disable, destroy;
};

struct InputMethodRelay::Popup {
  wlr_input_popup_surface_v2* wlr;
  wlr_scene_tree* tree;
  input_method::Box sent{-1, -1, -1, -1};  // the last text_input_rectangle sent
  Listener map, unmap, commit, destroy;
  ~Popup() { wlr_scene_node_destroy(&tree->node); }
};

InputMethodRelay::InputMethodRelay(Server& server)
    : server_(server),
      seat_(server.seat->wlr),
      text_inputs_manager_(wlr_text_input_manager_v3_create(server.display)),
      input_methods_(wlr_input_method_manager_v2_create(server.display)) {
  new_text_input_.connect(&text_inputs_manager_->events.new_text_input, [this](void* data) {
    handle_new_text_input(static_cast<wlr_text_input_v3*>(data));
  });
  new_input_method_.connect(&input_methods_->events.new_input_method, [this](void* data) {
    handle_new_input_method(static_cast<wlr_input_method_v2*>(data));
  });
  focus_change_.connect(&seat_->keyboard_state.events.focus_change, [this](void*) { refresh(); });
}

InputMethodRelay::~InputMethodRelay() {
  popups_.clear();
  text_inputs_.clear();
}

bool InputMethodRelay::locked() const { return server_.session_lock && server_.session_lock->locked(); }

void InputMethodRelay::handle_new_text_input(wlr_text_input_v3* wlr) {
  if (wlr->seat != seat_) return;
  auto& text_input = *text_inputs_.emplace_back(std::make_unique<TextInput>(wlr));
  TextInput* self = &text_input;
  text_input.enable.connect(&wlr->events.enable, [this](void*) { update_active(true); });
  text_input.commit.connect(&wlr->events.commit, [this, self](void*) {
    if (active_ == self) update_active(true);
  });
  text_input.disable.connect(&wlr->events.disable, [this](void*) { update_active(false); });
  text_input.destroy.connect(&wlr->events.destroy, [this, self](void*) {
    if (active_ == self) active_ = nullptr;  // update_active deactivates the input method
    text_inputs_.remove_if([self](const auto& t) { return t.get() == self; });
    update_active(false);
  });
  refresh();  // the focused client's new text-input gets enter now
}

void InputMethodRelay::refresh() {
  wlr_surface* focus = input_method_ && !locked() ? seat_->keyboard_state.focused_surface : nullptr;
  for (auto& text_input : text_inputs_) {
    wlr_text_input_v3* ti = text_input->wlr;
    wlr_surface* want = focus && client_of(ti->resource) == client_of(focus->resource) ? focus : nullptr;
    if (ti->focused_surface == want) continue;
    if (ti->focused_surface) wlr_text_input_v3_send_leave(ti);
    if (want) wlr_text_input_v3_send_enter(ti, want);
  }
  update_active(false);
}

void InputMethodRelay::update_active(bool resend) {
  TextInput* active = nullptr;
  bool was_active = input_method_ && input_method_->active;
  if (input_method_ && !locked()) {
    wlr_surface* focus = seat_->keyboard_state.focused_surface;
    for (auto& text_input : text_inputs_)
      if (text_input->wlr->current_enabled && focus && text_input->wlr->focused_surface == focus) {
        active = text_input.get();
        break;
      }
  }
  // A destroyed active text-input left active_ null with the input method still active.
  bool changed = active != active_ || (!active && was_active);
  if (!changed && !resend) return;
  if (changed) {
    if (input_method_ && was_active) {
      wlr_input_method_v2_send_deactivate(input_method_);
      wlr_input_method_v2_send_done(input_method_);
    }
    active_ = active;
    if (active_) wlr_input_method_v2_send_activate(input_method_);
  }
  if (active_) {
    send_state(*active_);
    wlr_input_method_v2_send_done(input_method_);
  }
  place_popups();
}

void InputMethodRelay::send_state(TextInput& text_input) {
  wlr_text_input_v3* ti = text_input.wlr;
  if (ti->active_features & WLR_TEXT_INPUT_V3_FEATURE_SURROUNDING_TEXT)
    wlr_input_method_v2_send_surrounding_text(input_method_, ti->current.surrounding.text ? ti->current.surrounding.text : "",
                                              ti->current.surrounding.cursor, ti->current.surrounding.anchor);
  wlr_input_method_v2_send_text_change_cause(input_method_, ti->current.text_change_cause);
  if (ti->active_features & WLR_TEXT_INPUT_V3_FEATURE_CONTENT_TYPE)
    wlr_input_method_v2_send_content_type(input_method_, ti->current.content_type.hint,
                                          ti->current.content_type.purpose);
}

void InputMethodRelay::handle_new_input_method(wlr_input_method_v2* input_method) {
  if (input_method_ || input_method->seat != seat_) {
    TLOG(WLR_INFO, "input method: refused a second one for the seat (unavailable)");
    wlr_input_method_v2_send_unavailable(input_method);
    return;
  }
  input_method_ = input_method;
  im_commit_.connect(&input_method->events.commit, [this](void*) { handle_input_method_commit(); });
  im_new_popup_.connect(&input_method->events.new_popup_surface, [this](void* data) {
    handle_new_popup(static_cast<wlr_input_popup_surface_v2*>(data));
  });
  im_grab_.connect(&input_method->events.grab_keyboard, [this](void* data) {
    handle_grab(static_cast<wlr_input_method_keyboard_grab_v2*>(data));
  });
  im_destroy_.connect(&input_method->events.destroy, [this](void*) { handle_input_method_gone(); });
  refresh();
}

void InputMethodRelay::handle_input_method_gone() {
  end_grab();
  im_commit_.disconnect();
  im_new_popup_.disconnect();
  im_grab_.disconnect();
  im_destroy_.disconnect();
  popups_.clear();  // wlroots destroys them with the input method
  input_method_ = nullptr;
  active_ = nullptr;
  refresh();  // text-inputs get leave: no input method, no text input
}

void InputMethodRelay::handle_input_method_commit() {
  // Only the active text-input of the focused client hears the input method;
  // while locked, none does.
  if (!active_ || locked() || !input_method_->active) return;
  wlr_text_input_v3* ti = active_->wlr;
  const wlr_input_method_v2_state& state = input_method_->current;
  if (state.preedit.text)
    wlr_text_input_v3_send_preedit_string(ti, state.preedit.text, state.preedit.cursor_begin,
                                          state.preedit.cursor_end);
  if (state.commit_text) wlr_text_input_v3_send_commit_string(ti, state.commit_text);
  if (state.delete_.before_length || state.delete_.after_length)
    wlr_text_input_v3_send_delete_surrounding_text(ti, state.delete_.before_length, state.delete_.after_length);
  wlr_text_input_v3_send_done(ti);
}

void InputMethodRelay::handle_grab(wlr_input_method_keyboard_grab_v2* grab) {
  end_grab();
  grab_ = grab;
  if (wlr_keyboard* keyboard = wlr_seat_get_keyboard(seat_)) wlr_input_method_keyboard_grab_v2_set_keyboard(grab, keyboard);
  grab_destroy_.connect(&grab->events.destroy, [this](void*) { end_grab(); });
}

void InputMethodRelay::end_grab() {
  if (!grab_) return;
  grab_destroy_.disconnect();
  wlr_keyboard* keyboard = grab_->keyboard;
  grab_ = nullptr;
  // The focused client gets the modifiers the grab kept from it.
  if (keyboard) wlr_seat_keyboard_notify_modifiers(seat_, &keyboard->modifiers);
}

bool InputMethodRelay::grab_takes(wlr_keyboard* keyboard) const {
  if (!grab_ || locked()) return false;
  // The input method's own virtual keyboard types what it decided: not back into the grab.
  if (wlr_virtual_keyboard_v1* virtual_keyboard = wlr_input_device_get_virtual_keyboard(&keyboard->base))
    if (client_of(virtual_keyboard->resource) == client_of(grab_->resource)) return false;
  return true;
}

bool InputMethodRelay::forward_key(wlr_keyboard* keyboard, const wlr_keyboard_key_event* event) {
  bool takes = grab_takes(keyboard);
  if (!grabbed_keys_.route(keyboard, event->keycode, event->state == WL_KEYBOARD_KEY_STATE_PRESSED, takes))
    return false;
  wlr_input_method_keyboard_grab_v2_set_keyboard(grab_, keyboard);
  wlr_input_method_keyboard_grab_v2_send_key(grab_, event->time_msec, event->keycode, event->state);
  return true;
}

bool InputMethodRelay::forward_modifiers(wlr_keyboard* keyboard) {
  if (!grab_takes(keyboard)) return false;
  wlr_input_method_keyboard_grab_v2_set_keyboard(grab_, keyboard);
  wlr_input_method_keyboard_grab_v2_send_modifiers(grab_, &keyboard->modifiers);
  return true;
}

void InputMethodRelay::keyboard_destroyed(wlr_keyboard* keyboard) { grabbed_keys_.forget(keyboard); }

void InputMethodRelay::handle_new_popup(wlr_input_popup_surface_v2* wlr) {
  auto& popup = *popups_.emplace_back(std::make_unique<Popup>(wlr, wlr_scene_tree_create(server_.layers.popups)));
  Popup* self = &popup;
  wlr_scene_subsurface_tree_create(popup.tree, wlr->surface);
  wlr_scene_node_set_enabled(&popup.tree->node, false);
  popup.map.connect(&wlr->surface->events.map, [this, self](void*) { place_popup(*self); });
  popup.unmap.connect(&wlr->surface->events.unmap, [this, self](void*) { place_popup(*self); });
  popup.commit.connect(&wlr->surface->events.commit, [this, self](void*) { place_popup(*self); });
  popup.destroy.connect(&wlr->events.destroy, [this, self](void*) {
    popups_.remove_if([self](const auto& p) { return p.get() == self; });
  });
  place_popup(popup);
}

void InputMethodRelay::place_popups() {
  for (auto& popup : popups_) place_popup(*popup);
}

void InputMethodRelay::place_popup(Popup& popup) {
  wlr_surface* surface = popup.wlr->surface;
  int sx = 0, sy = 0;
  if (!active_ || locked() || !surface->mapped || !active_->wlr->focused_surface ||
      !surface_origin(server_.scene, active_->wlr->focused_surface, &sx, &sy)) {
    wlr_scene_node_set_enabled(&popup.tree->node, false);
    return;
  }
  wlr_text_input_v3* ti = active_->wlr;
  input_method::Box cursor{sx, sy, 0, 0};  // no cursor rectangle: the surface's corner
  if (ti->current.features & WLR_TEXT_INPUT_V3_FEATURE_CURSOR_RECTANGLE) {
    const wlr_box& r = ti->current.cursor_rectangle;
    cursor = {sx + r.x, sy + r.y, r.width, r.height};
  }
  input_method::Box area{cursor.x, cursor.y, 1, 1};
  if (Output* output = server_.output_at(cursor.x, cursor.y)) {
    wlr_box box = output->layout_box();
    area = {box.x, box.y, box.width, box.height};
  }
  auto [x, y] = input_method::place_popup(cursor, surface->current.width, surface->current.height, area);
  wlr_scene_node_set_position(&popup.tree->node, x, y);
  wlr_scene_node_raise_to_top(&popup.tree->node);
  wlr_scene_node_set_enabled(&popup.tree->node, true);
  // The popup learns where the cursor is, relative to itself.
  input_method::Box relative{cursor.x - x, cursor.y - y, cursor.width, cursor.height};
  if (relative != popup.sent) {
    popup.sent = relative;
    wlr_box box{relative.x, relative.y, relative.width, relative.height};
    wlr_input_popup_surface_v2_send_text_input_rectangle(popup.wlr, &box);
  }
}

}  // namespace tranche
