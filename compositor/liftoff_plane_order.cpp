// The order libliftoff learns about a device's planes, which wlroots 0.18 gets
// wrong for drivers without a "zpos" plane property (vkms).
//
// libliftoff 0.5 guesses such a plane's zpos from the planes created before
// it: primary 0, cursor 2, an overlay 1 — or 0 when no plane exists yet.
// wlroots creates the planes no CRTC uses first and each CRTC's primary
// later, so the first overlay plane is guessed level with the primary, and
// libliftoff then happily puts the composited frame there and the window on
// the primary plane: the driver blends the overlay on top and the window is
// hidden. tranche's executable creates a device's primary planes before any
// other plane, so every overlay is guessed above them, and hands wlroots the
// plane it created early when wlroots asks for it. Linked into the tranche
// executable only, like plane_search_budget.cpp.
#include <xf86drmMode.h>

extern "C" {
#include <libliftoff.h>  // no extern "C" of its own
}

#include <map>

#include "interpose.hpp"
#include "liftoff_crtc_scope.hpp"
#include "scanout/kms_planes.hpp"

namespace {

using tranche::next_symbol;

struct Device {
  int fd;
  bool primaries_created = false;
  std::map<uint32_t, liftoff_plane*> early;  // primary planes created ahead of wlroots
};
std::map<liftoff_device*, Device> devices;

}  // namespace

int tranche::liftoff_device_fd(liftoff_device* device) {
  auto it = devices.find(device);
  return it == devices.end() ? -1 : it->second.fd;
}

extern "C" __attribute__((visibility("default"))) liftoff_device* liftoff_device_create(int drm_fd) {
  static auto real = next_symbol<liftoff_device* (*)(int)>("liftoff_device_create");
  liftoff_device* device = real ? real(drm_fd) : nullptr;
  if (device) devices[device] = Device{drm_fd};
  return device;
}

extern "C" __attribute__((visibility("default"))) void liftoff_device_destroy(liftoff_device* device) {
  static auto real = next_symbol<void (*)(liftoff_device*)>("liftoff_device_destroy");
  devices.erase(device);
  if (real) real(device);
}

extern "C" __attribute__((visibility("default"))) liftoff_plane* liftoff_plane_create(liftoff_device* device,
                                                                                      uint32_t id) {
  static auto real = next_symbol<liftoff_plane* (*)(liftoff_device*, uint32_t)>("liftoff_plane_create");
  if (!real) return nullptr;
  auto it = devices.find(device);
  if (it == devices.end()) return real(device, id);
  Device& dev = it->second;
  if (auto early = dev.early.find(id); early != dev.early.end()) {
    liftoff_plane* plane = early->second;
    dev.early.erase(early);
    return plane;
  }
  if (!dev.primaries_created) {
    dev.primaries_created = true;
    for (uint32_t primary : tranche::scanout::primary_plane_ids(dev.fd))
      if (primary != id)
        if (liftoff_plane* plane = real(device, primary)) dev.early[primary] = plane;
  }
  return real(device, id);
}

extern "C" __attribute__((visibility("default"))) void liftoff_plane_destroy(liftoff_plane* plane) {
  static auto real = next_symbol<void (*)(liftoff_plane*)>("liftoff_plane_destroy");
  for (auto& [device, dev] : devices)
    std::erase_if(dev.early, [&](const auto& entry) { return entry.second == plane; });
  if (real) real(plane);
}
