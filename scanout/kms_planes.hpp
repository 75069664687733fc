// Reads an output's planes from KMS (libdrm, no wlroots): which planes its
// CRTC can use, their types and IN_FORMATS. Read-only queries, so it works
// whether or not we are DRM master.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "plane_model.hpp"

namespace tranche::scanout {

// The planes usable by the CRTC currently driving `connector_id` on `drm_fd`:
// primary, overlays (zpos order when the driver exposes zpos), cursor.
std::expected<std::vector<Plane>, std::string> read_kms_planes(int drm_fd, uint32_t connector_id);

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
