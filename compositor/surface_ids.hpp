// One id per wl_surface, for IPC and the log: `tranchectl surfaces`, `explain`
// and `stats` name a surface alike. Stable for the surface's life, never
// reused within an instance.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "listener.hpp"
#include "wlr.hpp"

namespace tranche {

class SurfaceIds {
 public:
  // A new id, for what has no surface yet (an X11 window before Xwayland
  // associates one): give it to the surface later with assign().
  uint64_t fresh() { return ++last_; }
  // The surface's id, given now if it has none.
  uint64_t of(wlr_surface* surface) {
    auto& entry = ids_[surface];
    if (!entry) attach(entry, surface, fresh());
    return entry->id;
  }
  void assign(wlr_surface* surface, uint64_t id) { attach(ids_[surface], surface, id); }

 private:
  struct Entry {
    uint64_t id;
    Listener destroy;
  };
  void attach(std::unique_ptr<Entry>& entry, wlr_surface* surface, uint64_t id) {
    entry = std::make_unique<Entry>();
    entry->id = id;
    entry->destroy.connect(&surface->events.destroy, [this, surface](void*) { ids_.erase(surface); });
  }

  std::unordered_map<wlr_surface*, std::unique_ptr<Entry>> ids_;
  uint64_t last_ = 0;
};

}  // namespace tranche
