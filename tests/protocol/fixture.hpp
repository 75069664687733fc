// A headless tranche in this process, and clients talking to it over socketpairs.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <wayland-client.h>

#include "server.hpp"
#include "view.hpp"
#include "xdg-decoration-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

namespace tranche::test {

// One client connection with the globals the tests use.
struct Client {
  wl_display* display = nullptr;
  wl_registry* registry = nullptr;
  wl_compositor* compositor = nullptr;
  wl_shm* shm = nullptr;
  xdg_wm_base* wm_base = nullptr;
  zxdg_decoration_manager_v1* decorations = nullptr;
  std::vector<std::string> globals;
  wl_client* server_side = nullptr;  // the compositor's end of this connection
  std::vector<wl_buffer*> buffers;  // from create_buffer
  std::vector<wl_proxy*> bound;     // from CompositorTest::bind, and own()
  // Frees `proxy` (on our side only) with the client: for objects a test leaves.
  template <class T>
  T* own(T* proxy) {
    bound.push_back(reinterpret_cast<wl_proxy*>(proxy));
    return proxy;
  }
  // Frees our proxies without a word to the compositor, then disconnects: the
  // client vanishes, as a crashing one would.
  ~Client();
};

// A toplevel window and what the compositor told it.
struct Window {
  Window() = default;
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;
  // The proxies go with it: their listeners point here (ASan caught a configure
  // for a freed Window when a test made a second one).
  ~Window() {
    if (toplevel) xdg_toplevel_destroy(toplevel);
    if (xdg) xdg_surface_destroy(xdg);
    if (surface) wl_surface_destroy(surface);
  }
  // Frees the proxies on our side only, telling the compositor nothing: for a
  // client that vanishes with its window mapped.
  void forget() {
    for (auto** proxy : {reinterpret_cast<wl_proxy**>(&toplevel), reinterpret_cast<wl_proxy**>(&xdg),
                         reinterpret_cast<wl_proxy**>(&surface)}) {
      if (*proxy) wl_proxy_destroy(*proxy);
      *proxy = nullptr;
    }
  }
  wl_surface* surface = nullptr;
  wl_client* owner = nullptr;  // the compositor's end of the window's connection
  xdg_surface* xdg = nullptr;
  xdg_toplevel* toplevel = nullptr;
  uint32_t configure_serial = 0;
  int configures = 0;
  int width = 0, height = 0;  // last toplevel configure
  bool activated = false, fullscreen = false, maximized = false;
};

class CompositorTest : public testing::Test {
 protected:
  static constexpr int kOutputWidth = 800, kOutputHeight = 600;

  void SetUp() override;
  void TearDown() override;

  std::unique_ptr<Client> connect();
  // Steps server and client until `done` holds; false on timeout.
  bool pump(Client& client, const std::function<bool()>& done,
            std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool roundtrip(Client& client);

  std::unique_ptr<Window> create_window(Client& client);
  // A toplevel taken through its first configure to a mapped, focused view of
  // the given size (null, with a test failure, if that does not happen).
  std::unique_ptr<Window> map_window(Client& client, int width, int height);
  // Acks the last configure and commits a solid buffer of the given size.
  void commit_buffer(Client& client, Window& window, int width, int height);
  wl_buffer* create_buffer(Client& client, int width, int height, uint32_t argb);
  View* view_for(Window& window);
  // Binds the global of `interface` (null, with a test failure, if there is none).
  void* bind(Client& client, const wl_interface* interface, uint32_t version);

  std::unique_ptr<Server> server;
  std::string runtime_dir;
};

}  // namespace tranche::test
