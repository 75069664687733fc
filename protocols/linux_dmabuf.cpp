#include "linux_dmabuf.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "linux-dmabuf-v1-protocol.h"
#include "listener.hpp"
#include "wlr.hpp"

#define DLOG(verb, fmt, ...) _wlr_log(verb, "[tranche] linux-dmabuf: " fmt, ##__VA_ARGS__)

namespace tranche::protocols {

namespace {

// ------------------------------------------------------------------ buffers

// A client's dma-buf as a wlr_buffer: it owns the fds; the wl_buffer resource
// holds one reference (dropped when the client destroys it), wlroots' users
// lock it while they read it, and `release` goes to the client when the last
// lock goes.
struct DmabufBuffer {
  wlr_buffer base;
  wlr_dmabuf_attributes attributes;
  wl_resource* resource = nullptr;
  Listener release;
};

void buffer_destroy(wlr_buffer* base) {
  DmabufBuffer* buffer = wl_container_of(base, buffer, base);
  if (buffer->resource) wl_resource_set_user_data(buffer->resource, nullptr);
  // Since wlroots 0.19 the implementation emits `destroy` and ends the addons
  // (the renderer's texture cache): without it they outlive the buffer.
  buffer->release.disconnect();
  wlr_buffer_finish(&buffer->base);
  wlr_dmabuf_attributes_finish(&buffer->attributes);
  delete buffer;
}

bool buffer_get_dmabuf(wlr_buffer* base, wlr_dmabuf_attributes* out) {
  DmabufBuffer* buffer = wl_container_of(base, buffer, base);
  *out = buffer->attributes;
  return true;
}

const wlr_buffer_impl kBufferImpl = {
    .destroy = buffer_destroy,
    .get_dmabuf = buffer_get_dmabuf,
};

void wl_buffer_handle_destroy(wl_client*, wl_resource* resource) { wl_resource_destroy(resource); }
const struct wl_buffer_interface kWlBufferImpl = {.destroy = wl_buffer_handle_destroy};

void wl_buffer_resource_destroyed(wl_resource* resource) {
  auto* buffer = static_cast<DmabufBuffer*>(wl_resource_get_user_data(resource));
  if (!buffer) return;
  buffer->resource = nullptr;
  buffer->release.disconnect();
  wlr_buffer_drop(&buffer->base);
}

bool is_our_buffer(wl_resource* resource) {
  return wl_resource_instance_of(resource, &wl_buffer_interface, &kWlBufferImpl);
}
wlr_buffer* buffer_from_resource(wl_resource* resource) {
  auto* buffer = static_cast<DmabufBuffer*>(wl_resource_get_user_data(resource));
  return buffer ? &buffer->base : nullptr;
}
// How wlr_surface (wlr_buffer_try_from_resource) finds our buffers behind a
// wl_buffer; wlroots keeps one process-wide list of these.
const wlr_buffer_resource_interface kBufferResourceInterface = {
    .name = "tranche_linux_dmabuf",
    .is_instance = is_our_buffer,
    .from_resource = buffer_from_resource,
};

// The resource for a buffer that passed the import (`id` 0: a new one for `created`).
wl_resource* make_buffer(wl_client* client, uint32_t id, wlr_dmabuf_attributes& attributes) {
  wl_resource* resource = wl_resource_create(client, &wl_buffer_interface, 1, id);
  if (!resource) {
    wl_client_post_no_memory(client);
    return nullptr;
  }
  auto* buffer = new DmabufBuffer{};
  wlr_buffer_init(&buffer->base, &kBufferImpl, attributes.width, attributes.height);
  buffer->attributes = attributes;  // the fds move to the buffer
  attributes = {};
  for (int& fd : attributes.fd) fd = -1;
  buffer->resource = resource;
  buffer->release.connect(&buffer->base.events.release, [buffer](void*) {
    if (buffer->resource) wl_buffer_send_release(buffer->resource);
  });
  wl_resource_set_implementation(resource, &kWlBufferImpl, buffer, wl_buffer_resource_destroyed);
  return resource;
}

// ------------------------------------------------------------------ feedback on the wire

// A feedback as sent: a format table (a sealed memfd, mapped by every client
// that gets it) and per tranche the indices into it. Built once per value.
struct WireFeedback {
  struct Tranche {
    dev_t device;
    uint32_t flags_v4;  // scanout only
    uint32_t flags_v6;  // scanout, sampling
    std::vector<uint16_t> indices;
  };
  scanout::Feedback feedback;
  int table_fd = -1;
  uint32_t table_size = 0;
  std::vector<Tranche> tranches;

  WireFeedback() = default;
  WireFeedback(const WireFeedback&) = delete;
  WireFeedback& operator=(const WireFeedback&) = delete;
  ~WireFeedback() {
    if (table_fd >= 0) close(table_fd);
  }
};

int sealed_table(const void* data, size_t size) {
  int fd = memfd_create("tranche-dmabuf-format-table", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -1;
  const auto* bytes = static_cast<const char*>(data);
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, bytes + done, size - done);
    if (n <= 0) {
      close(fd);
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  // The spec forbids changing a table once sent: sealed, nobody can.
  fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  return fd;
}

std::shared_ptr<const WireFeedback> build_wire(const scanout::Feedback& feedback) {
  struct Entry {
    uint32_t format;
    uint32_t padding;
    uint64_t modifier;
  };
  static_assert(sizeof(Entry) == 16);
  auto wire = std::make_shared<WireFeedback>();
  wire->feedback = feedback;
  std::vector<Entry> table;
  std::map<std::pair<uint32_t, uint64_t>, uint16_t> index;
  for (const auto& t : feedback.tranches) {
    WireFeedback::Tranche out{static_cast<dev_t>(t.target_device), t.scanout ? 1u : 0u, 0, {}};
    out.flags_v6 = (t.scanout ? uint32_t{ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT} : 0u) |
                   (t.kind == scanout::Tranche::Kind::Render ? uint32_t{ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SAMPLING} : 0u);
    for (const auto& [format, modifiers] : t.formats.entries())
      for (uint64_t modifier : modifiers) {
        auto it = index.find({format, modifier});
        if (it == index.end()) {
          if (table.size() > UINT16_MAX) continue;  // indices are 16 bits: the rest cannot be named
          it = index.emplace(std::pair{format, modifier}, static_cast<uint16_t>(table.size())).first;
          table.push_back({format, 0, modifier});
        }
        out.indices.push_back(it->second);
      }
    wire->tranches.push_back(std::move(out));
  }
  wire->table_size = static_cast<uint32_t>(table.size() * sizeof(Entry));
  wire->table_fd = sealed_table(table.data(), wire->table_size);
  if (wire->table_fd < 0) DLOG(WLR_ERROR, "cannot make a format table: %s", strerror(errno));
  return wire;
}

void send_device(wl_resource* resource, dev_t device, void (*send)(wl_resource*, wl_array*)) {
  wl_array array;
  wl_array_init(&array);
  if (auto* slot = static_cast<dev_t*>(wl_array_add(&array, sizeof(dev_t)))) *slot = device;
  send(resource, &array);
  wl_array_release(&array);
}

// One full set of parameters, as the client's version wants them.
void send_feedback(wl_resource* resource, const WireFeedback& wire) {
  const uint32_t version = wl_resource_get_version(resource);
  if (wire.table_fd >= 0) zwp_linux_dmabuf_feedback_v1_send_format_table(resource, wire.table_fd, wire.table_size);
  if (version < 6)
    send_device(resource, static_cast<dev_t>(wire.feedback.main_device), zwp_linux_dmabuf_feedback_v1_send_main_device);
  for (const auto& t : wire.tranches) {
    const uint32_t flags = version >= 6 ? t.flags_v6 : t.flags_v4;
    if (version >= 6 && flags == 0) continue;  // v6: every tranche has a flag; ours always do
    send_device(resource, t.device, zwp_linux_dmabuf_feedback_v1_send_tranche_target_device);
    wl_array indices;
    wl_array_init(&indices);
    if (void* data = wl_array_add(&indices, t.indices.size() * sizeof(uint16_t)))
      std::memcpy(data, t.indices.data(), t.indices.size() * sizeof(uint16_t));
    zwp_linux_dmabuf_feedback_v1_send_tranche_formats(resource, &indices);
    wl_array_release(&indices);
    zwp_linux_dmabuf_feedback_v1_send_tranche_flags(resource, flags);
    zwp_linux_dmabuf_feedback_v1_send_tranche_done(resource);
  }
  zwp_linux_dmabuf_feedback_v1_send_done(resource);
}

}  // namespace

// ------------------------------------------------------------------ the global's state

struct Params;
struct FeedbackObject;

struct LinuxDmabuf::Impl {
  struct SurfaceFeedback {
    std::shared_ptr<const WireFeedback> wire;  // null: the default
    std::vector<FeedbackObject*> objects;
    Listener destroy;
  };

  Impl(wl_display* display, uint32_t version, scanout::FormatSet formats, scanout::Feedback default_feedback,
       DmabufImporter& importer, scanout::GlobalCounters& counters);
  ~Impl();

  std::shared_ptr<const WireFeedback> wire_for(const scanout::Feedback& feedback);
  SurfaceFeedback& surface_state(wlr_surface* surface);
  void create_buffer(Params& params, uint32_t buffer_id, int32_t width, int32_t height, uint32_t format,
                     uint32_t flags);

  wl_global* global = nullptr;
  scanout::FormatSet formats;
  std::shared_ptr<const WireFeedback> default_wire;
  DmabufImporter& importer;
  scanout::GlobalCounters& counters;
  std::vector<std::weak_ptr<const WireFeedback>> wires;  // built feedbacks still in use
  std::unordered_map<wlr_surface*, std::unique_ptr<SurfaceFeedback>> surfaces;
  // Every object of ours alive, so that they turn inert if we go first.
  std::unordered_set<wl_resource*> managers;
  std::unordered_set<Params*> params;
  std::unordered_set<FeedbackObject*> feedbacks;
};

// ------------------------------------------------------------------ zwp_linux_buffer_params_v1

struct Params {
  LinuxDmabuf::Impl* impl;
  wl_resource* resource;
  wlr_dmabuf_attributes attributes{};
  std::array<bool, WLR_DMABUF_MAX_PLANES> set{};
  std::optional<uint64_t> modifier;  // of the first plane added
  bool mixed_modifiers = false;      // before v5 not an error: the import fails
  bool used = false;
  uint64_t sampling_device = 0;  // v6 set_sampling_device; 0: none

  Params(LinuxDmabuf::Impl* i, wl_resource* r) : impl(i), resource(r) {
    for (int& fd : attributes.fd) fd = -1;
  }
  ~Params() {
    for (int fd : attributes.fd)
      if (fd >= 0) close(fd);
  }
};

namespace {

Params* params_of(wl_resource* resource) { return static_cast<Params*>(wl_resource_get_user_data(resource)); }

void params_destroy(wl_client*, wl_resource* resource) { wl_resource_destroy(resource); }

void params_add(wl_client*, wl_resource* resource, int32_t fd, uint32_t plane, uint32_t offset, uint32_t stride,
                uint32_t modifier_hi, uint32_t modifier_lo) {
  Params* p = params_of(resource);
  const uint64_t modifier = uint64_t{modifier_hi} << 32 | modifier_lo;
  if (p->used) {
    close(fd);
    return wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
                                  "params were already used to create a wl_buffer");
  }
  if (plane >= WLR_DMABUF_MAX_PLANES) {
    close(fd);
    return wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_IDX,
                                  "plane index %u is not below %d", plane, WLR_DMABUF_MAX_PLANES);
  }
  if (p->set[plane]) {
    close(fd);
    return wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_SET, "plane %u was already set",
                                  plane);
  }
  if (p->modifier && *p->modifier != modifier) {
    if (wl_resource_get_version(resource) >= 5) {
      close(fd);
      return wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
                                    "plane %u has modifier 0x%llx, an earlier one 0x%llx: all planes must share one",
                                    plane, static_cast<unsigned long long>(modifier),
                                    static_cast<unsigned long long>(*p->modifier));
    }
    p->mixed_modifiers = true;
  }
  p->modifier = p->modifier.value_or(modifier);
  p->set[plane] = true;
  p->attributes.fd[plane] = fd;
  p->attributes.offset[plane] = offset;
  p->attributes.stride[plane] = stride;
}

void params_create(wl_client*, wl_resource* resource, int32_t width, int32_t height, uint32_t format, uint32_t flags) {
  Params* p = params_of(resource);
  if (p->impl) p->impl->create_buffer(*p, 0, width, height, format, flags);
}

void params_create_immed(wl_client*, wl_resource* resource, uint32_t buffer_id, int32_t width, int32_t height,
                         uint32_t format, uint32_t flags) {
  Params* p = params_of(resource);
  if (p->impl) p->impl->create_buffer(*p, buffer_id, width, height, format, flags);
}

void params_set_sampling_device(wl_client*, wl_resource* resource, wl_array* device) {
  Params* p = params_of(resource);
  if (p->used)
    return wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
                                  "params were already used to create a wl_buffer");
  if (device->size != sizeof(dev_t))
    return wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DEV_T_SIZE,
                                  "a dev_t has %zu bytes, not %zu", sizeof(dev_t), device->size);
  dev_t dev;
  std::memcpy(&dev, device->data, sizeof dev);
  p->sampling_device = dev;
}

const struct zwp_linux_buffer_params_v1_interface kParamsImpl = {
    .destroy = params_destroy,
    .add = params_add,
    .create = params_create,
    .create_immed = params_create_immed,
    .set_sampling_device = params_set_sampling_device,
};

void params_resource_destroyed(wl_resource* resource) {
  Params* p = params_of(resource);
  if (p->impl) p->impl->params.erase(p);
  delete p;
}

// Where each plane lies in its dma-buf, where the kernel can say how big the
// dma-buf is (a pipe cannot: the import decides then).
std::optional<std::string> out_of_bounds(const wlr_dmabuf_attributes& a) {
  for (int i = 0; i < a.n_planes; ++i) {
    off_t size = lseek(a.fd[i], 0, SEEK_END);
    if (size < 0) continue;
    const uint64_t offset = a.offset[i], stride = a.stride[i], end = uint64_t(size);
    char why[160];
    if (offset >= end && !(offset == 0 && end == 0 && stride == 0)) {
      snprintf(why, sizeof why, "plane %d: offset %llu is beyond the dma-buf's %llu bytes", i,
               static_cast<unsigned long long>(offset), static_cast<unsigned long long>(end));
      return why;
    }
    if (offset + stride > end) {
      snprintf(why, sizeof why, "plane %d: offset %llu + stride %llu is beyond the dma-buf's %llu bytes", i,
               static_cast<unsigned long long>(offset), static_cast<unsigned long long>(stride),
               static_cast<unsigned long long>(end));
      return why;
    }
    // Only plane 0 has the full height (the others may be subsampled).
    if (i == 0 && offset + stride * uint64_t(a.height) > end) {
      snprintf(why, sizeof why, "plane 0: %d rows of %llu bytes from offset %llu pass the dma-buf's %llu bytes",
               a.height, static_cast<unsigned long long>(stride), static_cast<unsigned long long>(offset),
               static_cast<unsigned long long>(end));
      return why;
    }
  }
  return std::nullopt;
}

}  // namespace

void LinuxDmabuf::Impl::create_buffer(Params& p, uint32_t buffer_id, int32_t width, int32_t height, uint32_t format,
                                      uint32_t flags) {
  wl_resource* resource = p.resource;
  wl_client* client = wl_resource_get_client(resource);
  const uint32_t version = wl_resource_get_version(resource);
  if (p.used)
    return wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
                                  "params were already used to create a wl_buffer");
  p.used = true;

  int planes = 0;
  while (planes < WLR_DMABUF_MAX_PLANES && p.set[planes]) ++planes;
  for (int i = planes; i < WLR_DMABUF_MAX_PLANES; ++i)
    if (p.set[i])
      return wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE,
                                    "plane %d was added but plane %d was not", i, planes);
  if (planes == 0)
    return wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE, "no plane was added");
  const uint64_t modifier = *p.modifier;
  if (version >= 4 && !formats.has(format, modifier)) {
    ++counters.imports_invalid_format;
    const std::string name = scanout::fourcc_name(format);
    DLOG(WLR_DEBUG, "%s modifier 0x%llx was never advertised: invalid_format", name.c_str(),
         static_cast<unsigned long long>(modifier));
    return wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
                                  "format %s (0x%08x) with modifier 0x%llx was not advertised", name.c_str(), format,
                                  static_cast<unsigned long long>(modifier));
  }
  if (width <= 0 || height <= 0)
    return wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS,
                                  "width %d and height %d must be positive", width, height);

  wlr_dmabuf_attributes& a = p.attributes;
  a.width = width;
  a.height = height;
  a.format = format;
  a.modifier = modifier;
  a.n_planes = planes;
  if (auto why = out_of_bounds(a))
    return wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS, "%s", why->c_str());

  std::string why;
  bool ok = false;
  if (flags != 0) why = "y_invert, interlaced and bottom_first buffers are not supported";
  else if (p.mixed_modifiers) why = "the planes have different modifiers";
  else ok = importer.import(a, p.sampling_device, why);
  ++(ok ? counters.imports_ok : counters.imports_failed);
  if (!ok) {
    DLOG(WLR_DEBUG, "%s %dx%d modifier 0x%llx refused: %s", scanout::fourcc_name(format).c_str(), width, height,
         static_cast<unsigned long long>(modifier), why.c_str());
    // create_immed leaves the choice to us: a client that skips the
    // round trip is told at once, rather than later through a dead buffer.
    if (buffer_id == 0) return zwp_linux_buffer_params_v1_send_failed(resource);
    return wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER,
                                  "the dma-buf cannot be used: %s", why.c_str());
  }
  a.n_planes = planes;
  wl_resource* buffer = make_buffer(client, buffer_id, a);
  if (buffer && buffer_id == 0) zwp_linux_buffer_params_v1_send_created(resource, buffer);
}

// ------------------------------------------------------------------ zwp_linux_dmabuf_feedback_v1

struct FeedbackObject {
  LinuxDmabuf::Impl* impl;
  wl_resource* resource;
  wlr_surface* surface;  // null: the default feedback, or the surface is gone
};

namespace {

void feedback_destroy(wl_client*, wl_resource* resource) { wl_resource_destroy(resource); }
const struct zwp_linux_dmabuf_feedback_v1_interface kFeedbackImpl = {.destroy = feedback_destroy};

void feedback_resource_destroyed(wl_resource* resource) {
  auto* object = static_cast<FeedbackObject*>(wl_resource_get_user_data(resource));
  if (auto* impl = object->impl) {
    impl->feedbacks.erase(object);
    if (auto it = impl->surfaces.find(object->surface); object->surface && it != impl->surfaces.end())
      std::erase(it->second->objects, object);
  }
  delete object;
}

wl_resource* make_feedback(wl_client* client, wl_resource* manager, uint32_t id, LinuxDmabuf::Impl* impl,
                           wlr_surface* surface) {
  wl_resource* resource =
      wl_resource_create(client, &zwp_linux_dmabuf_feedback_v1_interface, wl_resource_get_version(manager), id);
  if (!resource) {
    wl_client_post_no_memory(client);
    return nullptr;
  }
  auto* object = new FeedbackObject{impl, resource, surface};
  wl_resource_set_implementation(resource, &kFeedbackImpl, object, feedback_resource_destroyed);
  if (impl) impl->feedbacks.insert(object);
  return resource;
}

// ------------------------------------------------------------------ zwp_linux_dmabuf_v1

LinuxDmabuf::Impl* impl_of(wl_resource* manager) {
  return static_cast<LinuxDmabuf::Impl*>(wl_resource_get_user_data(manager));
}

void manager_destroy(wl_client*, wl_resource* resource) { wl_resource_destroy(resource); }

void manager_create_params(wl_client* client, wl_resource* manager, uint32_t id) {
  wl_resource* resource =
      wl_resource_create(client, &zwp_linux_buffer_params_v1_interface, wl_resource_get_version(manager), id);
  if (!resource) return wl_client_post_no_memory(client);
  auto* impl = impl_of(manager);
  auto* p = new Params(impl, resource);
  wl_resource_set_implementation(resource, &kParamsImpl, p, params_resource_destroyed);
  if (impl) impl->params.insert(p);
}

void manager_get_default_feedback(wl_client* client, wl_resource* manager, uint32_t id) {
  auto* impl = impl_of(manager);
  wl_resource* resource = make_feedback(client, manager, id, impl, nullptr);
  if (resource && impl) send_feedback(resource, *impl->default_wire);
}

void manager_get_surface_feedback(wl_client* client, wl_resource* manager, uint32_t id, wl_resource* surface_resource) {
  auto* impl = impl_of(manager);
  wlr_surface* surface = wlr_surface_from_resource(surface_resource);
  wl_resource* resource = make_feedback(client, manager, id, impl, impl ? surface : nullptr);
  if (!resource || !impl) return;
  auto& state = impl->surface_state(surface);
  state.objects.push_back(static_cast<FeedbackObject*>(wl_resource_get_user_data(resource)));
  send_feedback(resource, state.wire ? *state.wire : *impl->default_wire);
}

const struct zwp_linux_dmabuf_v1_interface kManagerImpl = {
    .destroy = manager_destroy,
    .create_params = manager_create_params,
    .get_default_feedback = manager_get_default_feedback,
    .get_surface_feedback = manager_get_surface_feedback,
};

void manager_resource_destroyed(wl_resource* resource) {
  if (auto* impl = impl_of(resource)) impl->managers.erase(resource);
}

void bind_manager(wl_client* client, void* data, uint32_t version, uint32_t id) {
  auto* impl = static_cast<LinuxDmabuf::Impl*>(data);
  wl_resource* resource = wl_resource_create(client, &zwp_linux_dmabuf_v1_interface, version, id);
  if (!resource) return wl_client_post_no_memory(client);
  wl_resource_set_implementation(resource, &kManagerImpl, impl, manager_resource_destroyed);
  impl->managers.insert(resource);
  // Before version 4 the formats come as events now; from 4 on, by feedback.
  if (version >= 4) return;
  for (const auto& [format, modifiers] : impl->formats.entries()) {
    zwp_linux_dmabuf_v1_send_format(resource, format);
    if (version >= 3)
      for (uint64_t modifier : modifiers)
        zwp_linux_dmabuf_v1_send_modifier(resource, format, uint32_t(modifier >> 32), uint32_t(modifier & 0xffffffff));
  }
}

}  // namespace

LinuxDmabuf::Impl::Impl(wl_display* display, uint32_t version, scanout::FormatSet formats_,
                        scanout::Feedback default_feedback, DmabufImporter& importer_,
                        scanout::GlobalCounters& counters_)
    : formats(std::move(formats_)), importer(importer_), counters(counters_) {
  default_wire = wire_for(default_feedback);
  static const bool registered = (wlr_buffer_register_resource_interface(&kBufferResourceInterface), true);
  (void)registered;
  global = wl_global_create(display, &zwp_linux_dmabuf_v1_interface,
                            std::min<uint32_t>(version, zwp_linux_dmabuf_v1_interface.version), this, bind_manager);
  if (!global) DLOG(WLR_ERROR, "cannot create the global");
}

LinuxDmabuf::Impl::~Impl() {
  if (global) wl_global_destroy(global);
  for (wl_resource* manager : managers) wl_resource_set_user_data(manager, nullptr);
  for (Params* p : params) p->impl = nullptr;
  for (FeedbackObject* f : feedbacks) f->impl = nullptr;
}

std::shared_ptr<const WireFeedback> LinuxDmabuf::Impl::wire_for(const scanout::Feedback& feedback) {
  std::erase_if(wires, [](const auto& w) { return w.expired(); });
  for (const auto& weak : wires)
    if (auto wire = weak.lock(); wire->feedback == feedback) return wire;
  auto wire = build_wire(feedback);
  wires.push_back(wire);
  return wire;
}

LinuxDmabuf::Impl::SurfaceFeedback& LinuxDmabuf::Impl::surface_state(wlr_surface* surface) {
  auto& state = surfaces[surface];
  if (!state) {
    state = std::make_unique<SurfaceFeedback>();
    state->destroy.connect(&surface->events.destroy, [this, surface](void*) {
      for (FeedbackObject* object : surfaces[surface]->objects) object->surface = nullptr;
      surfaces.erase(surface);
    });
  }
  return *state;
}

LinuxDmabuf::LinuxDmabuf(wl_display* display, uint32_t version, scanout::FormatSet formats,
                         scanout::Feedback default_feedback, DmabufImporter& importer,
                         scanout::GlobalCounters& counters)
    : impl_(std::make_unique<Impl>(display, version, std::move(formats), std::move(default_feedback), importer,
                                   counters)) {}

LinuxDmabuf::~LinuxDmabuf() = default;

void LinuxDmabuf::set_surface_feedback(wlr_surface* surface, const scanout::Feedback* feedback) {
  if (feedback && *feedback == impl_->default_wire->feedback) feedback = nullptr;
  auto it = impl_->surfaces.find(surface);
  if (!feedback && it == impl_->surfaces.end()) return;  // default already
  auto& state = impl_->surface_state(surface);
  std::shared_ptr<const WireFeedback> wire = feedback ? impl_->wire_for(*feedback) : nullptr;
  if (wire == state.wire) return;
  state.wire = wire;
  for (FeedbackObject* object : state.objects) send_feedback(object->resource, wire ? *wire : *impl_->default_wire);
}

}  // namespace tranche::protocols
