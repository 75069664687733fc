// Reads an output's planes from KMS (libdrm, no wlroots): which planes its
// CRTC can use, their types and IN_FORMATS. Read-only queries, so it works
// whether or not we are DRM master.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plane_model.hpp"

namespace tranche::scanout {

// The CRTC currently driving `connector_id` (its KMS object id); an error
// when the connector is off.
std::expected<uint32_t, std::string> connector_crtc(int fd, uint32_t connector_id);

// The planes usable by the CRTC currently driving `connector_id` on `drm_fd`:
// primary, overlays (zpos order when the driver exposes zpos), cursor.
std::expected<std::vector<Plane>, std::string> read_kms_planes(int drm_fd, uint32_t connector_id);

// Names of KMS property ids, which are fixed per device: a cache passed to
// read_properties, so the kernel is asked for each name once.
using PropertyNames = std::map<uint32_t, std::string>;

// Current values of a KMS object's properties, by name.
struct Properties {
  std::vector<std::pair<std::string, uint64_t>> values;
  std::optional<uint64_t> get(std::string_view name) const;
};
// Empty when the object has none or on error.
Properties read_properties(int drm_fd, uint32_t object_id, uint32_t object_type, PropertyNames* names = nullptr);

// Ids of the device's primary planes (the fd needs DRM_CLIENT_CAP_UNIVERSAL_PLANES).
std::vector<uint32_t> primary_plane_ids(int drm_fd);

// dev_t of the device behind a DRM fd (0 on error).
uint64_t drm_fd_device(int drm_fd);

// "/dev/dri/card0" for a dev_t, or "" when unknown.
std::string drm_device_path(uint64_t device);

// Whether two DRM fds lead to the same device (GPU or display controller). A
// card node and its render node have different dev_t, so comparing
// drm_fd_device() of the KMS fd with the renderer's (a render node) says
// "other device" even for one GPU; this compares the devices themselves
// (libdrm's bus info), falling back to dev_t equality when that is unknown.
bool same_drm_device(int fd_a, int fd_b);

}  // namespace tranche::scanout
