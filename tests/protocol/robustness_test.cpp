// Misbehaving clients are disconnected; everyone else goes on.
#include <sys/socket.h>
#include <unistd.h>

#include "fixture.hpp"

namespace tranche::test {

using RobustnessTest = CompositorTest;

TEST_F(RobustnessTest, BufferBeforeFirstConfigureIsAProtocolErrorForThatClientOnly) {
  auto bad = connect();
  auto good = connect();
  auto window = create_window(*bad);
  wl_surface_attach(window->surface, create_buffer(*bad, 10, 10, 0xffff0000), 0, 0);
  wl_surface_commit(window->surface);
  ASSERT_TRUE(pump(*bad, [&] { return wl_display_get_error(bad->display) != 0; }));
  EXPECT_EQ(wl_display_get_error(bad->display), EPROTO);
  const wl_interface* interface = nullptr;
  uint32_t id = 0;
  wl_display_get_protocol_error(bad->display, &interface, &id);
  ASSERT_NE(interface, nullptr);
  EXPECT_STREQ(interface->name, "xdg_surface");

  // The other client still works and can map a window.
  ASSERT_TRUE(roundtrip(*good));
  auto fine = map_window(*good, 50, 50);
  ASSERT_NE(fine, nullptr);
}

TEST_F(RobustnessTest, GarbageOnTheSocketDisconnectsTheClient) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  wl_client* client = wl_client_create(server->display, fds[0]);
  ASSERT_NE(client, nullptr);
  struct Destroyed {
    wl_listener listener;
    bool done = false;
  } destroyed;
  destroyed.listener.notify = [](wl_listener* l, void*) {
    Destroyed* d = wl_container_of(l, d, listener);
    d->done = true;
  };
  wl_client_add_destroy_listener(client, &destroyed.listener);
  // A message header naming an object that does not exist, then arbitrary bytes.
  uint32_t garbage[16] = {0x4242, (8u << 16) | 7u};
  for (size_t i = 2; i < 16; ++i) garbage[i] = static_cast<uint32_t>(i * 2654435761u);
  ASSERT_EQ(write(fds[1], garbage, sizeof garbage), static_cast<ssize_t>(sizeof garbage));
  for (int i = 0; i < 200 && !destroyed.done; ++i) wl_event_loop_dispatch(server->loop, 5);
  EXPECT_TRUE(destroyed.done);
  close(fds[1]);

  auto good = connect();
  EXPECT_TRUE(roundtrip(*good));
}

TEST_F(RobustnessTest, ClientVanishingWithMappedWindowsLeavesNoView) {
  auto client = connect();
  auto window = map_window(*client, 64, 64);
  ASSERT_NE(window, nullptr);
  ASSERT_EQ(server->views().size(), 1u);
  window->forget();
  client.reset();  // disconnect without destroying anything
  for (int i = 0; i < 100 && !server->views().empty(); ++i) wl_event_loop_dispatch(server->loop, 5);
  EXPECT_TRUE(server->views().empty());
  EXPECT_EQ(server->focused_view(), nullptr);
}

}  // namespace tranche::test
