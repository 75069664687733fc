// fifo-v1 and commit-timing-v1 (protocols/surface_timing): when a content
// update applies. The server is in this process, so the tests watch the
// surface's state apply (its commit signal) and count the output's frames.
#include <time.h>

#include <vector>

#include "commit-timing-v1-client-protocol.h"
#include "fifo-v1-client-protocol.h"
#include "fixture.hpp"
#include "output.hpp"
#include "surface_timing.hpp"
#include "timer.hpp"

namespace tranche::test {
namespace {

// Every state the surface applies: its width (each update has its own), the
// output's frame count then, and the time.
struct Applied {
  struct Entry {
    int width;
    uint32_t frame;
    int64_t at;
  };
  wl_listener listener{};
  wlr_surface* surface = nullptr;
  wlr_output* output = nullptr;
  std::vector<Entry> entries;

  void watch(wlr_surface* s, wlr_output* o) {
    surface = s;
    output = o;
    listener.notify = [](wl_listener* l, void*) {
      Applied* self = wl_container_of(l, self, listener);
      self->entries.push_back({self->surface->current.width, self->output->commit_seq, monotonic_now()});
    };
    wl_signal_add(&s->events.commit, &listener);
  }
  void unwatch() {
    if (surface) wl_list_remove(&listener.link);
    surface = nullptr;
  }
  ~Applied() { unwatch(); }
  bool has(int width) const {
    for (const auto& e : entries)
      if (e.width == width) return true;
    return false;
  }
  const Entry& of(int width) const {
    for (const auto& e : entries)
      if (e.width == width) return e;
    ADD_FAILURE() << "width " << width << " never applied";
    return entries.front();
  }
};

class TimingTest : public CompositorTest {
 protected:
  void SetUp() override {
    CompositorTest::SetUp();
    client = connect();
    window = map_window(*client, 100, 100);
    ASSERT_NE(window, nullptr);
    applied.watch(view_for(*window)->surface(), server->outputs().front()->wlr);
  }
  void TearDown() override {
    applied.unwatch();  // before the surface goes
    window.reset();
    client.reset();
    CompositorTest::TearDown();
  }
  // A new buffer of its own width, so the test can tell which update applied.
  void attach(int width) {
    wl_surface_attach(window->surface, create_buffer(*client, width, 100, 0xff000000u | unsigned(width)), 0, 0);
    wl_surface_damage_buffer(window->surface, 0, 0, width, 100);
  }
  int64_t stat(const char* key) { return server->surface_timing->describe()[key].get<int64_t>(); }

  std::unique_ptr<Client> client;
  std::unique_ptr<Window> window;
  Applied applied;
};

TEST_F(TimingTest, EachFifoUpdateWaitsForALatchOfThePreviousOne) {
  auto* manager = static_cast<wp_fifo_manager_v1*>(bind(*client, &wp_fifo_manager_v1_interface, 1));
  ASSERT_NE(manager, nullptr);
  wp_fifo_v1* fifo = wp_fifo_manager_v1_get_fifo(manager, window->surface);
  // Five updates sent at once, as a FIFO client runs ahead: each sets the
  // barrier and waits for the one before.
  for (int width = 101; width <= 105; ++width) {
    attach(width);
    wp_fifo_v1_set_barrier(fifo);
    wp_fifo_v1_wait_barrier(fifo);
    wl_surface_commit(window->surface);
  }
  ASSERT_TRUE(pump(*client, [&] { return applied.has(105); }));
  // The first had nothing to wait for; every later one applied only after a
  // frame had shown its predecessor.
  for (int width = 102; width <= 105; ++width)
    EXPECT_GT(applied.of(width).frame, applied.of(width - 1).frame) << "update " << width;
  EXPECT_GE(stat("barrier_waits"), 1);
  EXPECT_EQ(stat("held_now"), 0);
  wp_fifo_v1_destroy(fifo);
}

TEST_F(TimingTest, WithoutWaitBarrierNothingIsHeld) {
  auto* manager = static_cast<wp_fifo_manager_v1*>(bind(*client, &wp_fifo_manager_v1_interface, 1));
  wp_fifo_v1* fifo = wp_fifo_manager_v1_get_fifo(manager, window->surface);
  for (int width = 101; width <= 103; ++width) {
    attach(width);
    wp_fifo_v1_set_barrier(fifo);  // sets, never waits (mailbox-like)
    wl_surface_commit(window->surface);
  }
  ASSERT_TRUE(roundtrip(*client));
  ASSERT_TRUE(applied.has(103));
  EXPECT_EQ(applied.of(103).frame, applied.of(101).frame);  // all in one go, no frame between
  EXPECT_EQ(stat("held"), 0);
  wp_fifo_v1_destroy(fifo);
}

TEST_F(TimingTest, AnInvisibleSurfaceRunsOnTheTick) {
  auto* manager = static_cast<wp_fifo_manager_v1*>(bind(*client, &wp_fifo_manager_v1_interface, 1));
  // A surface without a role is shown on no output: no latch will ever come.
  wl_surface* hidden = client->own(wl_compositor_create_surface(client->compositor));
  ASSERT_TRUE(roundtrip(*client));
  wlr_surface* surface = wlr_surface_from_resource(
      wl_client_get_object(client->server_side, wl_proxy_get_id(reinterpret_cast<wl_proxy*>(hidden))));
  ASSERT_TRUE(wl_list_empty(&surface->current_outputs));
  applied.unwatch();
  applied.watch(surface, server->outputs().front()->wlr);
  wp_fifo_v1* fifo = wp_fifo_manager_v1_get_fifo(manager, hidden);
  for (int width = 101; width <= 104; ++width) {
    wl_surface_attach(hidden, create_buffer(*client, width, 100, 0xff000000u | unsigned(width)), 0, 0);
    wp_fifo_v1_set_barrier(fifo);
    wp_fifo_v1_wait_barrier(fifo);
    wl_surface_commit(hidden);
  }
  ASSERT_TRUE(pump(*client, [&] { return applied.has(104); }));
  // 101 applied at once; the tick let each of the others go, not a latch.
  EXPECT_EQ(stat("released_by_invisible_tick"), 3);
  EXPECT_EQ(stat("released_at_latch"), 0);
  applied.unwatch();
  wp_fifo_v1_destroy(fifo);
}

TEST_F(TimingTest, ATargetTimeIsNeverEarly) {
  auto* manager = static_cast<wp_commit_timing_manager_v1*>(bind(*client, &wp_commit_timing_manager_v1_interface, 1));
  ASSERT_NE(manager, nullptr);
  wp_commit_timer_v1* timer = wp_commit_timing_manager_v1_get_timer(manager, window->surface);
  int64_t target = monotonic_now() + 80'000'000;  // 80 ms: several frames away
  attach(101);
  wp_commit_timer_v1_set_timestamp(timer, uint32_t(uint64_t(target / 1'000'000'000) >> 32),
                                   uint32_t(target / 1'000'000'000), uint32_t(target % 1'000'000'000));
  wl_surface_commit(window->surface);
  ASSERT_TRUE(roundtrip(*client));
  EXPECT_FALSE(applied.has(101));
  EXPECT_EQ(stat("held_now"), 1);
  ASSERT_TRUE(pump(*client, [&] { return applied.has(101); }));
  // Headless frames are shown as they are committed: applied in the frame
  // composed at or after the target, so not before it.
  EXPECT_GE(applied.of(101).at, target);
  std::printf("applied %.2f ms after the target\n", (applied.of(101).at - target) / 1e6);
  wp_commit_timer_v1_destroy(timer);
}

TEST_F(TimingTest, APastTargetAppliesAtOnce) {
  auto* manager = static_cast<wp_commit_timing_manager_v1*>(bind(*client, &wp_commit_timing_manager_v1_interface, 1));
  wp_commit_timer_v1* timer = wp_commit_timing_manager_v1_get_timer(manager, window->surface);
  attach(101);
  wp_commit_timer_v1_set_timestamp(timer, 0, 1, 0);  // 1 s after boot
  wl_surface_commit(window->surface);
  ASSERT_TRUE(roundtrip(*client));
  EXPECT_TRUE(applied.has(101));
  EXPECT_EQ(stat("held"), 0);
  wp_commit_timer_v1_destroy(timer);
}

// The protocol errors, each for its own client.
class TimingErrorTest : public CompositorTest {
 protected:
  // A surface of a new client `c` (no role) and its fifo or commit timer.
  wp_fifo_v1* fifo_of(Client& c, wl_surface** surface) {
    auto* manager = static_cast<wp_fifo_manager_v1*>(bind(c, &wp_fifo_manager_v1_interface, 1));
    *surface = c.own(wl_compositor_create_surface(c.compositor));
    return c.own(wp_fifo_manager_v1_get_fifo(manager, *surface));
  }
  wp_commit_timer_v1* timer_of(Client& c, wl_surface** surface) {
    auto* manager = static_cast<wp_commit_timing_manager_v1*>(bind(c, &wp_commit_timing_manager_v1_interface, 1));
    *surface = c.own(wl_compositor_create_surface(c.compositor));
    return c.own(wp_commit_timing_manager_v1_get_timer(manager, *surface));
  }
  uint32_t error_code(Client& c, const char* interface) {
    EXPECT_TRUE(pump(c, [&] { return wl_display_get_error(c.display) != 0; }));
    const wl_interface* iface = nullptr;
    uint32_t id = 0;
    uint32_t code = wl_display_get_protocol_error(c.display, &iface, &id);
    EXPECT_NE(iface, nullptr);
    if (iface) EXPECT_STREQ(iface->name, interface);
    return code;
  }
};

TEST_F(TimingErrorTest, SecondFifoForASurface) {
  auto c = connect();
  auto* manager = static_cast<wp_fifo_manager_v1*>(bind(*c, &wp_fifo_manager_v1_interface, 1));
  wl_surface* surface = c->own(wl_compositor_create_surface(c->compositor));
  c->own(wp_fifo_manager_v1_get_fifo(manager, surface));
  c->own(wp_fifo_manager_v1_get_fifo(manager, surface));
  EXPECT_EQ(error_code(*c, "wp_fifo_manager_v1"), uint32_t(WP_FIFO_MANAGER_V1_ERROR_ALREADY_EXISTS));
}

TEST_F(TimingErrorTest, FifoAfterItsSurfaceIsGone) {
  auto c = connect();
  wl_surface* surface;
  wp_fifo_v1* fifo = fifo_of(*c, &surface);
  std::erase(c->bound, reinterpret_cast<wl_proxy*>(surface));
  wl_surface_destroy(surface);
  wp_fifo_v1_set_barrier(fifo);
  EXPECT_EQ(error_code(*c, "wp_fifo_v1"), uint32_t(WP_FIFO_V1_ERROR_SURFACE_DESTROYED));
}

TEST_F(TimingErrorTest, TwoTimestampsForOneCommit) {
  auto c = connect();
  wl_surface* surface;
  wp_commit_timer_v1* timer = timer_of(*c, &surface);
  wp_commit_timer_v1_set_timestamp(timer, 0, 1, 0);
  wp_commit_timer_v1_set_timestamp(timer, 0, 2, 0);
  EXPECT_EQ(error_code(*c, "wp_commit_timer_v1"), uint32_t(WP_COMMIT_TIMER_V1_ERROR_TIMESTAMP_EXISTS));
}

TEST_F(TimingErrorTest, NanosecondsOutOfRange) {
  auto c = connect();
  wl_surface* surface;
  wp_commit_timer_v1* timer = timer_of(*c, &surface);
  wp_commit_timer_v1_set_timestamp(timer, 0, 1, 1'000'000'000);
  EXPECT_EQ(error_code(*c, "wp_commit_timer_v1"), uint32_t(WP_COMMIT_TIMER_V1_ERROR_INVALID_TIMESTAMP));
}

TEST_F(TimingErrorTest, SecondTimerForASurface) {
  auto c = connect();
  auto* manager = static_cast<wp_commit_timing_manager_v1*>(bind(*c, &wp_commit_timing_manager_v1_interface, 1));
  wl_surface* surface = c->own(wl_compositor_create_surface(c->compositor));
  c->own(wp_commit_timing_manager_v1_get_timer(manager, surface));
  c->own(wp_commit_timing_manager_v1_get_timer(manager, surface));
  EXPECT_EQ(error_code(*c, "wp_commit_timing_manager_v1"),
            uint32_t(WP_COMMIT_TIMING_MANAGER_V1_ERROR_COMMIT_TIMER_EXISTS));
}

// A client that vanishes with updates held leaves nothing behind.
TEST_F(TimingErrorTest, VanishingWithHeldUpdates) {
  auto c = connect();
  auto* manager = static_cast<wp_commit_timing_manager_v1*>(bind(*c, &wp_commit_timing_manager_v1_interface, 1));
  auto window = map_window(*c, 100, 100);
  ASSERT_NE(window, nullptr);
  wp_commit_timer_v1* timer = c->own(wp_commit_timing_manager_v1_get_timer(manager, window->surface));
  int64_t far = monotonic_now() + 3'600'000'000'000;  // an hour away
  wl_surface_attach(window->surface, create_buffer(*c, 120, 100, 0xff00ff00), 0, 0);
  wp_commit_timer_v1_set_timestamp(timer, 0, uint32_t(far / 1'000'000'000), 0);
  wl_surface_commit(window->surface);
  ASSERT_TRUE(roundtrip(*c));
  EXPECT_EQ(server->surface_timing->describe()["held_now"], 1);
  window->forget();
  c.reset();
  for (int i = 0; i < 100 && !server->views().empty(); ++i) wl_event_loop_dispatch(server->loop, 5);
  EXPECT_TRUE(server->views().empty());
  EXPECT_EQ(server->surface_timing->describe()["held_now"], 0);
}

}  // namespace
}  // namespace tranche::test
