#include "fixture.hpp"

#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace tranche::test {

namespace {
const wl_registry_listener registry_listener = {
    .global =
        [](void* data, wl_registry* registry, uint32_t name, const char* interface, uint32_t version) {
          auto* c = static_cast<Client*>(data);
          c->globals.emplace_back(interface);
          std::string_view i = interface;
          if (i == wl_compositor_interface.name)
            c->compositor = static_cast<wl_compositor*>(wl_registry_bind(registry, name, &wl_compositor_interface, 4));
          else if (i == wl_shm_interface.name)
            c->shm = static_cast<wl_shm*>(wl_registry_bind(registry, name, &wl_shm_interface, 1));
          else if (i == xdg_wm_base_interface.name)
            c->wm_base = static_cast<xdg_wm_base*>(wl_registry_bind(registry, name, &xdg_wm_base_interface, 5));
          else if (i == zxdg_decoration_manager_v1_interface.name)
            c->decorations = static_cast<zxdg_decoration_manager_v1*>(
                wl_registry_bind(registry, name, &zxdg_decoration_manager_v1_interface, 1));
        },
    .global_remove = [](void*, wl_registry*, uint32_t) {},
};

const xdg_wm_base_listener wm_base_listener = {
    .ping = [](void*, xdg_wm_base* base, uint32_t serial) { xdg_wm_base_pong(base, serial); },
};

const xdg_surface_listener xdg_surface_listener_ = {
    .configure =
        [](void* data, xdg_surface*, uint32_t serial) {
          auto* w = static_cast<Window*>(data);
          w->configure_serial = serial;
          ++w->configures;
        },
};

const xdg_toplevel_listener toplevel_listener = {
    .configure =
        [](void* data, xdg_toplevel*, int32_t width, int32_t height, wl_array* states) {
          auto* w = static_cast<Window*>(data);
          w->width = width;
          w->height = height;
          w->activated = w->fullscreen = w->maximized = false;
          auto* begin = static_cast<uint32_t*>(states->data);
          for (size_t i = 0; i < states->size / sizeof(uint32_t); ++i) {
            if (begin[i] == XDG_TOPLEVEL_STATE_ACTIVATED) w->activated = true;
            if (begin[i] == XDG_TOPLEVEL_STATE_FULLSCREEN) w->fullscreen = true;
            if (begin[i] == XDG_TOPLEVEL_STATE_MAXIMIZED) w->maximized = true;
          }
        },
    .close = [](void*, xdg_toplevel*) {},
    .configure_bounds = [](void*, xdg_toplevel*, int32_t, int32_t) {},
    .wm_capabilities = [](void*, xdg_toplevel*, wl_array*) {},
};
}  // namespace

Client::~Client() {
  for (wl_buffer* buffer : buffers) wl_proxy_destroy(reinterpret_cast<wl_proxy*>(buffer));
  for (wl_proxy* proxy : bound) wl_proxy_destroy(proxy);
  for (void* proxy : {static_cast<void*>(decorations), static_cast<void*>(wm_base), static_cast<void*>(shm),
                      static_cast<void*>(compositor), static_cast<void*>(registry)})
    if (proxy) wl_proxy_destroy(static_cast<wl_proxy*>(proxy));
  if (display) wl_display_disconnect(display);
}

void CompositorTest::SetUp() {
  char pattern[] = "/tmp/tranche-protocol-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  runtime_dir = pattern;
  setenv("XDG_RUNTIME_DIR", runtime_dir.c_str(), 1);
  wlr_log_init(WLR_ERROR, nullptr);
  Options options;
  options.backend = BackendChoice::Headless;
  options.output_width = kOutputWidth;
  options.output_height = kOutputHeight;
  options.socket = "tranche-protocol-test";
  server = std::make_unique<Server>(options, config::defaults());
  auto started = server->start();
  ASSERT_TRUE(started) << started.error();
  // Let the headless output come up.
  for (int i = 0; i < 10; ++i) wl_event_loop_dispatch(server->loop, 1);
  ASSERT_EQ(server->outputs().size(), 1u);
}

void CompositorTest::TearDown() {
  server.reset();
  std::error_code ec;
  std::filesystem::remove_all(runtime_dir, ec);
}

std::unique_ptr<Client> CompositorTest::connect() {
  int fds[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  wl_client* server_side = wl_client_create(server->display, fds[0]);
  EXPECT_NE(server_side, nullptr);
  auto client = std::make_unique<Client>();
  client->server_side = server_side;
  client->display = wl_display_connect_to_fd(fds[1]);
  EXPECT_NE(client->display, nullptr);
  client->registry = wl_display_get_registry(client->display);
  wl_registry_add_listener(client->registry, &registry_listener, client.get());
  EXPECT_TRUE(roundtrip(*client));
  if (client->wm_base) xdg_wm_base_add_listener(client->wm_base, &wm_base_listener, nullptr);
  return client;
}

bool CompositorTest::pump(Client& client, const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    wl_display_flush(client.display);
    wl_event_loop_dispatch(server->loop, 0);
    wl_display_flush_clients(server->display);
    if (wl_display_prepare_read(client.display) == 0) {
      pollfd pfd{wl_display_get_fd(client.display), POLLIN, 0};
      if (poll(&pfd, 1, 1) > 0) wl_display_read_events(client.display);
      else wl_display_cancel_read(client.display);
    }
    if (wl_display_dispatch_pending(client.display) < 0) return done();
  }
  return true;
}

bool CompositorTest::roundtrip(Client& client) {
  bool done = false;
  static const wl_callback_listener listener = {
      .done = [](void* data, wl_callback* cb, uint32_t) {
        *static_cast<bool*>(data) = true;
        wl_callback_destroy(cb);
      }};
  wl_callback* callback = wl_display_sync(client.display);
  wl_callback_add_listener(callback, &listener, &done);
  bool ok = pump(client, [&] { return done || wl_display_get_error(client.display) != 0; }) && done;
  if (!done) wl_callback_destroy(callback);  // a protocol error ended the connection first
  return ok;
}

std::unique_ptr<Window> CompositorTest::create_window(Client& client) {
  auto w = std::make_unique<Window>();
  w->owner = client.server_side;
  w->surface = wl_compositor_create_surface(client.compositor);
  w->xdg = xdg_wm_base_get_xdg_surface(client.wm_base, w->surface);
  xdg_surface_add_listener(w->xdg, &xdg_surface_listener_, w.get());
  w->toplevel = xdg_surface_get_toplevel(w->xdg);
  xdg_toplevel_add_listener(w->toplevel, &toplevel_listener, w.get());
  return w;
}

std::unique_ptr<Window> CompositorTest::map_window(Client& client, int width, int height) {
  auto window = create_window(client);
  wl_surface_commit(window->surface);
  if (!pump(client, [&] { return window->configures > 0; })) {
    ADD_FAILURE() << "no first configure";
    return nullptr;
  }
  commit_buffer(client, *window, width, height);
  if (!pump(client, [&] { return view_for(*window) != nullptr && window->activated; })) {
    ADD_FAILURE() << "the window did not map with focus";
    return nullptr;
  }
  return window;
}

wl_buffer* CompositorTest::create_buffer(Client& client, int width, int height, uint32_t argb) {
  int stride = width * 4, size = stride * height;
  int fd = memfd_create("tranche-test-buffer", MFD_CLOEXEC);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(ftruncate(fd, size), 0);
  auto* pixels = static_cast<uint32_t*>(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  for (int i = 0; i < width * height; ++i) pixels[i] = argb;
  munmap(pixels, size);
  wl_shm_pool* pool = wl_shm_create_pool(client.shm, fd, size);
  wl_buffer* buffer = wl_shm_pool_create_buffer(pool, 0, width, height, stride, WL_SHM_FORMAT_ARGB8888);
  wl_shm_pool_destroy(pool);
  close(fd);
  client.buffers.push_back(buffer);
  return buffer;
}

void CompositorTest::commit_buffer(Client& client, Window& window, int width, int height) {
  xdg_surface_ack_configure(window.xdg, window.configure_serial);
  wl_surface_attach(window.surface, create_buffer(client, width, height, 0xff336699), 0, 0);
  wl_surface_damage_buffer(window.surface, 0, 0, width, height);
  wl_surface_commit(window.surface);
}

void* CompositorTest::bind(Client& client, const wl_interface* interface, uint32_t version) {
  struct Found {
    const wl_interface* interface;
    uint32_t version;
    void* proxy = nullptr;
  } found{interface, version};
  static const wl_registry_listener listener = {
      .global =
          [](void* data, wl_registry* registry, uint32_t name, const char* iface, uint32_t) {
            auto* f = static_cast<Found*>(data);
            if (!f->proxy && std::string_view(iface) == f->interface->name)
              f->proxy = wl_registry_bind(registry, name, f->interface, f->version);
          },
      .global_remove = [](void*, wl_registry*, uint32_t) {},
  };
  wl_registry* registry = wl_display_get_registry(client.display);
  wl_registry_add_listener(registry, &listener, &found);
  EXPECT_TRUE(roundtrip(client));
  wl_registry_destroy(registry);
  EXPECT_NE(found.proxy, nullptr) << "no " << interface->name << " global";
  if (found.proxy) client.bound.push_back(static_cast<wl_proxy*>(found.proxy));
  return found.proxy;
}

View* CompositorTest::view_for(Window& window) {
  // Object ids repeat between clients: the connection must match too.
  for (View* view : server->views())
    if (wl_resource_get_client(view->surface()->resource) == window.owner &&
        wl_resource_get_id(view->surface()->resource) == wl_proxy_get_id(reinterpret_cast<wl_proxy*>(window.surface)))
      return view;
  return nullptr;
}

}  // namespace tranche::test
