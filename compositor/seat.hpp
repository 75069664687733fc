// The seat: keyboards (physical and virtual), pointers, the cursor, focus,
// keybindings, and interactive move/resize grabs.
#pragma once

#include <list>
#include <map>
#include <utility>
#include <memory>

#include "listener.hpp"
#include "server.hpp"
#include "tablet.hpp"

namespace tranche {

class Seat;
class LayerSurface;

class Keyboard {
 public:
  Keyboard(Seat& seat, wlr_keyboard* keyboard, bool is_virtual);
  ~Keyboard();
  // Physical keyboards follow the config; virtual ones keep the client's keymap.
  void apply_config(const config::KeyboardConfig& config);

  wlr_keyboard* wlr;
  const bool is_virtual;

 private:
  bool handle_binding(xkb_keysym_t const* syms, int count, uint32_t modifiers);
  Seat& seat_;
  Listener modifiers_, key_, destroy_;
};

class Seat {
 public:
  explicit Seat(Server& server);
  ~Seat();

  void add_input_device(wlr_input_device* device);
  void add_virtual_keyboard(wlr_virtual_keyboard_v1* keyboard);
  void add_virtual_pointer(wlr_virtual_pointer_v1_new_pointer_event* event);
  void add_pointer_constraint(wlr_pointer_constraint_v1* constraint);
  void remove_keyboard(Keyboard* keyboard);
  void use_keyboard(wlr_keyboard* keyboard);  // the one whose keymap clients get
  void apply_config(const config::Config& config);

  // Keyboard focus, nullptr clears; while the session is locked only a lock surface gets it.
  void focus_surface(wlr_surface* surface);
  void focus_lock_surface(wlr_surface* surface);  // a lock surface, over any layer's claim
  // The session was locked or unlocked: grabs end, and no surface the lock
  // does not allow keeps the keyboard, the pointer or a touch contact.
  void lock_changed();
  // A keyboard-shortcuts-inhibit request of the focused surface is active: key
  // bindings (but VT switching) go to it (VMs, remote desktops).
  bool shortcuts_inhibited() const;
  wl_global* shortcuts_inhibit_global() const { return shortcuts_inhibit_->global; }
  void focus_layer(LayerSurface* layer);
  void begin_move(View& view);
  void begin_resize(View& view, uint32_t edges);
  void view_resized(View& view, const wlr_box& before, const wlr_box& after);
  void view_unmapped(View& view);
  void layer_unmapped(LayerSurface& layer);
  // Re-evaluates pointer focus, e.g. after windows moved under a still cursor.
  void refresh_pointer(uint32_t time_msec);
  // The same, once the current batch of changes is done (coalesced; not during grabs).
  void schedule_pointer_refresh();
  // After a GPU reset the cursor image went with its texture: it is set again.
  void renderer_changed();
  // A surface is going away: touch contacts on it end, the pointer may be elsewhere.
  void surface_destroyed(wlr_surface* surface);
  // A button of another device acting as the pointer (a tablet tool's tip on a
  // surface that takes no tablet input): goes where a real click would.
  void emulate_button(uint32_t time_msec, uint32_t button, bool pressed);

  Server& server;
  wlr_seat* wlr;
  wlr_cursor* cursor;
  wlr_xcursor_manager* xcursor;

 private:
  enum class Grab { None, Move, Resize };
  void handle_motion(uint32_t time_msec, double dx, double dy, double dx_unaccel, double dy_unaccel,
                     wlr_input_device* device);
  void handle_button(wlr_pointer_button_event* event);
  void update_capabilities();
  void end_grab();
  bool pointer_locked(double* dx, double* dy);  // confinement shortens the motion
  void connect_touch();
  void end_touches(wlr_surface* only);  // nullptr: every contact
  bool has_touch_ = false;
  std::map<int32_t, std::pair<double, double>> touch_origins_;  // surface origin per contact

  std::list<std::unique_ptr<Keyboard>> keyboards_;
  std::unique_ptr<Tablets> tablets_;
  bool has_pointer_ = false;
  LayerSurface* focused_layer_ = nullptr;
  wlr_pointer_constraint_v1* active_constraint_ = nullptr;

  Grab grab_ = Grab::None;
  View* grab_view_ = nullptr;
  double grab_x_ = 0, grab_y_ = 0;  // cursor at grab start
  wlr_box grab_box_{};             // view geometry at grab start
  uint32_t grab_edges_ = 0;

  wlr_scene_tree* drag_icons_;
  wl_event_source* refresh_idle_ = nullptr;
  double press_x_ = 0, press_y_ = 0;  // layout origin of the surface a held button grabs
  Listener motion_, motion_absolute_, button_, axis_, frame_;
  Listener touch_down_, touch_up_, touch_motion_, touch_cancel_, touch_frame_;
  Listener request_cursor_, request_selection_, request_primary_selection_;
  Listener request_start_drag_, start_drag_, cursor_shape_;
  Listener constraint_destroy_;
  void connect_gestures();
  void update_shortcuts_inhibitors();
  wlr_pointer_gestures_v1* gestures_;
  wlr_keyboard_shortcuts_inhibit_manager_v1* shortcuts_inhibit_;
  Listener new_shortcuts_inhibitor_, keyboard_focus_change_;
  Listener swipe_begin_, swipe_update_, swipe_end_, pinch_begin_, pinch_update_, pinch_end_, hold_begin_, hold_end_;
};

}  // namespace tranche
