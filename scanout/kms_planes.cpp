// Read-only KMS queries through libdrm. Nothing here changes display state;
// the only per-file setting touched is the universal-planes client cap, which
// wlroots sets on its own DRM fd anyway.
#include "kms_planes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <tuple>

namespace tranche::scanout {

namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const { Free(p); }
};
using ResourcesPtr = std::unique_ptr<drmModeRes, Deleter<drmModeFreeResources>>;
using ConnectorPtr = std::unique_ptr<drmModeConnector, Deleter<drmModeFreeConnector>>;
using EncoderPtr = std::unique_ptr<drmModeEncoder, Deleter<drmModeFreeEncoder>>;
using PlaneResPtr = std::unique_ptr<drmModePlaneRes, Deleter<drmModeFreePlaneResources>>;
using PlanePtr = std::unique_ptr<drmModePlane, Deleter<drmModeFreePlane>>;
using PropsPtr = std::unique_ptr<drmModeObjectProperties, Deleter<drmModeFreeObjectProperties>>;
using PropPtr = std::unique_ptr<drmModePropertyRes, Deleter<drmModeFreeProperty>>;
using BlobPtr = std::unique_ptr<drmModePropertyBlobRes, Deleter<drmModeFreePropertyBlob>>;

std::string failed(const std::string& what) {
  return what + ": " + std::strerror(errno ? errno : ENODEV);
}

std::expected<int, std::string> crtc_index(int fd, uint32_t crtc_id) {
  errno = 0;
  ResourcesPtr res(drmModeGetResources(fd));
  if (!res) return std::unexpected(failed("drmModeGetResources"));
  for (int i = 0; i < res->count_crtcs; ++i)
    if (res->crtcs[i] == crtc_id) return i;
  return std::unexpected("CRTC " + std::to_string(crtc_id) + " is not in the device's resources");
}

PlaneType plane_type(uint64_t value) {
  switch (value) {
    case DRM_PLANE_TYPE_PRIMARY: return PlaneType::Primary;
    case DRM_PLANE_TYPE_CURSOR: return PlaneType::Cursor;
    default: return PlaneType::Overlay;
  }
}

// IN_FORMATS when the driver has it (format + modifier pairs); otherwise the
// legacy format list, which only promises the driver's implicit layout.
FormatSet plane_formats(int fd, const drmModePlane& plane, std::optional<uint64_t> in_formats) {
  FormatSet formats;
  if (in_formats && *in_formats) {
    BlobPtr blob(drmModeGetPropertyBlob(fd, static_cast<uint32_t>(*in_formats)));
    if (blob) {
      drmModeFormatModifierIterator iter{};
      while (drmModeFormatModifierBlobIterNext(blob.get(), &iter)) formats.add(iter.fmt, iter.mod);
      if (!formats.empty()) return formats;
    }
  }
  for (uint32_t i = 0; i < plane.count_formats; ++i) formats.add(plane.formats[i], kModifierInvalid);
  return formats;
}

struct FoundPlane {
  Plane plane;
  uint64_t zpos = 0;
  bool on_crtc = false;  // currently bound to our CRTC
};

int type_rank(PlaneType type) {
  switch (type) {
    case PlaneType::Primary: return 0;
    case PlaneType::Overlay: return 1;
    case PlaneType::Cursor: return 2;
  }
  return 3;
}

// Primary and cursor planes may be usable by several CRTCs; the output owns
// one of each. Prefer the one bound to our CRTC now, else the first.
void keep_one(std::vector<FoundPlane>& found, PlaneType type) {
  auto is_type = [type](const FoundPlane& p) { return p.plane.type == type; };
  auto keep = std::ranges::find_if(found, [&](const FoundPlane& p) { return is_type(p) && p.on_crtc; });
  if (keep == found.end()) keep = std::ranges::find_if(found, is_type);
  if (keep == found.end()) return;
  uint32_t keep_id = keep->plane.id;
  std::erase_if(found, [&](const FoundPlane& p) { return is_type(p) && p.plane.id != keep_id; });
}

}  // namespace

// The CRTC driving the connector: the legacy encoder link, or, when that is
// not set, the atomic CRTC_ID property (only listed for atomic clients).
std::expected<uint32_t, std::string> connector_crtc(int fd, uint32_t connector_id) {
  errno = 0;
  // "Current": no forced probe, which can be slow and make a monitor blink.
  ConnectorPtr connector(drmModeGetConnectorCurrent(fd, connector_id));
  if (!connector) return std::unexpected(failed("connector " + std::to_string(connector_id)));
  if (connector->encoder_id) {
    EncoderPtr encoder(drmModeGetEncoder(fd, connector->encoder_id));
    if (encoder && encoder->crtc_id) return encoder->crtc_id;
  }
  auto crtc = read_properties(fd, connector_id, DRM_MODE_OBJECT_CONNECTOR).get("CRTC_ID");
  if (crtc && *crtc) return static_cast<uint32_t>(*crtc);
  return std::unexpected("connector " + std::to_string(connector_id) + " has no CRTC (disabled?)");
}

std::optional<uint64_t> Properties::get(std::string_view name) const {
  for (const auto& [n, v] : values)
    if (n == name) return v;
  return std::nullopt;
}

Properties read_properties(int fd, uint32_t object_id, uint32_t object_type, PropertyNames* names) {
  Properties out;
  PropsPtr props(drmModeObjectGetProperties(fd, object_id, object_type));
  if (!props) return out;
  for (uint32_t i = 0; i < props->count_props; ++i) {
    uint32_t id = props->props[i];
    std::string name;
    if (auto known = names ? names->find(id) : PropertyNames::iterator{}; names && known != names->end()) {
      name = known->second;
    } else {
      PropPtr prop(drmModeGetProperty(fd, id));
      if (!prop) continue;
      name = prop->name;
      if (names) names->emplace(id, name);
    }
    out.values.emplace_back(std::move(name), props->prop_values[i]);
  }
  return out;
}

std::vector<uint32_t> primary_plane_ids(int drm_fd) {
  std::vector<uint32_t> ids;
  PlaneResPtr res(drmModeGetPlaneResources(drm_fd));
  if (!res) return ids;
  for (uint32_t i = 0; i < res->count_planes; ++i)
    if (read_properties(drm_fd, res->planes[i], DRM_MODE_OBJECT_PLANE).get("type") == DRM_PLANE_TYPE_PRIMARY)
      ids.push_back(res->planes[i]);
  return ids;
}

std::expected<std::vector<Plane>, std::string> read_kms_planes(int drm_fd, uint32_t connector_id) {
  // Without it, primary and cursor planes are hidden from the plane list.
  if (drmSetClientCap(drm_fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) != 0)
    return std::unexpected(failed("DRM_CLIENT_CAP_UNIVERSAL_PLANES"));
  auto crtc = connector_crtc(drm_fd, connector_id);
  if (!crtc) return std::unexpected(crtc.error());
  auto index = crtc_index(drm_fd, *crtc);
  if (!index) return std::unexpected(index.error());

  errno = 0;
  PlaneResPtr res(drmModeGetPlaneResources(drm_fd));
  if (!res) return std::unexpected(failed("drmModeGetPlaneResources"));
  std::vector<FoundPlane> found;
  for (uint32_t i = 0; i < res->count_planes; ++i) {
    PlanePtr plane(drmModeGetPlane(drm_fd, res->planes[i]));
    if (!plane || !(plane->possible_crtcs & (1u << *index))) continue;
    Properties props = read_properties(drm_fd, plane->plane_id, DRM_MODE_OBJECT_PLANE);
    FoundPlane p;
    p.plane.id = plane->plane_id;
    p.plane.type = plane_type(props.get("type").value_or(DRM_PLANE_TYPE_OVERLAY));
    p.plane.formats = plane_formats(drm_fd, *plane, props.get("IN_FORMATS"));
    p.zpos = props.get("zpos").value_or(0);
    p.on_crtc = plane->crtc_id == *crtc;
    found.push_back(std::move(p));
  }
  keep_one(found, PlaneType::Primary);
  keep_one(found, PlaneType::Cursor);
  std::ranges::sort(found, [](const FoundPlane& a, const FoundPlane& b) {
    return std::tuple(type_rank(a.plane.type), a.zpos, a.plane.id) <
           std::tuple(type_rank(b.plane.type), b.zpos, b.plane.id);
  });

  std::vector<Plane> planes;
  for (FoundPlane& p : found) planes.push_back(std::move(p.plane));
  return planes;
}

uint64_t drm_fd_device(int drm_fd) {
  struct stat st{};
  if (fstat(drm_fd, &st) != 0 || !S_ISCHR(st.st_mode)) return 0;
  return st.st_rdev;
}

std::string drm_device_path(uint64_t device) {
  if (device == 0) return "";
  namespace fs = std::filesystem;
  std::vector<std::string> nodes;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/dev/dri", ec))
    nodes.push_back(entry.path().string());
  // A KMS device is best named by its card node; render nodes come after.
  auto is_card = [](const std::string& path) {
    return fs::path(path).filename().string().starts_with("card");
  };
  std::ranges::sort(nodes, [&](const std::string& a, const std::string& b) {
    return std::pair(!is_card(a), a) < std::pair(!is_card(b), b);
  });
  for (const std::string& node : nodes) {
    struct stat st{};
    if (stat(node.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == device) return node;
  }
  return "";
}

bool same_drm_device(int fd_a, int fd_b) {
  uint64_t a = drm_fd_device(fd_a), b = drm_fd_device(fd_b);
  if (a != 0 && a == b) return true;
  drmDevicePtr dev_a = nullptr, dev_b = nullptr;
  // Flags 0: no PCI revision read, which could wake a sleeping GPU.
  bool same = false;
  if (drmGetDevice2(fd_a, 0, &dev_a) == 0 && drmGetDevice2(fd_b, 0, &dev_b) == 0)
    same = drmDevicesEqual(dev_a, dev_b) != 0;
  drmFreeDevice(&dev_a);
  drmFreeDevice(&dev_b);
  return same;
}

}  // namespace tranche::scanout
