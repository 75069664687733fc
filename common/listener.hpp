// RAII wrapper around wl_listener: connected on construction or connect(),
// disconnected when the owner dies, so no listener outlives its object.
#pragma once

#include <functional>
#include <utility>

#include <wayland-server-core.h>

namespace tranche {

class Listener {
 public:
  using Callback = std::function<void(void* data)>;

  Listener() { wl_list_init(&slot_.listener.link); }
  Listener(wl_signal* signal, Callback callback) : Listener() { connect(signal, std::move(callback)); }
  ~Listener() { disconnect(); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void connect(wl_signal* signal, Callback callback) { wl_signal_add(signal, arm(std::move(callback))); }

  // For objects whose destroy signal is reached only through an add function
  // (wl_display, wl_client).
  void connect_display_destroy(wl_display* display, Callback callback) {
    wl_display_add_destroy_listener(display, arm(std::move(callback)));
  }

  void disconnect() {
    wl_list_remove(&slot_.listener.link);
    wl_list_init(&slot_.listener.link);
  }

  bool connected() const { return !wl_list_empty(&slot_.listener.link); }

 private:
  wl_listener* arm(Callback callback) {
    disconnect();
    callback_ = std::move(callback);
    slot_.self = this;
    slot_.listener.notify = &Listener::notify;
    return &slot_.listener;
  }

  struct Slot {
    wl_listener listener;
    Listener* self;
  };
  static void notify(wl_listener* listener, void* data) {
    Slot* slot = wl_container_of(listener, slot, listener);
    // Copy: the callback may destroy this Listener (an object dying on `destroy`).
    Callback callback = slot->self->callback_;
    callback(data);
  }

  Slot slot_{};
  Callback callback_;
};

}  // namespace tranche
