// Explicit sync: tranche's own linux-drm-syncobj-v1 (wp_linux_drm_syncobj_manager_v1).
//
// A commit with an acquire point is held (wlr_surface_lock_pending) until the
// point has *signalled* — an eventfd in the event loop, never a blocking wait —
// so the surface keeps its last good frame and nothing else waits. A release
// point is signalled once tranche no longer reads the buffer. Fences that never
// signal meet the stall policy the owner supplies (sync/wait_policy).
// Offered when the backend's DRM device has timeline syncobjs and syncobj
// eventfds, whatever the renderer: waiting and signalling happen on the CPU side.
#pragma once

#include <functional>
#include <memory>

#include <nlohmann/json.hpp>

#include "sync/wait_policy.hpp"

struct wl_display;
struct wlr_backend;

namespace tranche {

class ExplicitSync {
 public:
  // Called whenever a wait is judged, so a reloaded configuration applies to
  // the waits already running.
  using StallSettingsSource = std::function<sync::StallSettings()>;
  // On the backend's KMS device, when it has one (the compositor's path).
  ExplicitSync(wl_display* display, wlr_backend* backend, StallSettingsSource settings);
  // On a DRM device the caller names, whatever the backend: a headless tranche
  // with syncobjs (the fuzzer in a VM). The fd is duplicated; the caller keeps its own.
  struct DrmFd {
    int fd;
  };
  ExplicitSync(wl_display* display, DrmFd device, StallSettingsSource settings);
  ~ExplicitSync();
  ExplicitSync(const ExplicitSync&) = delete;
  ExplicitSync& operator=(const ExplicitSync&) = delete;

  bool offered() const;
  // For IPC (explain/stats): whether the global is offered and why not, which
  // surfaces wait on which point for how long, and counters.
  nlohmann::json describe() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tranche
