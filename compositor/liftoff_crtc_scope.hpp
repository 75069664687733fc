// See liftoff_crtc_scope.cpp: keeps one output's libliftoff commit off the
// other CRTCs of its device. Only the tranche executable has the hooks.
#pragma once

#include <xf86drmMode.h>

struct liftoff_device;
struct liftoff_output;

namespace tranche {

// For the duration of one liftoff_output_apply(output, req, ...).
class LiftoffApplyScope {
 public:
  LiftoffApplyScope(liftoff_output* output, drmModeAtomicReq* req);
  ~LiftoffApplyScope();
  LiftoffApplyScope(const LiftoffApplyScope&) = delete;
  LiftoffApplyScope& operator=(const LiftoffApplyScope&) = delete;

 private:
  void* scope_ = nullptr;
};

// The DRM fd a liftoff_device was created with (liftoff_plane_order.cpp
// records it); -1 when unknown.
int liftoff_device_fd(liftoff_device* device);

}  // namespace tranche
