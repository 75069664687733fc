// fifo-v1 and commit-timing-v1, implemented by tranche (wlroots has neither).
// One module for both: they hold the same content updates of a surface, which
// must apply in one order (sync/timing_queue is the policy).
//
// A held update is locked with wlr_surface_lock_pending, like an explicit-sync
// acquire wait, so holding one never blocks anything else; an update that both
// waits here and on an acquire point applies when both let it go. The latch is
// an output's composition: Output calls before_latch() as it starts (updates
// whose target time this frame meets apply and are shown in it) and
// after_latch() when it is done (fifo barriers of the surfaces it showed clear,
// and their waiting updates apply for the next frame). A surface shown nowhere
// (occluded, minimised, off-screen) is ticked at 60 Hz instead, so a FIFO
// client keeps running rather than stalling.
#pragma once

#include <cstdint>
#include <memory>

#include <nlohmann/json.hpp>

struct wl_display;
struct wlr_output;

namespace tranche {

class SurfaceTiming {
 public:
  explicit SurfaceTiming(wl_display* display);
  ~SurfaceTiming();
  SurfaceTiming(const SurfaceTiming&) = delete;
  SurfaceTiming& operator=(const SurfaceTiming&) = delete;

  // `present_ns`: when the frame being composed will be presented (CLOCK_MONOTONIC).
  void before_latch(wlr_output* output, int64_t present_ns);
  // The frame composed for `present_ns` is committed. Fifo updates released
  // now show in the next frame; one that also has a target time goes only if
  // that time has passed by `present_ns` (else before_latch takes it later):
  // guessing when the next frame comes could show it early.
  void after_latch(wlr_output* output, int64_t present_ns);

  // For IPC stats: objects, updates held now, and how held ones were released.
  nlohmann::json describe() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tranche
