// Input methods (fcitx5, ibus, any IME): the relay between text-input-v3 (the
// application's text field) and input-method-v2 (the IME client) on the seat.
//
// Text-inputs of the client with keyboard focus get `enter` for the focused
// surface while an input method is bound and the session is unlocked; the
// enabled one of them is active: the input method gets activate, its
// surrounding text, content type and done, and its commit_string,
// preedit_string and delete_surrounding_text go to that text-input only. One
// input method per seat: a second one gets `unavailable`. Its keyboard grab
// gets the keys compositor bindings did not take, never while locked, and never
// the keys of its own virtual keyboard (those are what it types). Its popups
// (candidate windows) sit in the popup layer next to the active text-input's
// cursor rectangle while it is active.
#pragma once

#include <list>
#include <memory>

#include "input_method_policy.hpp"
#include "listener.hpp"
#include "wlr.hpp"

namespace tranche {

class Server;

class InputMethodRelay {
 public:
  explicit InputMethodRelay(Server& server);  // after the seat exists
  ~InputMethodRelay();
  InputMethodRelay(const InputMethodRelay&) = delete;
  InputMethodRelay& operator=(const InputMethodRelay&) = delete;

  // A key the bindings did not take: true when it went to the keyboard grab.
  bool forward_key(wlr_keyboard* keyboard, const wlr_keyboard_key_event* event);
  bool forward_modifiers(wlr_keyboard* keyboard);
  void keyboard_destroyed(wlr_keyboard* keyboard);
  // The session was locked or unlocked (Seat::lock_changed).
  void lock_changed() { refresh(); }

  wl_global* input_method_global() const { return input_methods_->global; }

 private:
  struct TextInput;
  struct Popup;

  bool locked() const;
  // Recomputes enter/leave and the active text-input from the keyboard focus.
  void refresh();
  // Re-evaluates the active text-input; `resend`: its state changed.
  void update_active(bool resend);
  void send_state(TextInput& text_input);
  void handle_new_text_input(wlr_text_input_v3* text_input);
  void handle_new_input_method(wlr_input_method_v2* input_method);
  void handle_input_method_commit();
  void handle_input_method_gone();
  void handle_grab(wlr_input_method_keyboard_grab_v2* grab);
  void end_grab();
  void handle_new_popup(wlr_input_popup_surface_v2* popup);
  void place_popup(Popup& popup);
  void place_popups();
  bool grab_takes(wlr_keyboard* keyboard) const;

  Server& server_;
  wlr_seat* seat_;
  wlr_text_input_manager_v3* text_inputs_manager_;
  wlr_input_method_manager_v2* input_methods_;
  std::list<std::unique_ptr<TextInput>> text_inputs_;
  TextInput* active_ = nullptr;
  wlr_input_method_v2* input_method_ = nullptr;
  wlr_input_method_keyboard_grab_v2* grab_ = nullptr;
  input_method::GrabbedKeys grabbed_keys_;
  std::list<std::unique_ptr<Popup>> popups_;

  Listener new_text_input_, new_input_method_, focus_change_;
  Listener im_commit_, im_new_popup_, im_grab_, im_destroy_, grab_destroy_;
};

}  // namespace tranche
