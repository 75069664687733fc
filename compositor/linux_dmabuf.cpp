#include "linux_dmabuf.hpp"

#include <drm_fourcc.h>
#include <fcntl.h>
#include <unistd.h>
#include <cstring>
#include <xf86drm.h>

#include "dmabuf_params.hpp"
#include "renderer_info.hpp"
#include "scanout/kms_planes.hpp"
#include "server.hpp"

namespace tranche {

namespace {

// A wlr_buffer that only describes the client's dma-buf, so the renderer can
// try to import it before the client is told `created`. It does not own the fds.
struct ProbeBuffer {
  wlr_buffer base;
  wlr_dmabuf_attributes attributes;
};

void probe_destroy(wlr_buffer*) {}  // lives on the stack of test_import
bool probe_get_dmabuf(wlr_buffer* buffer, wlr_dmabuf_attributes* out) {
  *out = reinterpret_cast<ProbeBuffer*>(buffer)->attributes;
  return true;
}
const wlr_buffer_impl kProbeImpl = {
    .destroy = probe_destroy,
    .get_dmabuf = probe_get_dmabuf,
};

// Planes per format for the single-plane RGB formats clients use; 0 when we do
// not know (multi-planar YUV, vendor modifiers with aux planes): the import decides.
int expected_planes(uint32_t format, uint64_t modifier) {
  if (modifier != scanout::kModifierLinear && modifier != scanout::kModifierInvalid) return 0;
  switch (format) {
    case DRM_FORMAT_ARGB8888: case DRM_FORMAT_XRGB8888: case DRM_FORMAT_ABGR8888: case DRM_FORMAT_XBGR8888:
    case DRM_FORMAT_RGBA8888: case DRM_FORMAT_RGBX8888: case DRM_FORMAT_BGRA8888: case DRM_FORMAT_BGRX8888:
    case DRM_FORMAT_ARGB2101010: case DRM_FORMAT_XRGB2101010: case DRM_FORMAT_ABGR2101010: case DRM_FORMAT_XBGR2101010:
    case DRM_FORMAT_RGB565: case DRM_FORMAT_BGR565:
    case DRM_FORMAT_ARGB16161616F: case DRM_FORMAT_XRGB16161616F: case DRM_FORMAT_ABGR16161616F: case DRM_FORMAT_XBGR16161616F:
    case DRM_FORMAT_ARGB16161616: case DRM_FORMAT_XRGB16161616: case DRM_FORMAT_ABGR16161616: case DRM_FORMAT_XBGR16161616:
      return 1;
    default: return 0;
  }
}

constexpr uint32_t kTrancheFlagScanout = 1;  // zwp_linux_dmabuf_feedback_v1.tranche_flags.scanout

// Mesa's software rasterizers (llvmpipe on kms_swrast) read a dma-buf by
// mapping it through the KMS device, which works only for that device's own
// dumb buffers: a buffer from another exporter (udmabuf, vgem) imports fine
// and then crashes the rasterizer when drawn (renderer_is_software).

// A new open of a node (DRM_NODE_PRIMARY, DRM_NODE_RENDER) of the device behind
// `fd`, -1 when it has none. GEM handles belong to an open file, and importing a
// dma-buf that file already holds returns the holder's handle: checks that
// import and close handles need a file of their own, never the renderer's
// (with GBM it can be Mesa's). Dumb-buffer mapping needs the primary node.
int open_node(int fd, int type) {
  drmDevice* device = nullptr;
  if (drmGetDevice2(fd, 0, &device) != 0) return -1;
  int node = -1;
  if (device->available_nodes & (1 << type)) node = open(device->nodes[type], O_RDWR | O_CLOEXEC);
  drmFreeDevice(&device);
  return node;
}

// Whether the device can map the dma-buf for the CPU the way a software
// rasterizer does: a dumb-buffer mapping of its GEM object. Buffers of other
// exporters import, but cannot be mapped so.
bool cpu_mappable(int card_fd, int dmabuf_fd) {
  uint32_t handle = 0;
  if (drmPrimeFDToHandle(card_fd, dmabuf_fd, &handle) != 0) return false;
  drm_mode_map_dumb map{};
  map.handle = handle;
  bool ok = drmIoctl(card_fd, DRM_IOCTL_MODE_MAP_DUMB, &map) == 0;
  drmCloseBufferHandle(card_fd, handle);
  return ok;
}

}  // namespace

scanout::FormatSet to_format_set(const wlr_drm_format_set* formats) {
  scanout::FormatSet out;
  if (!formats) return out;
  for (size_t i = 0; i < formats->len; ++i)
    for (size_t j = 0; j < formats->formats[i].len; ++j)
      out.add(formats->formats[i].format, formats->formats[i].modifiers[j]);
  return out;
}

std::unique_ptr<LinuxDmabuf> LinuxDmabuf::create(wl_display* display, wlr_renderer* renderer,
                                                 scanout::GlobalCounters& counters) {
  const wlr_drm_format_set* formats = wlr_renderer_get_texture_formats(renderer, WLR_BUFFER_CAP_DMABUF);
  int fd = wlr_renderer_get_drm_fd(renderer);
  if (!formats || formats->len == 0 || fd < 0) {
    TLOG(WLR_INFO, "no linux-dmabuf: the renderer cannot import dma-bufs (%s)",
         fd < 0 ? "no DRM device" : "no dma-buf formats");
    return nullptr;
  }
  std::unique_ptr<LinuxDmabuf> dmabuf(new LinuxDmabuf());
  dmabuf->renderer_ = renderer;
  dmabuf->main_device_ = scanout::drm_fd_device(fd);
  dmabuf->render_formats_ = to_format_set(formats);
  dmabuf->counters_ = &counters;
  dmabuf->import_check_fd_ = open_node(fd, DRM_NODE_RENDER);
  if (dmabuf->import_check_fd_ < 0) dmabuf->import_check_fd_ = open_node(fd, DRM_NODE_PRIMARY);
  if (dmabuf->import_check_fd_ < 0)
    TLOG(WLR_INFO, "cannot open the render device again: dma-bufs are checked by the import alone");
  if (renderer_is_software(renderer)) {
    dmabuf->map_check_fd_ = open_node(fd, DRM_NODE_PRIMARY);
    TLOG(WLR_INFO, "software renderer: dma-bufs must be mappable through the render device%s",
         dmabuf->map_check_fd_ < 0 ? " (cannot open its card node: no check)" : "");
  }
  dmabuf->default_ = scanout::Feedback{dmabuf->main_device_,
                                       {{scanout::Tranche::Kind::Render, dmabuf->main_device_, false,
                                         dmabuf->render_formats_}}};

  wlr_linux_dmabuf_feedback_v1 feedback{};
  feedback.main_device = dmabuf->main_device_;
  wl_array_init(&feedback.tranches);
  auto* tranche = wlr_linux_dmabuf_feedback_add_tranche(&feedback);
  tranche->target_device = dmabuf->main_device_;
  for (size_t i = 0; i < formats->len; ++i)
    for (size_t j = 0; j < formats->formats[i].len; ++j)
      wlr_drm_format_set_add(&tranche->formats, formats->formats[i].format, formats->formats[i].modifiers[j]);
  dmabuf->wlr_ = wlr_linux_dmabuf_v1_create(display, 4, &feedback);
  wlr_linux_dmabuf_feedback_v1_finish(&feedback);
  if (!dmabuf->wlr_) {
    TLOG(WLR_ERROR, "cannot create the linux-dmabuf global");
    return nullptr;
  }
  wlr_linux_dmabuf_v1_set_check_dmabuf_callback(dmabuf->wlr_, &LinuxDmabuf::check_import, dmabuf.get());
  set_advertised_dmabuf_formats(&dmabuf->render_formats_, &counters);
  return dmabuf;
}

LinuxDmabuf::~LinuxDmabuf() {  // the global goes with the display
  set_advertised_dmabuf_formats(nullptr, nullptr);
  if (map_check_fd_ >= 0) close(map_check_fd_);
  if (import_check_fd_ >= 0) close(import_check_fd_);
}

bool LinuxDmabuf::check_import(wlr_dmabuf_attributes* attributes, void* data) {
  auto* self = static_cast<LinuxDmabuf*>(data);
  bool ok = self->test_import(*attributes);
  ++(ok ? self->counters_->imports_ok : self->counters_->imports_failed);
  return ok;
}

// The spec's `create` promises an answer from the compositor: `failed` for a
// buffer it cannot use. Cheap checks first, then a real import by the renderer.
bool LinuxDmabuf::test_import(const wlr_dmabuf_attributes& a) {
  auto reject = [&](const char* why) {
    TLOG(WLR_DEBUG, "dma-buf %s %dx%d modifier 0x%llx refused: %s",
         scanout::fourcc_name(a.format).c_str(), a.width, a.height,
         static_cast<unsigned long long>(a.modifier), why);
    return false;
  };
  if (!render_formats_.has(a.format, a.modifier)) return reject("format/modifier not supported by the renderer");
  if (int planes = expected_planes(a.format, a.modifier); planes && a.n_planes != planes)
    return reject("wrong number of planes for the format");
  // Every plane must be a dma-buf the render device can import: this turns
  // pipes, memfds and buffers of devices it cannot reach into `failed`
  // instead of an EGL error later.
  for (int i = 0; i < a.n_planes; ++i) {
    uint32_t handle = 0;
    if (import_check_fd_ >= 0) {
      if (drmPrimeFDToHandle(import_check_fd_, a.fd[i], &handle) != 0)
        return reject("the render device cannot import the fd");
      drmCloseBufferHandle(import_check_fd_, handle);
    }
    if (map_check_fd_ >= 0 && !cpu_mappable(map_check_fd_, a.fd[i]))
      return reject("the software renderer cannot map a dma-buf from another exporter");
  }
  // A software renderer imports by exactly that mapping, checked above. Its
  // test import would cost a dma-buf fd per buffer: Mesa's llvmpipe keeps one
  // after the probe's texture and buffer are gone.
  if (map_check_fd_ >= 0) return true;
  ProbeBuffer probe{};
  probe.attributes = a;
  wlr_buffer_init(&probe.base, &kProbeImpl, a.width, a.height);
  wlr_texture* texture = wlr_texture_from_buffer(renderer_, &probe.base);
  if (texture) wlr_texture_destroy(texture);
  wlr_buffer_drop(&probe.base);
  return texture ? true : reject("the renderer could not import it");
}

void LinuxDmabuf::send_surface_feedback(wlr_surface* surface, const scanout::Feedback& feedback) {
  if (feedback == default_) {
    wlr_linux_dmabuf_v1_set_surface_feedback(wlr_, surface, nullptr);
    return;
  }
  wlr_linux_dmabuf_feedback_v1 out{};
  out.main_device = feedback.main_device;
  wl_array_init(&out.tranches);
  for (const auto& t : feedback.tranches) {
    auto* tranche = wlr_linux_dmabuf_feedback_add_tranche(&out);
    tranche->target_device = t.target_device;
    tranche->flags = t.scanout ? kTrancheFlagScanout : 0;
    for (const auto& [format, modifiers] : t.formats.entries())
      for (auto modifier : modifiers) wlr_drm_format_set_add(&tranche->formats, format, modifier);
  }
  wlr_linux_dmabuf_v1_set_surface_feedback(wlr_, surface, &out);
  wlr_linux_dmabuf_feedback_v1_finish(&out);
}

}  // namespace tranche
