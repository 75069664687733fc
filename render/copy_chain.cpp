#include "copy_chain.hpp"

#include <drm_fourcc.h>
#include <sys/mman.h>
#include <xf86drm.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "compose.hpp"
#include "copy/dma_buf_access.hpp"
#include "renderer_info.hpp"
#include "scanout/formats.hpp"
#include "scanout/kms_planes.hpp"
#include "timer.hpp"

#define RLOG(verb, fmt, ...) _wlr_log(verb, "[tranche] " fmt, ##__VA_ARGS__)

namespace tranche::render {

using copy::Path;

namespace {

// The device the renderer draws with: its DRM fd, or for pixman (no fd) the
// device its allocator takes buffers from, the first DRM backend's.
int render_device_fd(const Devices& devices) {
  int fd = wlr_renderer_get_drm_fd(devices.renderer);
  return fd >= 0 ? fd : wlr_backend_get_drm_fd(devices.backend);
}

// What TRANCHE_COPY_PATH asks for this output; it wins over the configuration.
copy::Forced with_env(copy::Forced forced, const char* name) {
  if (const char* spec = getenv("TRANCHE_COPY_PATH")) {
    auto by_env = copy::forced_by_spec(spec, name);
    if (!by_env) RLOG(WLR_ERROR, "TRANCHE_COPY_PATH: %s; ignored", by_env.error().c_str());
    else if (*by_env) forced = **by_env;
  }
  return forced;
}

// XRGB8888 (or ARGB8888) when the display's primary plane scans it out LINEAR.
uint32_t pick_format(wlr_output* output) {
  const wlr_drm_format_set* formats = wlr_output_get_primary_formats(output, WLR_BUFFER_CAP_DMABUF);
  for (uint32_t fourcc : {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888}) {
    const wlr_drm_format* f = formats ? wlr_drm_format_set_get(formats, fourcc) : nullptr;
    if (f && std::ranges::find(f->modifiers, f->modifiers + f->len, DRM_FORMAT_MOD_LINEAR) != f->modifiers + f->len)
      return fourcc;
  }
  return DRM_FORMAT_XRGB8888;  // a dumb buffer's format, if nothing better is known
}

// Every buffer here has one format (pick_format's), 4 bytes a pixel.
uint64_t bytes_per_pixel(uint32_t format) {
  const scanout::FormatInfo* info = scanout::format_info(format);
  return info ? info->bytes_per_pixel : 4;
}

uint64_t region_bytes(const pixman_region32_t& region, uint64_t bytes_per_pixel) {
  int count = 0;
  const pixman_box32_t* rects = pixman_region32_rectangles(const_cast<pixman_region32_t*>(&region), &count);
  uint64_t bytes = 0;
  for (int i = 0; i < count; ++i)
    bytes += uint64_t(rects[i].x2 - rects[i].x1) * uint64_t(rects[i].y2 - rects[i].y1) * bytes_per_pixel;
  return bytes;
}

// The size a state's buffer must have: its new mode's, else the output's.
std::pair<int, int> state_size(wlr_output* output, const wlr_output_state& state) {
  if (state.committed & WLR_OUTPUT_STATE_MODE) {
    if (state.mode_type == WLR_OUTPUT_STATE_MODE_FIXED && state.mode)
      return {state.mode->width, state.mode->height};
    if (state.mode_type == WLR_OUTPUT_STATE_MODE_CUSTOM)
      return {state.custom_mode.width, state.custom_mode.height};
  }
  return {output->width, output->height};
}

void destroy_swapchain(wlr_swapchain*& swapchain) {
  if (swapchain) wlr_swapchain_destroy(swapchain);
  swapchain = nullptr;
}

}  // namespace

std::unique_ptr<CopyChain> CopyChain::create(const Devices& devices, wlr_output* o, copy::Forced forced) {
  if (!wlr_output_is_drm(o)) return nullptr;
  int display_fd = wlr_backend_get_drm_fd(o->backend);
  int render_fd = render_device_fd(devices);
  if (display_fd < 0 || render_fd < 0 || scanout::same_drm_device(render_fd, display_fd)) return nullptr;
  char* node = drmGetDeviceNameFromFd2(display_fd);
  std::string device = node ? node : "?";
  free(node);
  return std::make_unique<CopyChain>(devices, o, forced, device, renderer_is_software(devices.renderer));
}

CopyChain::CopyChain(const Devices& devices, wlr_output* output, copy::Forced forced, std::string device,
                     bool software_renderer)
    : devices_(devices),
      output_(output),
      selector_(with_env(forced, output->name), software_renderer ? copy::PathSelector::kSoftwareOrder : copy::PathSelector::kGpuOrder),
      device_(std::move(device)),
      software_renderer_(software_renderer) {
  wlr_damage_ring_init(&targets_damage_);
  // wlroots makes dumb-buffer allocators only for renderers that draw with
  // the CPU: a pixman renderer, used for nothing else, picks it.
  if (wlr_renderer* cpu = wlr_pixman_renderer_create()) {
    dumb_allocator_ = wlr_allocator_autocreate(output->backend, cpu);
    wlr_renderer_destroy(cpu);
  }
  std::string paths;
  for (Path path : selector_.order()) paths += std::string(paths.empty() ? "" : ", ") + copy::path_name(path);
  RLOG(WLR_INFO, "output %s is on %s, not on the render device: frames are copied (%s)", output->name,
       device_.c_str(), selector_.forced() ? copy::path_name(*selector_.forced()) : ("auto: " + paths).c_str());
}

CopyChain::~CopyChain() {
  unmap_sources();
  destroy_swapchain(render_swapchain_);
  destroy_swapchain(linear_swapchain_);
  destroy_swapchain(dumb_swapchain_);
  if (dumb_allocator_) wlr_allocator_destroy(dumb_allocator_);
  wlr_damage_ring_finish(&targets_damage_);
}

void CopyChain::reconfigure(copy::Forced configured) {
  copy::Forced forced = with_env(configured, output_->name);
  if (forced == selector_.forced()) return;
  selector_.set_forced(forced);
  RLOG(WLR_INFO, "output %s: copy path now %s", output_->name, forced ? copy::path_name(*forced) : "auto");
}

Path CopyChain::choose() const { return selector_.choose(monotonic_now()); }

void CopyChain::path_changed(Path path) {
  if (last_logged_ == path) return;
  last_logged_ = path;
  std::string why;
  for (Path faster : copy::kPaths) {
    if (faster == path) break;
    const auto& error = selector_.stats(faster).last_error;
    if (!error.empty()) why += std::string(why.empty() ? " (" : "; ") + copy::path_name(faster) + ": " + error;
  }
  if (!why.empty()) why += ")";
  RLOG(WLR_INFO, "output %s: frames reach %s by %s%s", output_->name, device_.c_str(), copy::path_name(path),
       why.c_str());
}

bool CopyChain::ensure_swapchains(Path path, int width, int height, std::string& error) {
  if (render_swapchain_ && (render_swapchain_->width != width || render_swapchain_->height != height)) {
    unmap_sources();
    destroy_swapchain(render_swapchain_);
    destroy_swapchain(linear_swapchain_);
    destroy_swapchain(dumb_swapchain_);
  }
  if (!render_swapchain_) {
    format_ = pick_format(output_);
    // The implicit modifier: the render device's own layout for this format
    // (tiling, compression), which need not suit the display device. LINEAR
    // for a software renderer, whose frames the CPU copies.
    uint64_t modifier = software_renderer_ ? DRM_FORMAT_MOD_LINEAR : DRM_FORMAT_MOD_INVALID;
    wlr_drm_format own{.format = format_, .len = 1, .capacity = 1, .modifiers = &modifier};
    const wlr_drm_format* render_format = &own;
    render_swapchain_ = wlr_swapchain_create(devices_.allocator, width, height, render_format);
    if (!render_swapchain_) {
      error = "cannot allocate render buffers";
      return false;
    }
    wlr_damage_ring_add_whole(&targets_damage_);
  }
  uint64_t linear = DRM_FORMAT_MOD_LINEAR;
  wlr_drm_format linear_format{.format = format_, .len = 1, .capacity = 1, .modifiers = &linear};
  if (path == Path::GpuCopy && !linear_swapchain_) {
    linear_swapchain_ = wlr_swapchain_create(devices_.allocator, width, height, &linear_format);
    if (!linear_swapchain_) {
      error = "the render device cannot allocate LINEAR buffers";
      return false;
    }
  }
  if (path == Path::Sysram && !dumb_swapchain_) {
    if (!dumb_allocator_) {
      error = "no dumb-buffer allocator for the display device";
      return false;
    }
    dumb_swapchain_ = wlr_swapchain_create(dumb_allocator_, width, height, &linear_format);
    if (!dumb_swapchain_) {
      error = "cannot allocate dumb buffers on the display device";
      return false;
    }
  }
  return true;
}

// The render device draws the frame into a LINEAR buffer of its own, only
// where the target lacks it.
bool CopyChain::gpu_copy(wlr_buffer* source, wlr_buffer* target, const pixman_region32_t& region,
                          std::string& error) {
  if (!pixman_region32_not_empty(&region)) return true;
  wlr_renderer* renderer = devices_.renderer;
  wlr_texture* texture = wlr_texture_from_buffer(renderer, source);
  if (!texture) {
    error = "cannot sample the rendered frame";
    return false;
  }
  wlr_render_pass* pass = wlr_renderer_begin_buffer_pass(renderer, target, nullptr);
  if (!pass) {
    wlr_texture_destroy(texture);
    error = "the render device cannot draw into a LINEAR buffer";
    return false;
  }
  wlr_render_texture_options options{};
  options.texture = texture;
  options.src_box = {0, 0, static_cast<double>(source->width), static_cast<double>(source->height)};
  options.dst_box = {0, 0, source->width, source->height};
  options.clip = &region;
  options.blend_mode = WLR_RENDER_BLEND_MODE_NONE;
  wlr_render_pass_add_texture(pass, &options);
  bool ok = wlr_render_pass_submit(pass);
  wlr_texture_destroy(texture);
  if (!ok) error = "the GPU copy was not submitted";
  return ok;
}

// The CPU writes into the display device's dumb buffer only within
// DMA_BUF_IOCTL_SYNC brackets on it.
bool CopyChain::write_target(wlr_buffer* target, std::string& error,
                              const std::function<bool(void* data, size_t stride)>& write) {
  wlr_dmabuf_attributes dmabuf{};
  void* data = nullptr;
  uint32_t format = 0;
  size_t stride = 0;
  if (!wlr_buffer_get_dmabuf(target, &dmabuf) ||
      !wlr_buffer_begin_data_ptr_access(target, WLR_BUFFER_DATA_PTR_ACCESS_WRITE, &data, &format, &stride)) {
    error = "cannot map the dumb buffer";
    return false;
  }
  bool ok = false;
  if (auto access = copy::DmaBufAccess::begin(dmabuf.fd[0], copy::Access::Write); !access) {
    error = access.error();
  } else {
    ok = write(data, stride);
    if (auto ended = access->end(); !ended && ok) {
      error = ended.error();
      ok = false;
    }
  }
  wlr_buffer_end_data_ptr_access(target);
  return ok;
}

// sysram: the frame goes into the display device's dumb buffer.
bool CopyChain::sysram_copy(wlr_buffer* source, wlr_buffer* target, const pixman_region32_t& region,
                             std::string& error) {
  if (!pixman_region32_not_empty(&region)) return true;
  // The CPU copies only frames the software renderer drew into our LINEAR
  // buffers; a client buffer the scene passed through (direct scanout) may be
  // another format or layout, and the readback converts it.
  bool ours = wlr_swapchain_has_buffer(render_swapchain_, source);
  return write_target(target, error, [&](void* data, size_t stride) {
    return software_renderer_ && ours ? cpu_copy(source, data, stride, region, error)
                                      : read_back(source, data, stride, region, error);
  });
}

// A GPU's frame: the render device reads it back (the GL driver copies its
// memory into CPU memory itself) straight into the target; the CPU never
// reads device memory.
bool CopyChain::read_back(wlr_buffer* source, void* data, size_t stride, const pixman_region32_t& region,
                           std::string& error) {
  wlr_texture* texture = wlr_texture_from_buffer(devices_.renderer, source);
  if (!texture) {
    error = "cannot read the rendered frame";
    return false;
  }
  int count = 0;
  const pixman_box32_t* rects = pixman_region32_rectangles(const_cast<pixman_region32_t*>(&region), &count);
  bool ok = true;
  for (int i = 0; ok && i < count; ++i) {
    const pixman_box32_t& r = rects[i];
    const wlr_texture_read_pixels_options options{.data = data,
                                                  .format = format_,
                                                  .stride = static_cast<uint32_t>(stride),
                                                  .dst_x = static_cast<uint32_t>(r.x1),
                                                  .dst_y = static_cast<uint32_t>(r.y1),
                                                  .src_box = {r.x1, r.y1, r.x2 - r.x1, r.y2 - r.y1}};
    ok = wlr_texture_read_pixels(texture, &options);
  }
  wlr_texture_destroy(texture);
  if (!ok) error = "the render device could not read the frame back";
  return ok;
}

// A software renderer's frame is system memory (a LINEAR buffer the CPU
// drew): the CPU copies it, within DMA_BUF_IOCTL_SYNC brackets on it too.
bool CopyChain::cpu_copy(wlr_buffer* source, void* data, size_t stride, const pixman_region32_t& region,
                          std::string& error) {
  const Mapping* map = map_source(source, error);
  wlr_dmabuf_attributes dmabuf{};
  if (!map || !wlr_buffer_get_dmabuf(source, &dmabuf)) {
    if (error.empty()) error = "the rendered frame has no dma-buf";
    return false;
  }
  auto access = copy::DmaBufAccess::begin(dmabuf.fd[0], copy::Access::Read);
  if (!access) {
    error = access.error();
    return false;
  }
  const auto* src = static_cast<const uint8_t*>(map->data) + dmabuf.offset[0];
  auto* dst = static_cast<uint8_t*>(data);
  const size_t bpp = bytes_per_pixel(format_);
  int count = 0;
  const pixman_box32_t* rects = pixman_region32_rectangles(const_cast<pixman_region32_t*>(&region), &count);
  for (int i = 0; i < count; ++i) {
    const pixman_box32_t& r = rects[i];
    size_t bytes = size_t(r.x2 - r.x1) * bpp;
    if (stride == dmabuf.stride[0] && bytes == stride) {  // whole rows: one copy
      size_t offset = size_t(r.y1) * stride;
      std::memcpy(dst + offset, src + offset, size_t(r.y2 - r.y1) * stride);
      continue;
    }
    for (int y = r.y1; y < r.y2; ++y)
      std::memcpy(dst + size_t(y) * stride + size_t(r.x1) * bpp,
                  src + size_t(y) * dmabuf.stride[0] + size_t(r.x1) * bpp, bytes);
  }
  if (auto ended = access->end(); !ended) {
    error = ended.error();
    return false;
  }
  return true;
}

// The render buffers are few and live as long as their swapchain: each is
// mapped once.
const CopyChain::Mapping* CopyChain::map_source(wlr_buffer* source, std::string& error) {
  for (const Mapping& m : source_maps_)
    if (m.buffer == source) return &m;
  wlr_dmabuf_attributes dmabuf{};
  if (!wlr_buffer_get_dmabuf(source, &dmabuf) || dmabuf.n_planes != 1) {
    error = "the rendered frame is not a single-plane dma-buf";
    return nullptr;
  }
  size_t size = size_t(dmabuf.offset[0]) + size_t(dmabuf.stride[0]) * size_t(source->height);
  void* data = mmap(nullptr, size, PROT_READ, MAP_SHARED, dmabuf.fd[0], 0);
  if (data == MAP_FAILED) {
    error = std::string("cannot map the rendered frame: ") + strerror(errno);
    return nullptr;
  }
  source_maps_.push_back({source, data, size});
  return &source_maps_.back();
}

void CopyChain::unmap_sources() {
  for (const Mapping& m : source_maps_) munmap(m.data, m.size);
  source_maps_.clear();
}

// A black frame in `target`, for a mode set.
bool CopyChain::clear(Path path, wlr_buffer* target, std::string& error) {
  if (path == Path::GpuCopy) {
    if (clear_buffer(devices_.renderer, target)) return true;
    error = "the render device cannot clear a LINEAR buffer";
    return false;
  }
  return write_target(target, error, [&](void* data, size_t stride) {
    std::memset(data, 0, stride * static_cast<size_t>(target->height));
    return true;
  });
}

bool CopyChain::copy_frame(wlr_scene_output* scene_output, Path path, std::string& error) {
  wlr_output* o = output_;
  if (!ensure_swapchains(path, o->width, o->height, error)) return false;
  wlr_output_state state;
  wlr_output_state_init(&state);
  wlr_scene_output_state_options options{};
  options.swapchain = render_swapchain_;
  bool ok = wlr_scene_output_build_state(scene_output, &state, &options);
  if (!ok || !(state.committed & WLR_OUTPUT_STATE_BUFFER)) {
    wlr_output_state_finish(&state);
    error = "the frame could not be rendered";
    return false;
  }
  wlr_swapchain* targets = path == Path::GpuCopy ? linear_swapchain_ : dumb_swapchain_;
  wlr_buffer* target = wlr_swapchain_acquire(targets);
  if (!target) {
    wlr_output_state_finish(&state);
    error = "no free target buffer";
    return false;
  }
  if (state.committed & WLR_OUTPUT_STATE_DAMAGE) wlr_damage_ring_add(&targets_damage_, &state.damage);
  else wlr_damage_ring_add_whole(&targets_damage_);
  pixman_region32_t region;
  pixman_region32_init(&region);
  wlr_damage_ring_rotate_buffer(&targets_damage_, target, &region);
  // The ring has no bounds since wlroots 0.19: "whole" is unbounded, clip it.
  pixman_region32_intersect_rect(&region, &region, 0, 0, target->width, target->height);

  // The CPU is about to read the software renderer's frame: it must be drawn.
  if (path == Path::Sysram && software_renderer_) renderer_finish(devices_.renderer);
  int64_t start = monotonic_now();
  ok = path == Path::GpuCopy ? gpu_copy(state.buffer, target, region, error)
                             : sysram_copy(state.buffer, target, region, error);
  int64_t copy_ns = monotonic_now() - start;
  uint64_t bytes = region_bytes(region, bytes_per_pixel(format_));
  pixman_region32_fini(&region);

  if (ok) wlr_output_state_set_buffer(&state, target);
  wlr_buffer_unlock(target);
  if (ok && !wlr_output_commit_state(o, &state)) {
    error = "the display device refused the copied buffer";
    ok = false;
  }
  wlr_output_state_finish(&state);
  if (!ok) {
    wlr_damage_ring_add_whole(&targets_damage_);  // what the target holds is unknown now
    return false;
  }
  selector_.succeeded(path, bytes, copy_ns);
  path_changed(path);
  return true;
}

bool CopyChain::commit_frame(wlr_scene_output* scene_output, Path path) {
  int64_t now = monotonic_now();
  while (path != Path::ZeroCopy) {
    std::string error;
    if (copy_frame(scene_output, path, error)) return true;
    RLOG(WLR_ERROR, "output %s: %s failed: %s", output_->name, copy::path_name(path), error.c_str());
    auto next = selector_.failed(path, now, error);
    if (!next) return false;
    path = *next;
  }
  return false;
}

void CopyChain::zero_copy_succeeded() {
  selector_.succeeded(Path::ZeroCopy, 0, 0);
  path_changed(Path::ZeroCopy);
}

bool CopyChain::zero_copy_failed(const std::string& why) {
  RLOG(WLR_ERROR, "output %s: zero-copy failed: %s", output_->name, why.c_str());
  return selector_.failed(Path::ZeroCopy, monotonic_now(), why).has_value();
}

bool CopyChain::commit_state(const wlr_output_state& state, bool test_only) {
  wlr_output* o = output_;
  bool enabled = (state.committed & WLR_OUTPUT_STATE_ENABLED) ? state.enabled : o->enabled;
  bool needs_buffer = enabled && (state.committed & (WLR_OUTPUT_STATE_ENABLED | WLR_OUTPUT_STATE_MODE)) &&
                      !(state.committed & WLR_OUTPUT_STATE_BUFFER);
  auto apply = [&](const wlr_output_state& s) {
    return test_only ? wlr_output_test_state(o, &s) : wlr_output_commit_state(o, &s);
  };
  if (!needs_buffer) return apply(state);
  auto [width, height] = state_size(o, state);
  int64_t now = monotonic_now();
  for (Path path = choose();;) {
    wlr_output_state attempt;
    wlr_output_state_init(&attempt);
    std::string error;
    bool ok = wlr_output_state_copy(&attempt, &state);
    if (ok && path != Path::ZeroCopy) {
      // Zero-copy: wlroots allocates the first frame on the render device itself.
      ok = width > 0 && height > 0 && ensure_swapchains(path, width, height, error);
      wlr_buffer* target = ok ? wlr_swapchain_acquire(path == Path::GpuCopy ? linear_swapchain_ : dumb_swapchain_)
                              : nullptr;
      ok = target && clear(path, target, error);
      if (ok) wlr_output_state_set_buffer(&attempt, target);
      if (target) wlr_buffer_unlock(target);
    }
    ok = ok && apply(attempt);
    wlr_output_state_finish(&attempt);
    if (ok) {
      if (!test_only) {
        wlr_damage_ring_add_whole(&targets_damage_);
        selector_.succeeded(path, 0, 0);
        path_changed(path);
      }
      return true;
    }
    if (error.empty()) error = "the display device refused the mode set with this path's buffer";
    RLOG(WLR_ERROR, "output %s: %s failed: %s", o->name, copy::path_name(path), error.c_str());
    auto next = selector_.failed(path, now, error);
    if (!next) return false;
    path = *next;
  }
}

ipc::json CopyChain::describe_paths() const {
  int64_t now = monotonic_now();
  ipc::json paths = ipc::json::object();
  for (Path path : copy::kPaths) {
    const copy::PathStats& s = selector_.stats(path);
    ipc::json entry = {{"frames", s.frames},
                       {"failures", s.failures},
                       {"bytes", s.bytes},
                       {"copy_ms", s.copy_ns / 1e6},
                       {"last_frame_bytes", s.last_bytes},
                       {"last_frame_ms", s.last_copy_ns / 1e6}};
    if (s.frames > 0) entry["ms_per_frame"] = s.copy_ns / 1e6 / static_cast<double>(s.frames);
    if (s.copy_ns > 0) entry["mb_per_s"] = static_cast<double>(s.bytes) / 1e6 / (s.copy_ns / 1e9);
    if (!s.last_error.empty()) entry["last_error"] = s.last_error;
    if (auto at = selector_.retry_at(path)) entry["retry_in_ms"] = std::max<int64_t>(0, *at - now) / 1'000'000;
    paths[copy::path_name(path)] = std::move(entry);
  }
  return paths;
}

ipc::json CopyChain::describe() const {
  auto current = selector_.current();
  return {{"display_device", device_},
          {"mode", selector_.forced() ? copy::path_name(*selector_.forced()) : "auto"},
          {"path", current ? ipc::json(copy::path_name(*current)) : ipc::json(nullptr)},
          {"paths", describe_paths()}};
}

}  // namespace tranche::render
