// Explicit sync's request handlers (linux-drm-syncobj-v1,
// protocols/linux_drm_syncobj.cpp) against a headless tranche in this process,
// with ExplicitSync on a real DRM device that has timeline syncobjs:
// $TRANCHE_FUZZ_DRM, else the first /dev/dri node that has them (a VM booted
// with `tools/vm/vm run --vkms-syncobj`). Without one, the target exits 77
// (meson's "skipped"), saying why.
//
// The input is a list of operations of one client: surfaces and their syncobj
// surfaces made and destroyed in any order, timelines imported from syncobjs
// made here on the same device or from fds that are not syncobjs, points set,
// buffers (shm, dma-bufs from memfds or from the device's dumb buffers)
// attached, commits, points signalled from here in any order, and the client
// vanishing whenever the input says. The fuzzer keeps a model of what the
// protocol allows, so beyond "no crash, no sanitizer report" it checks:
//   - a request the spec allows raises no error, and one it forbids raises the
//     spec's error (surface_exists, invalid_timeline, no_surface,
//     unsupported_buffer, no_buffer, no_acquire_point, no_release_point,
//     conflicting_points) on the right interface;
//   - once the client is gone, ExplicitSync::describe() lists no waiting surface
//     and no release point still to signal.
// A fresh server per input, so every crash replays from its input alone.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <drm_fourcc.h>
#include <wayland-client.h>

#include "fuzz.hpp"
#include "linux-dmabuf-v1-client-protocol.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "linux_dmabuf.hpp"
#include "linux_drm_syncobj.hpp"
#include "headless_server.hpp"
#include "server.hpp"

namespace {

using fuzz::Bytes;

std::string runtime_dir;
int drm_fd = -1;         // the device ExplicitSync runs on, and where syncobjs are made
bool drm_dumb = false;   // whether it makes dumb buffers (a card node): real dma-bufs

// Why `fd` cannot carry explicit sync (empty when it can): what ExplicitSync
// itself asks of a device, so the fuzzer never runs with the global missing.
std::string syncobj_unsupported(int fd) {
  uint64_t timeline = 0;
  if (drmGetCap(fd, DRM_CAP_SYNCOBJ_TIMELINE, &timeline) != 0 || !timeline) return "no timeline syncobjs";
  uint32_t handle = 0;
  if (drmSyncobjCreate(fd, 0, &handle) != 0) return std::string("drmSyncobjCreate: ") + strerror(errno);
  int event = eventfd(0, EFD_CLOEXEC);
  int result = event < 0 ? -1 : drmSyncobjEventfd(fd, handle, 1, event, 0);
  if (event >= 0) close(event);
  drmSyncobjDestroy(fd, handle);
  return result == 0 ? "" : "no syncobj eventfds";
}

std::optional<int> open_drm(std::string& why) {
  std::vector<std::string> nodes;
  if (const char* named = std::getenv("TRANCHE_FUZZ_DRM"); named && *named) {
    nodes.push_back(named);
  } else {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/dev/dri", ec))
      nodes.push_back(entry.path());
    std::ranges::sort(nodes);  // card* before renderD*: dumb buffers need a card node
  }
  if (nodes.empty()) why = "no /dev/dri node (set TRANCHE_FUZZ_DRM, or run in tools/vm/vm run --vkms-syncobj)";
  for (const auto& node : nodes) {
    int fd = open(node.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      why += node + ": " + strerror(errno) + "; ";
      continue;
    }
    std::string missing = syncobj_unsupported(fd);
    if (missing.empty()) {
      std::fprintf(stderr, "fuzz-syncobj: explicit sync on %s\n", node.c_str());
      return fd;
    }
    why += node + ": " + missing + "; ";
    close(fd);
  }
  return std::nullopt;
}

// Takes every dma-buf: the memfds are never read, the dumb buffers are real.
struct AcceptingImporter : tranche::protocols::DmabufImporter {
  bool import(const wlr_dmabuf_attributes&, uint64_t, std::string&) override { return true; }
};

tranche::scanout::FormatSet dmabuf_formats() {
  tranche::scanout::FormatSet set;
  set.add(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR);
  return set;
}

// --- the client and its model of the protocol ----------------------------------

enum class Attached { None, Null, Shm, Dmabuf };

struct Point {
  int timeline;  // the timeline object's serial: "the same timeline" is the same object
  uint64_t value;
};

struct Surface {
  wl_surface* proxy = nullptr;  // null once destroyed
  wp_linux_drm_syncobj_surface_v1* sync = nullptr;
  Attached attached = Attached::None;  // pending, as the next commit sees it
  std::optional<Point> acquire, release;
};

struct Timeline {
  wp_linux_drm_syncobj_timeline_v1* proxy;
  int serial;
};

struct Expected {
  const wl_interface* interface;
  uint32_t code;
};

struct Client {
  tranche::Server& server;
  wl_display* display = nullptr;
  wl_registry* registry = nullptr;
  wl_compositor* compositor = nullptr;
  wl_shm* shm = nullptr;
  zwp_linux_dmabuf_v1* dmabuf = nullptr;
  wp_linux_drm_syncobj_manager_v1* manager = nullptr;
  uint32_t manager_name = 0;
  std::vector<Surface> surfaces;
  std::vector<Timeline> timelines;  // live ones
  std::vector<uint32_t> syncobjs;   // ours, on drm_fd: what the timelines are
  std::vector<wl_proxy*> garbage;   // buffers, pools, params: destroyed at the end
  int next_serial = 0;
  std::optional<Expected> expected;  // the error the last request must raise
  bool stall_disconnects = false;    // explicit-sync.disconnect-after-ms is on: it may end the client

  ~Client() {
    for (uint32_t handle : syncobjs) drmSyncobjDestroy(drm_fd, handle);
  }

  // Client-side only (no requests): the proxies, before the display goes.
  void forget_proxies() {
    auto forget = [](auto*& proxy) {
      if (proxy) wl_proxy_destroy(reinterpret_cast<wl_proxy*>(proxy));
      proxy = nullptr;
    };
    for (auto& s : surfaces) {
      forget(s.sync);
      forget(s.proxy);
    }
    for (auto& t : timelines) forget(t.proxy);
    for (auto*& proxy : garbage) forget(proxy);
    forget(manager);
    forget(dmabuf);
    forget(shm);
    forget(compositor);
    forget(registry);
  }

  // Steps both sides; false once the client has seen a protocol error.
  bool step() {
    if (wl_display_flush(display) < 0 && errno != EAGAIN) return false;
    wl_event_loop_dispatch(server.loop, 0);
    wl_display_flush_clients(server.display);
    if (wl_display_prepare_read(display) == 0) {
      pollfd pfd{wl_display_get_fd(display), POLLIN, 0};
      if (poll(&pfd, 1, 0) > 0) wl_display_read_events(display);
      else wl_display_cancel_read(display);
    }
    return wl_display_dispatch_pending(display) >= 0 && wl_display_get_error(display) == 0;
  }

  // The property on errors: none unless the model expects one, and then that one.
  void check_error() {
    const wl_interface* interface = nullptr;
    uint32_t code = wl_display_get_error(display) ? wl_display_get_protocol_error(display, &interface, nullptr) : 0;
    if (!wl_display_get_error(display)) {
      if (expected)
        std::fprintf(stderr, "fuzz-syncobj: expected error %u on %s, got none\n", expected->code,
                     expected->interface->name);
      FUZZ_CHECK(!expected);
      return;
    }
    // The stall policy's disconnect, at whatever time a wait outlived it.
    if (stall_disconnects && interface && std::string_view(interface->name) == "wl_display" &&
        code == WL_DISPLAY_ERROR_IMPLEMENTATION)
      return;
    if (!expected || interface != expected->interface || code != expected->code) {
      std::fprintf(stderr, "fuzz-syncobj: got error %u on %s (errno %d), expected %s %u\n", code,
                   interface ? interface->name : "(none)", wl_display_get_error(display),
                   expected ? expected->interface->name : "none", expected ? expected->code : 0);
      FUZZ_CHECK(false);
    }
  }

  void bind_manager() {
    manager = static_cast<wp_linux_drm_syncobj_manager_v1*>(
        wl_registry_bind(registry, manager_name, &wp_linux_drm_syncobj_manager_v1_interface, 1));
  }

  Surface* pick_surface(Bytes& in, bool need_proxy, bool need_sync) {
    std::vector<Surface*> fit;
    for (auto& s : surfaces)
      if ((!need_proxy || s.proxy) && (!need_sync || s.sync)) fit.push_back(&s);
    return fit.empty() ? nullptr : fit[in.u8() % fit.size()];
  }

  // Points: mostly small (what a client counts), sometimes anything.
  static uint64_t point(Bytes& in) {
    uint8_t kind = in.u8();
    if (kind < 0xe0) return kind % 16;
    const uint64_t high = in.u32();
    return high << 32 | in.u32();
  }

  int import_fd(Bytes& in, bool& valid) {
    valid = false;
    switch (in.u8() % 8) {
      case 0: case 1: case 2: case 3: {  // a new syncobj (sometimes signalled), or one of ours again
        uint32_t handle = 0;
        const uint8_t mode = in.u8();
        if (syncobjs.empty() || (mode & 3) != 0) {
          if (syncobjs.size() >= 8 ||
              drmSyncobjCreate(drm_fd, (in.u8() & 1) ? DRM_SYNCOBJ_CREATE_SIGNALED : 0, &handle) != 0)
            return -1;
          syncobjs.push_back(handle);
        } else {
          handle = syncobjs[in.u8() % syncobjs.size()];  // two timeline objects on one syncobj
        }
        int fd = -1;
        if (drmSyncobjHandleToFD(drm_fd, handle, &fd) != 0) return -1;
        valid = true;
        return fd;
      }
      case 4: return memfd_create("fuzz-syncobj-junk", MFD_CLOEXEC);
      case 5: return eventfd(0, EFD_CLOEXEC);
      case 6: {
        int pipe_fds[2];
        if (pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
        close(pipe_fds[1]);
        return pipe_fds[0];
      }
      default: return fcntl(drm_fd, F_DUPFD_CLOEXEC, 0);  // the device itself, not a syncobj
    }
  }

  wl_buffer* make_buffer(Bytes& in, Attached& kind) {
    const int32_t width = 2 * (1 + in.u8() % 8), height = 1 + in.u8() % 16, stride = width * 4;
    const off_t size = off_t{stride} * height;
    if (in.u8() % 3 == 0) {
      kind = Attached::Shm;
      int fd = memfd_create("fuzz-syncobj-shm", MFD_CLOEXEC);
      if (fd < 0 || ftruncate(fd, size) != 0) return nullptr;
      wl_shm_pool* pool = wl_shm_create_pool(shm, fd, static_cast<int32_t>(size));
      close(fd);
      garbage.push_back(reinterpret_cast<wl_proxy*>(pool));
      return wl_shm_pool_create_buffer(pool, 0, width, height, stride, WL_SHM_FORMAT_XRGB8888);
    }
    kind = Attached::Dmabuf;
    int fd = -1;
    uint32_t pitch = static_cast<uint32_t>(stride);
    const bool dumb = in.u8() & 1;  // read on every device, so an input means the same everywhere
    if (drm_dumb && dumb) {  // a real dma-buf: release points then wait for its fences
      uint32_t handle = 0;
      uint64_t dumb_size = 0;
      if (drmModeCreateDumbBuffer(drm_fd, width, height, 32, 0, &handle, &pitch, &dumb_size) == 0) {
        drmPrimeHandleToFD(drm_fd, handle, DRM_CLOEXEC | DRM_RDWR, &fd);
        drmModeDestroyDumbBuffer(drm_fd, handle);  // the dma-buf keeps it
      }
    }
    if (fd < 0) {
      pitch = static_cast<uint32_t>(stride);
      fd = memfd_create("fuzz-syncobj-dmabuf", MFD_CLOEXEC);
      if (fd < 0 || ftruncate(fd, size) != 0) return nullptr;
    }
    zwp_linux_buffer_params_v1* params = zwp_linux_dmabuf_v1_create_params(dmabuf);
    zwp_linux_buffer_params_v1_add(params, fd, 0, 0, pitch, DRM_FORMAT_MOD_LINEAR >> 32,
                                   DRM_FORMAT_MOD_LINEAR & 0xffffffff);
    close(fd);
    garbage.push_back(reinterpret_cast<wl_proxy*>(params));
    return zwp_linux_buffer_params_v1_create_immed(params, width, height, DRM_FORMAT_XRGB8888, 0);
  }

  // What the model says a commit of `s` must raise, in the order the spec's
  // checks are made (protocols/linux_drm_syncobj.cpp, on_client_commit).
  static std::optional<uint32_t> commit_error(const Surface& s) {
    if (!s.sync) return std::nullopt;
    const bool buffer = s.attached == Attached::Shm || s.attached == Attached::Dmabuf;
    if (s.attached == Attached::Shm) return WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_UNSUPPORTED_BUFFER;
    if (!buffer && (s.acquire || s.release)) return WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_BUFFER;
    if (!buffer) return std::nullopt;
    if (!s.acquire) return WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_ACQUIRE_POINT;
    if (!s.release) return WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_RELEASE_POINT;
    if (s.acquire->timeline == s.release->timeline && s.acquire->value >= s.release->value)
      return WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_CONFLICTING_POINTS;
    return std::nullopt;
  }

  // One operation; false when the input ends the session (a disconnect).
  bool operate(Bytes& in) {
    switch (in.u8() % 15) {
      case 0:  // a surface
        if (surfaces.size() < 8) surfaces.push_back({.proxy = wl_compositor_create_surface(compositor)});
        return true;
      case 1: {  // its syncobj surface: once per wl_surface
        Surface* s = pick_surface(in, true, false);
        if (!s) return true;
        if (s->sync) {
          expected = Expected{&wp_linux_drm_syncobj_manager_v1_interface,
                              WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_SURFACE_EXISTS};
          garbage.push_back(reinterpret_cast<wl_proxy*>(wp_linux_drm_syncobj_manager_v1_get_surface(manager, s->proxy)));
          return true;
        }
        s->sync = wp_linux_drm_syncobj_manager_v1_get_surface(manager, s->proxy);
        return true;
      }
      case 2: {  // the wl_surface goes; its syncobj surface stays, inert
        Surface* s = pick_surface(in, true, false);
        if (!s) return true;
        wl_surface_destroy(s->proxy);
        s->proxy = nullptr;
        s->attached = Attached::None;
        return true;
      }
      case 3: {  // the syncobj surface goes: its pending points with it
        Surface* s = pick_surface(in, false, true);
        if (!s) return true;
        wp_linux_drm_syncobj_surface_v1_destroy(s->sync);
        s->sync = nullptr;
        s->acquire.reset();
        s->release.reset();
        return true;
      }
      case 4: {  // a timeline, from a syncobj or from junk
        if (timelines.size() >= 8) return true;
        bool valid = false;
        int fd = import_fd(in, valid);
        if (fd < 0) return true;
        auto* timeline = wp_linux_drm_syncobj_manager_v1_import_timeline(manager, fd);
        close(fd);
        if (valid) {
          timelines.push_back({timeline, next_serial++});
        } else {
          expected = Expected{&wp_linux_drm_syncobj_manager_v1_interface,
                              WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_INVALID_TIMELINE};
          garbage.push_back(reinterpret_cast<wl_proxy*>(timeline));
        }
        return true;
      }
      case 5: {  // a timeline object goes; points set with it stay set
        if (timelines.empty()) return true;
        size_t i = in.u8() % timelines.size();
        wp_linux_drm_syncobj_timeline_v1_destroy(timelines[i].proxy);
        timelines.erase(timelines.begin() + static_cast<std::ptrdiff_t>(i));
        return true;
      }
      case 6: case 7: {  // an acquire or a release point
        const bool acquire = in.u8() & 1;
        Surface* s = pick_surface(in, false, true);
        if (!s || timelines.empty()) return true;
        const Timeline& t = timelines[in.u8() % timelines.size()];
        uint64_t value = point(in);
        auto set = acquire ? wp_linux_drm_syncobj_surface_v1_set_acquire_point
                           : wp_linux_drm_syncobj_surface_v1_set_release_point;
        set(s->sync, t.proxy, static_cast<uint32_t>(value >> 32), static_cast<uint32_t>(value));
        if (!s->proxy)
          expected = Expected{&wp_linux_drm_syncobj_surface_v1_interface,
                              WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_SURFACE};
        else
          (acquire ? s->acquire : s->release) = Point{t.serial, value};
        return true;
      }
      case 8: {  // attach a buffer, or none
        Surface* s = pick_surface(in, true, false);
        if (!s || garbage.size() > 96) return true;
        Attached kind = Attached::Null;
        wl_buffer* buffer = (in.u8() % 4 == 0) ? nullptr : make_buffer(in, kind);
        if (!buffer) kind = Attached::Null;
        else garbage.push_back(reinterpret_cast<wl_proxy*>(buffer));
        wl_surface_attach(s->proxy, buffer, 0, 0);
        s->attached = kind;
        return true;
      }
      case 9: case 10: {  // commit
        Surface* s = pick_surface(in, true, false);
        if (!s) return true;
        if (auto code = commit_error(*s)) expected = Expected{&wp_linux_drm_syncobj_surface_v1_interface, *code};
        wl_surface_commit(s->proxy);
        s->attached = Attached::None;
        s->acquire.reset();
        s->release.reset();
        return true;
      }
      case 11: {  // signal a point from here, in whatever order the input says
        if (syncobjs.empty()) return true;
        uint32_t handle = syncobjs[in.u8() % syncobjs.size()];
        uint64_t value = point(in);
        drmSyncobjTimelineSignal(drm_fd, &handle, &value, 1);
        for (int i = in.u8() % 4; i > 0; --i) step();
        return true;
      }
      case 12:  // a new manager for the old: objects made with the old one live on
        wp_linux_drm_syncobj_manager_v1_destroy(manager);
        bind_manager();
        return true;
      case 13:  // time passes: the stall policy's timer may fire
        for (int i = 1 + in.u8() % 4; i > 0; --i) {
          wl_event_loop_dispatch(server.loop, 2);
          step();
        }
        return true;
      default:  // the client goes, waits and all
        return false;
    }
  }
};

const wl_registry_listener registry_listener = {
    .global =
        [](void* data, wl_registry* registry, uint32_t name, const char* interface, uint32_t version) {
          auto* client = static_cast<Client*>(data);
          std::string_view i = interface;
          if (i == wl_compositor_interface.name)
            client->compositor = static_cast<wl_compositor*>(
                wl_registry_bind(registry, name, &wl_compositor_interface, std::min(version, 6u)));
          else if (i == wl_shm_interface.name)
            client->shm = static_cast<wl_shm*>(wl_registry_bind(registry, name, &wl_shm_interface, 1));
          else if (i == zwp_linux_dmabuf_v1_interface.name)
            client->dmabuf = static_cast<zwp_linux_dmabuf_v1*>(
                wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, 3));
          else if (i == wp_linux_drm_syncobj_manager_v1_interface.name)
            client->manager_name = name;
        },
    .global_remove = [](void*, wl_registry*, uint32_t) {},
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string why;
  auto fd = open_drm(why);
  if (!fd) {
    std::fprintf(stderr, "fuzz-syncobj: skipped: no DRM device with timeline syncobjs: %s\n", why.c_str());
    std::exit(77);
  }
  drm_fd = *fd;
  uint64_t dumb = 0;
  drm_dumb = drmGetCap(drm_fd, DRM_CAP_DUMB_BUFFER, &dumb) == 0 && dumb;
  char pattern[] = "/tmp/tranche-fuzz-syncobj-XXXXXX";
  FUZZ_CHECK(mkdtemp(pattern) != nullptr);
  runtime_dir = pattern;
  setenv("XDG_RUNTIME_DIR", runtime_dir.c_str(), 1);
  setenv("WLR_RENDERER", "pixman", 0);  // headless needs no GPU; the DRM device is only for syncobjs
  wlr_log_init(std::getenv("TRANCHE_FUZZ_LOG") ? WLR_DEBUG : WLR_SILENT, nullptr);
  std::atexit([] { std::filesystem::remove_all(runtime_dir); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto server = fuzz::start_headless_server("fuzz-syncobj");
  AcceptingImporter importer;
  tranche::scanout::GlobalCounters counters;
  const uint64_t render = 0xe280;
  auto dmabuf = std::make_unique<tranche::protocols::LinuxDmabuf>(
      server->display, 3, dmabuf_formats(),
      tranche::scanout::Feedback{render, {{tranche::scanout::Tranche::Kind::Render, render, false, dmabuf_formats()}}},
      importer, counters);
  Bytes in(data, size);
  // The first byte picks the stall policy: the defaults (warn after a second,
  // never disconnect: no run is that long), or warnings and disconnects after a
  // few milliseconds, so that its timer runs, and ends clients, mid-input.
  const uint8_t policy = in.u8();
  const tranche::sync::StallSettings stall{
      .warn_after_ns = (policy & 1) ? 1'000'000 : 1'000'000'000,
      .disconnect_after_ns = (policy & 2) ? 3'000'000 : 0,
  };
  auto sync = std::make_unique<tranche::ExplicitSync>(server->display, tranche::ExplicitSync::DrmFd{drm_fd},
                                                       [stall] { return stall; });
  FUZZ_CHECK(sync->offered());

  int sv[2];
  FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  FUZZ_CHECK(wl_client_create(server->display, sv[0]) != nullptr);
  {
    Client client{.server = *server};
    client.display = wl_display_connect_to_fd(sv[1]);
    FUZZ_CHECK(client.display != nullptr);
    client.registry = wl_display_get_registry(client.display);
    wl_registry_add_listener(client.registry, &registry_listener, &client);
    for (int i = 0; i < 20 && !(client.compositor && client.shm && client.dmabuf && client.manager_name); ++i)
      client.step();
    FUZZ_CHECK(client.compositor && client.shm && client.dmabuf && client.manager_name);
    client.bind_manager();

    client.stall_disconnects = stall.disconnect_after_ns > 0;
    bool alive = true;
    for (int n = 0; alive && !in.empty() && n < 256; ++n) {
      if (!client.operate(in)) break;
      if (client.expected) {
        // The error ends the client: see that it is the spec's, then stop.
        for (int i = 0; i < 50 && client.step(); ++i) {}
        break;
      }
      if (in.u8() % 4 == 0) alive = client.step();
    }
    if (!client.expected) for (int i = 0; alive && i < 5; ++i) alive = client.step();
    if (std::getenv("TRANCHE_FUZZ_VERBOSE")) {  // what an input reached: for checking seeds
      const wl_interface* interface = nullptr;
      uint32_t code = wl_display_get_error(client.display)
                          ? wl_display_get_protocol_error(client.display, &interface, nullptr) : 0;
      std::fprintf(stderr, "fuzz-syncobj: error %s %u; before disconnect: %s\n",
                   interface ? interface->name : "none", code, sync->describe().dump().c_str());
    }
    client.check_error();

    // The client vanishes without cleaning up, maybe mid-wait: tranche forgets it.
    client.forget_proxies();
    wl_display_disconnect(client.display);
  }
  for (int i = 0; i < 50 && !sync->describe()["waiting"].empty(); ++i) wl_event_loop_dispatch(server->loop, 1);
  auto state = sync->describe();
  if (!state["waiting"].empty()) std::fprintf(stderr, "fuzz-syncobj: left waiting: %s\n", state.dump().c_str());
  FUZZ_CHECK(state["waiting"].empty());
  // Its buffers are gone, so every release point it asked for has been signalled.
  FUZZ_CHECK(state["counters"]["releases_pending"] == 0);
  FUZZ_CHECK(state["counters"]["buffers_watched"] == 0);
  sync.reset();
  dmabuf.reset();
  server.reset();
  return 0;
}
