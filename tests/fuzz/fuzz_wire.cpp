// The wire: a headless tranche in this process, and a client that speaks any
// request of any global the compositor advertises, with arguments taken from
// the input. Requests are built from each interface's signature (through
// libwayland-client's marshalling), so mutations reach the request handlers
// instead of dying in the message parser. linux-dmabuf (which needs a DRM
// renderer, so headless has none) is added with an importer that takes memfds
// as dma-bufs, so its params and feedback handlers and its wl_buffers in
// wlroots' hands are fuzzed too. Properties: the compositor never
// crashes, and a client that vanishes leaves no window behind. A fresh server
// per input, so every crash replays from its input alone.
#include <dlfcn.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <wayland-client.h>

#include <drm_fourcc.h>

#include "fuzz.hpp"
#include "linux_dmabuf.hpp"
#include "headless_server.hpp"
#include "server.hpp"

namespace {

using fuzz::Bytes;

struct Global {
  uint32_t name, version;
  const wl_interface* interface;
};

struct Proxy {
  wl_proxy* proxy;
  const wl_interface* interface;
};

const wl_interface* find_interface(const char* name) {
  // Every interface tranche advertises is defined in libwayland or wlroots, or
  // in tranche itself; all are visible to dlsym by their generated names.
  std::string symbol = std::string(name) + "_interface";
  return static_cast<const wl_interface*>(dlsym(RTLD_DEFAULT, symbol.c_str()));
}

const wl_registry_listener registry_listener = {
    .global =
        [](void* data, wl_registry*, uint32_t name, const char* interface, uint32_t version) {
          if (const wl_interface* i = find_interface(interface))
            static_cast<std::vector<Global>*>(data)->push_back({name, version, i});
        },
    .global_remove = [](void*, wl_registry*, uint32_t) {},
};

std::string runtime_dir;

// Takes what the input decides: buffers of an even width import, others fail.
struct MemfdImporter : tranche::protocols::DmabufImporter {
  bool import(const wlr_dmabuf_attributes& a, uint64_t, std::string& why) override {
    if (a.width % 2 == 0) return true;
    why = "odd width";
    return false;
  }
};

tranche::scanout::FormatSet dmabuf_formats() {
  tranche::scanout::FormatSet set;
  set.add(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR);
  set.add(DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_INVALID);
  set.add(DRM_FORMAT_NV12, DRM_FORMAT_MOD_LINEAR);
  return set;
}

// Steps both sides; false once the client is dead (a protocol error).
bool step(tranche::Server& server, wl_display* display) {
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

// One request, its arguments from the input; new objects join `objects`.
void send_request(Bytes& in, std::vector<Proxy>& objects, const std::vector<Global>& globals,
                  std::vector<int>& fds) {
  const Proxy target = objects[in.u8() % objects.size()];
  if (target.interface->method_count == 0) return;
  uint32_t opcode = in.u8() % target.interface->method_count;
  if (target.interface == &wl_registry_interface) {  // bind: an untyped new_id
    if (globals.empty()) return;
    const Global& g = globals[in.u8() % globals.size()];
    uint32_t version = 1 + in.u8() % g.version;
    auto* bound = wl_proxy_marshal_flags(target.proxy, WL_REGISTRY_BIND, g.interface, version, 0, g.name,
                                         g.interface->name, version, nullptr);
    if (bound) objects.push_back({bound, g.interface});
    return;
  }
  const wl_message& message = target.interface->methods[opcode];
  // Requests newer than the bound version: libwayland-client refuses to send them.
  if (static_cast<uint32_t>(std::atoi(message.signature)) > wl_proxy_get_version(target.proxy)) return;
  std::vector<wl_argument> args;
  std::vector<std::string> strings;
  std::vector<wl_array> arrays;
  strings.reserve(16);
  arrays.reserve(16);
  struct Release {
    std::vector<wl_array>& arrays;
    ~Release() { for (auto& array : arrays) wl_array_release(&array); }
  } release{arrays};
  const wl_interface* created = nullptr;
  bool nullable = false;
  int type_index = 0;
  for (const char* c = message.signature; *c; ++c) {
    if (*c >= '0' && *c <= '9') continue;
    if (*c == '?') { nullable = true; continue; }
    wl_argument arg{};
    const wl_interface* type = message.types ? message.types[type_index] : nullptr;
    ++type_index;
    switch (*c) {
      case 'i': arg.i = static_cast<int32_t>(in.number()) * ((in.u8() & 1) ? -1 : 1); break;
      case 'u': arg.u = in.number(); break;
      case 'f': arg.f = static_cast<wl_fixed_t>(in.u32()); break;
      case 's':
        if (nullable && (in.u8() & 3) == 0) { arg.s = nullptr; break; }
        strings.push_back(in.text());
        arg.s = strings.back().c_str();
        break;
      case 'o': {
        uint8_t pick = in.u8();
        if (nullable && pick == 0) { arg.o = nullptr; break; }
        // Mostly an object of the right type; sometimes any, to reach the type checks.
        std::vector<wl_proxy*> right;
        for (const auto& o : objects) if (!type || o.interface == type) right.push_back(o.proxy);
        if (right.empty() || (pick & 0x80)) arg.o = reinterpret_cast<wl_object*>(objects[pick % objects.size()].proxy);
        else arg.o = reinterpret_cast<wl_object*>(right[pick % right.size()]);
        break;
      }
      case 'n':
        if (!type) return;  // an untyped new_id outside wl_registry: nothing to make
        created = type;
        arg.o = nullptr;
        break;
      case 'a': {
        wl_array array;
        wl_array_init(&array);
        size_t len = in.u8() % 64;
        if (void* p = wl_array_add(&array, len))
          for (size_t i = 0; i < len; ++i) static_cast<uint8_t*>(p)[i] = in.u8();
        arrays.push_back(array);
        arg.a = &arrays.back();
        break;
      }
      case 'h': {
        // A memfd, for shm pools and the like, of a size from the input.
        int fd = memfd_create("fuzz-wire", MFD_CLOEXEC);
        if (fd >= 0 && ftruncate(fd, static_cast<off_t>(in.number() % (1 << 20))) != 0) {}
        fds.push_back(fd);
        arg.h = fd;
        break;
      }
      default: return;
    }
    nullable = false;
    args.push_back(arg);
  }
  auto* made = wl_proxy_marshal_array_flags(target.proxy, opcode, created, wl_proxy_get_version(target.proxy), 0,
                                            args.data());
  if (made && created) objects.push_back({made, created});
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char pattern[] = "/tmp/tranche-fuzz-wire-XXXXXX";
  FUZZ_CHECK(mkdtemp(pattern) != nullptr);
  runtime_dir = pattern;
  setenv("XDG_RUNTIME_DIR", runtime_dir.c_str(), 1);
  wlr_log_init(WLR_SILENT, nullptr);
  std::atexit([] { std::filesystem::remove_all(runtime_dir); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto server = fuzz::start_headless_server("fuzz-wire");
  MemfdImporter importer;
  tranche::scanout::GlobalCounters counters;
  const uint64_t render = 0xe280;  // 226:128
  auto dmabuf = std::make_unique<tranche::protocols::LinuxDmabuf>(
      server->display, 6, dmabuf_formats(),
      tranche::scanout::Feedback{render, {{tranche::scanout::Tranche::Kind::Render, render, false, dmabuf_formats()}}},
      importer, counters);
  int sv[2];
  FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  FUZZ_CHECK(wl_client_create(server->display, sv[0]) != nullptr);
  wl_display* display = wl_display_connect_to_fd(sv[1]);
  FUZZ_CHECK(display != nullptr);

  std::vector<Global> globals;
  auto* registry = wl_display_get_registry(display);
  wl_registry_add_listener(registry, &registry_listener, &globals);
  for (int i = 0; i < 20; ++i) step(*server, display);
  FUZZ_CHECK(!globals.empty());

  std::vector<Proxy> objects{{reinterpret_cast<wl_proxy*>(registry), &wl_registry_interface}};
  std::vector<int> fds;
  Bytes in(data, size);
  bool alive = true;
  for (int n = 0; alive && !in.empty() && n < 512; ++n) {
    send_request(in, objects, globals, fds);
    if (in.u8() % 4 == 0) alive = step(*server, display);
  }
  for (int i = 0; alive && i < 5; ++i) alive = step(*server, display);
  for (int fd : fds) if (fd >= 0) close(fd);

  // The client vanishes without cleaning up: tranche must forget all of it.
  for (auto& o : objects) wl_proxy_destroy(o.proxy);
  wl_display_disconnect(display);
  for (int i = 0; i < 50 && !server->views().empty(); ++i) wl_event_loop_dispatch(server->loop, 1);
  FUZZ_CHECK(server->views().empty());
  dmabuf.reset();
  server.reset();
  return 0;
}
