#include "dmabuf_import.hpp"

#include <drm_fourcc.h>
#include <fcntl.h>
#include <unistd.h>
#include <cstring>
#include <xf86drm.h>

#include "render/renderer_info.hpp"
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

// Lives on the stack of test_import; ends the renderer's addons (its cached
// import), which wlroots leaves to the implementation since 0.19.
void probe_destroy(wlr_buffer* buffer) { wlr_buffer_finish(buffer); }
bool probe_get_dmabuf(wlr_buffer* buffer, wlr_dmabuf_attributes* out) {
  *out = reinterpret_cast<ProbeBuffer*>(buffer)->attributes;
  return true;
}
const wlr_buffer_impl kProbeImpl = {
    .destroy = probe_destroy,
    .get_dmabuf = probe_get_dmabuf,
};

// Planes per format with a LINEAR or implicit modifier; 0 when we do not
// know (vendor modifiers may add aux planes): the import decides.
int expected_planes(uint32_t format, uint64_t modifier) {
  if (modifier != scanout::kModifierLinear && modifier != scanout::kModifierInvalid) return 0;
  const scanout::FormatInfo* info = scanout::format_info(format);
  return info ? info->planes : 0;
}

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

std::unique_ptr<DmabufImport> DmabufImport::create(wl_display* display, wlr_renderer* renderer,
                                                   scanout::GlobalCounters& counters) {
  const wlr_drm_format_set* formats = wlr_renderer_get_texture_formats(renderer, WLR_BUFFER_CAP_DMABUF);
  int fd = wlr_renderer_get_drm_fd(renderer);
  if (!formats || formats->len == 0 || fd < 0) {
    TLOG(WLR_INFO, "no linux-dmabuf: the renderer cannot import dma-bufs (%s)",
         fd < 0 ? "no DRM device" : "no dma-buf formats");
    return nullptr;
  }
  std::unique_ptr<DmabufImport> dmabuf(new DmabufImport());
  dmabuf->renderer_ = renderer;
  dmabuf->main_device_ = scanout::drm_fd_device(fd);
  dmabuf->render_formats_ = to_format_set(formats);
  dmabuf->import_check_fd_ = open_node(fd, DRM_NODE_RENDER);
  if (dmabuf->import_check_fd_ < 0) dmabuf->import_check_fd_ = open_node(fd, DRM_NODE_PRIMARY);
  if (dmabuf->import_check_fd_ < 0)
    TLOG(WLR_INFO, "cannot open the render device again: dma-bufs are checked by the import alone");
  if (render::renderer_is_software(renderer)) {
    dmabuf->map_check_fd_ = open_node(fd, DRM_NODE_PRIMARY);
    TLOG(WLR_INFO, "software renderer: dma-bufs must be mappable through the render device%s",
         dmabuf->map_check_fd_ < 0 ? " (cannot open its card node: no check)" : "");
  }
  // The render device is the one sampling device: every feedback ends with it.
  scanout::Feedback default_feedback{
      dmabuf->main_device_,
      {{scanout::Tranche::Kind::Render, dmabuf->main_device_, false, dmabuf->render_formats_}}};
  dmabuf->global_ = std::make_unique<protocols::LinuxDmabuf>(display, 6, dmabuf->render_formats_,
                                                             std::move(default_feedback), *dmabuf, counters);
  return dmabuf;
}

DmabufImport::~DmabufImport() {
  global_.reset();
  if (map_check_fd_ >= 0) close(map_check_fd_);
  if (import_check_fd_ >= 0) close(import_check_fd_);
}

void DmabufImport::renderer_changed(wlr_renderer* renderer) {
  renderer_ = renderer;
  int fd = wlr_renderer_get_drm_fd(renderer);
  if (fd < 0 || scanout::drm_fd_device(fd) != main_device_)
    TLOG(WLR_ERROR, "the renderer came back on another device: linux-dmabuf still names the old one");
}

// The spec's `create` promises an answer from the compositor: `failed` for a
// buffer it cannot use. Cheap checks first, then a real import by the renderer.
bool DmabufImport::import(const wlr_dmabuf_attributes& a, uint64_t sampling_device, std::string& why) {
  auto reject = [&](const char* reason) {
    why = reason;
    return false;
  };
  // v6: a client may name another device; we sample on the render device
  // alone, so the import is tried there, as the protocol asks.
  if (sampling_device != 0 && sampling_device != main_device_)
    TLOG(WLR_DEBUG, "dma-buf for sampling device %s: importing on the render device %s",
         scanout::drm_device_path(sampling_device).c_str(), scanout::drm_device_path(main_device_).c_str());
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

}  // namespace tranche
