// One output's libliftoff commit touches only that output's CRTC.
//
// libliftoff keeps one plane state per device and, in liftoff_output_apply(),
// writes the current state of every allocated plane into the request — also
// the planes other outputs' layers hold. The kernel then adds those outputs'
// CRTCs to the commit: a nonblocking commit fails with EBUSY while their own
// page flip is pending, and when it goes through the kernel sends a page-flip
// event for each CRTC with this output's user data. wlroots 0.20 frees its
// page-flip record after the event for its own CRTC, and the other event then
// writes to freed memory (tranche crashed at start on a vkms device with two
// CRTCs and overlays on). So while liftoff_output_apply runs for a CRTC, the
// property writes to planes another CRTC shows are dropped: they only repeat
// what KMS already has. A write that would move such a plane to this CRTC
// cannot be dropped silently (the output would count on a plane it does not
// get): it makes libliftoff's test commits fail until libliftoff rolls the
// request back past it, so that plane is not chosen. Linked into the tranche
// executable only, like plane_search_budget.cpp.
#include "liftoff_crtc_scope.hpp"

#include <xf86drm.h>
#include <xf86drmMode.h>

extern "C" {
#include <libliftoff.h>  // no extern "C" of its own
}

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include "interpose.hpp"

namespace {

using tranche::next_symbol;

struct OutputInfo {
  liftoff_device* device;
  uint32_t crtc;
};
std::map<liftoff_output*, OutputInfo> outputs;

// The apply in progress (the compositor is single-threaded; libliftoff calls
// back only from inside liftoff_output_apply).
struct Scope {
  drmModeAtomicReq* req = nullptr;
  uint32_t crtc = 0;
  uint32_t crtc_id_prop = 0;
  std::map<uint32_t, uint32_t> foreign;  // plane id -> the other CRTC showing it now
  uint32_t dropping = 0;   // a plane libliftoff is putting on another CRTC
  bool conflict = false;
  int conflict_cursor = 0;  // the request's cursor where the dropped move would have gone
};
Scope* active = nullptr;
std::map<liftoff_device*, uint32_t> crtc_id_props;  // fixed per device

uint32_t crtc_id_property(int fd, liftoff_device* device, uint32_t plane_id) {
  if (auto it = crtc_id_props.find(device); it != crtc_id_props.end()) return it->second;
  std::unique_ptr<drmModeObjectProperties, decltype(&drmModeFreeObjectProperties)> props(
      drmModeObjectGetProperties(fd, plane_id, DRM_MODE_OBJECT_PLANE), drmModeFreeObjectProperties);
  if (!props) return 0;
  for (uint32_t i = 0; i < props->count_props; ++i) {
    std::unique_ptr<drmModePropertyRes, decltype(&drmModeFreeProperty)> prop(drmModeGetProperty(fd, props->props[i]),
                                                                              drmModeFreeProperty);
    if (prop && std::strcmp(prop->name, "CRTC_ID") == 0) return crtc_id_props[device] = prop->prop_id;
  }
  return 0;
}

// Whether a property write of libliftoff's goes into the request.
bool keep(Scope& s, drmModeAtomicReq* req, uint32_t object, uint32_t property, uint64_t value) {
  bool crtc_write = property == s.crtc_id_prop;
  if (auto it = s.foreign.find(object); it != s.foreign.end()) {
    if (crtc_write && value == s.crtc && !s.conflict) {  // a move from the other CRTC to ours
      s.conflict = true;
      s.conflict_cursor = drmModeAtomicGetCursor(req);
    }
    return false;
  }
  // plane_apply writes CRTC_ID first: a plane another output's layer holds
  // but KMS has not shown yet (that output's test commit chose it).
  if (crtc_write) {
    s.dropping = value != 0 && value != s.crtc ? object : 0;
    return s.dropping == 0;
  }
  if (object == s.dropping) return false;
  s.dropping = 0;
  return true;
}

}  // namespace

namespace tranche {

LiftoffApplyScope::LiftoffApplyScope(liftoff_output* output, drmModeAtomicReq* req) {
  auto it = outputs.find(output);
  int fd = it == outputs.end() ? -1 : liftoff_device_fd(it->second.device);
  if (fd < 0 || active) return;
  std::unique_ptr<drmModePlaneRes, decltype(&drmModeFreePlaneResources)> res(drmModeGetPlaneResources(fd),
                                                                           drmModeFreePlaneResources);
  if (!res || res->count_planes == 0) return;
  auto scope = std::make_unique<Scope>();
  scope->req = req;
  scope->crtc = it->second.crtc;
  scope->crtc_id_prop = crtc_id_property(fd, it->second.device, res->planes[0]);
  if (!scope->crtc_id_prop) return;
  for (uint32_t i = 0; i < res->count_planes; ++i) {
    std::unique_ptr<drmModePlane, decltype(&drmModeFreePlane)> plane(drmModeGetPlane(fd, res->planes[i]),
                                                                     drmModeFreePlane);
    if (plane && plane->crtc_id != 0 && plane->crtc_id != scope->crtc)
      scope->foreign[plane->plane_id] = plane->crtc_id;
  }
  scope_ = scope.release();
  active = static_cast<Scope*>(scope_);
}

LiftoffApplyScope::~LiftoffApplyScope() {
  if (!scope_) return;
  active = nullptr;
  delete static_cast<Scope*>(scope_);
}

}  // namespace tranche

extern "C" __attribute__((visibility("default"))) liftoff_output* liftoff_output_create(liftoff_device* device,
                                                                                       uint32_t crtc_id) {
  static auto real = next_symbol<liftoff_output* (*)(liftoff_device*, uint32_t)>("liftoff_output_create");
  liftoff_output* output = real ? real(device, crtc_id) : nullptr;
  if (output) outputs[output] = {device, crtc_id};
  return output;
}

extern "C" __attribute__((visibility("default"))) void liftoff_output_destroy(liftoff_output* output) {
  static auto real = next_symbol<void (*)(liftoff_output*)>("liftoff_output_destroy");
  outputs.erase(output);
  if (real) real(output);
}

extern "C" __attribute__((visibility("default"))) int drmModeAtomicAddProperty(drmModeAtomicReqPtr req,
                                                                              uint32_t object_id,
                                                                              uint32_t property_id,
                                                                              uint64_t value) {
  static auto real = next_symbol<int (*)(drmModeAtomicReqPtr, uint32_t, uint32_t, uint64_t)>(
      "drmModeAtomicAddProperty");
  if (active && req == active->req && !keep(*active, req, object_id, property_id, value))
    return drmModeAtomicGetCursor(req);  // dropped, as if added
  return real ? real(req, object_id, property_id, value) : -ENOSYS;
}

extern "C" __attribute__((visibility("default"))) void drmModeAtomicSetCursor(drmModeAtomicReqPtr req, int cursor) {
  static auto real = next_symbol<void (*)(drmModeAtomicReqPtr, int)>("drmModeAtomicSetCursor");
  if (active && req == active->req && active->conflict && cursor <= active->conflict_cursor) active->conflict = false;
  if (real) real(req, cursor);
}

extern "C" __attribute__((visibility("default"))) int drmModeAtomicCommit(int fd, drmModeAtomicReqPtr req,
                                                                         uint32_t flags, void* user_data) {
  static auto real = next_symbol<int (*)(int, drmModeAtomicReqPtr, uint32_t, void*)>("drmModeAtomicCommit");
  if (active && req == active->req && active->conflict) return -EINVAL;
  return real ? real(fd, req, flags, user_data) : -ENOSYS;
}
