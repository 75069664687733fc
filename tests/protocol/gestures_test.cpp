// Touchpad gestures (pointer-gestures-v1, compositor/seat.cpp): swipes,
// pinches and holds from a pointer device go to the client whose surface has
// the pointer, and to no other. The touchpad is a wlroots device made in this
// process, as the libinput backend would make it.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fixture.hpp"
#include "pointer-gestures-unstable-v1-client-protocol.h"
#include "seat.hpp"

namespace tranche::test {
namespace {

struct Gestures {
  std::vector<std::string> events;  // "swipe-begin 3", "swipe-update 10 -5", "pinch-update 2.0", "hold-end 1"…
  wl_surface* surface = nullptr;    // where the last begin happened
};

void note(void* data, std::string event) { static_cast<Gestures*>(data)->events.push_back(std::move(event)); }
std::string num(wl_fixed_t value) { return std::to_string(wl_fixed_to_int(value)); }

const zwp_pointer_gesture_swipe_v1_listener swipe_listener = {
    .begin = [](void* data, zwp_pointer_gesture_swipe_v1*, uint32_t, uint32_t, wl_surface* surface,
                uint32_t fingers) {
      static_cast<Gestures*>(data)->surface = surface;
      note(data, "swipe-begin " + std::to_string(fingers));
    },
    .update = [](void* data, zwp_pointer_gesture_swipe_v1*, uint32_t, wl_fixed_t dx, wl_fixed_t dy) {
      note(data, "swipe-update " + num(dx) + " " + num(dy));
    },
    .end = [](void* data, zwp_pointer_gesture_swipe_v1*, uint32_t, uint32_t, int32_t cancelled) {
      note(data, "swipe-end " + std::to_string(cancelled));
    },
};

const zwp_pointer_gesture_pinch_v1_listener pinch_listener = {
    .begin = [](void* data, zwp_pointer_gesture_pinch_v1*, uint32_t, uint32_t, wl_surface* surface,
                uint32_t fingers) {
      static_cast<Gestures*>(data)->surface = surface;
      note(data, "pinch-begin " + std::to_string(fingers));
    },
    .update = [](void* data, zwp_pointer_gesture_pinch_v1*, uint32_t, wl_fixed_t, wl_fixed_t, wl_fixed_t scale,
                 wl_fixed_t rotation) {
      note(data, "pinch-update " + std::to_string(wl_fixed_to_double(scale)).substr(0, 3) + " " + num(rotation));
    },
    .end = [](void* data, zwp_pointer_gesture_pinch_v1*, uint32_t, uint32_t, int32_t cancelled) {
      note(data, "pinch-end " + std::to_string(cancelled));
    },
};

const zwp_pointer_gesture_hold_v1_listener hold_listener = {
    .begin = [](void* data, zwp_pointer_gesture_hold_v1*, uint32_t, uint32_t, wl_surface* surface,
                uint32_t fingers) {
      static_cast<Gestures*>(data)->surface = surface;
      note(data, "hold-begin " + std::to_string(fingers));
    },
    .end = [](void* data, zwp_pointer_gesture_hold_v1*, uint32_t, uint32_t, int32_t cancelled) {
      note(data, "hold-end " + std::to_string(cancelled));
    },
};

const wlr_pointer_impl kTouchpadImpl = {.name = "test-touchpad"};

class GesturesTest : public CompositorTest {
 protected:
  void SetUp() override {
    CompositorTest::SetUp();
    wlr_pointer_init(&touchpad, &kTouchpadImpl, "test-touchpad");
    server->seat->add_input_device(&touchpad.base);
  }
  void TearDown() override {
    wlr_pointer_finish(&touchpad);
    CompositorTest::TearDown();
  }
  void move_to(double x, double y) {
    wlr_pointer_motion_absolute_event e{.pointer = &touchpad, .time_msec = ++time,
                                        .x = x / kOutputWidth, .y = y / kOutputHeight};
    wl_signal_emit_mutable(&touchpad.events.motion_absolute, &e);
  }
  void swipe(uint32_t fingers, double dx, double dy) {
    wlr_pointer_swipe_begin_event begin{.pointer = &touchpad, .time_msec = ++time, .fingers = fingers};
    wl_signal_emit_mutable(&touchpad.events.swipe_begin, &begin);
    wlr_pointer_swipe_update_event update{.pointer = &touchpad, .time_msec = ++time, .fingers = fingers,
                                          .dx = dx, .dy = dy};
    wl_signal_emit_mutable(&touchpad.events.swipe_update, &update);
    wlr_pointer_swipe_end_event end{.pointer = &touchpad, .time_msec = ++time, .cancelled = false};
    wl_signal_emit_mutable(&touchpad.events.swipe_end, &end);
  }
  void pinch(uint32_t fingers, double scale, double rotation, bool cancelled) {
    wlr_pointer_pinch_begin_event begin{.pointer = &touchpad, .time_msec = ++time, .fingers = fingers};
    wl_signal_emit_mutable(&touchpad.events.pinch_begin, &begin);
    wlr_pointer_pinch_update_event update{.pointer = &touchpad, .time_msec = ++time, .fingers = fingers,
                                          .scale = scale, .rotation = rotation};
    wl_signal_emit_mutable(&touchpad.events.pinch_update, &update);
    wlr_pointer_pinch_end_event end{.pointer = &touchpad, .time_msec = ++time, .cancelled = cancelled};
    wl_signal_emit_mutable(&touchpad.events.pinch_end, &end);
  }
  void hold(uint32_t fingers) {
    wlr_pointer_hold_begin_event begin{.pointer = &touchpad, .time_msec = ++time, .fingers = fingers};
    wl_signal_emit_mutable(&touchpad.events.hold_begin, &begin);
    wlr_pointer_hold_end_event end{.pointer = &touchpad, .time_msec = ++time, .cancelled = true};
    wl_signal_emit_mutable(&touchpad.events.hold_end, &end);
  }

  // A client with a window and every gesture object on its pointer.
  struct GestureClient {
    std::unique_ptr<Client> client;
    std::unique_ptr<Window> window;
    Gestures seen;
    wl_pointer* pointer = nullptr;
    zwp_pointer_gesture_swipe_v1* swipe = nullptr;
    zwp_pointer_gesture_pinch_v1* pinch = nullptr;
    zwp_pointer_gesture_hold_v1* hold = nullptr;
    ~GestureClient() {
      if (hold) zwp_pointer_gesture_hold_v1_destroy(hold);
      if (pinch) zwp_pointer_gesture_pinch_v1_destroy(pinch);
      if (swipe) zwp_pointer_gesture_swipe_v1_destroy(swipe);
      if (pointer) wl_pointer_release(pointer);
    }
  };
  std::unique_ptr<GestureClient> gesture_client(int width, int height) {
    auto g = std::make_unique<GestureClient>();
    g->client = connect();
    auto* gestures = static_cast<zwp_pointer_gestures_v1*>(bind(*g->client, &zwp_pointer_gestures_v1_interface, 3));
    auto* seat = static_cast<wl_seat*>(bind(*g->client, &wl_seat_interface, 5));
    if (!gestures || !seat) return nullptr;
    g->pointer = wl_seat_get_pointer(seat);
    g->swipe = zwp_pointer_gestures_v1_get_swipe_gesture(gestures, g->pointer);
    zwp_pointer_gesture_swipe_v1_add_listener(g->swipe, &swipe_listener, &g->seen);
    g->pinch = zwp_pointer_gestures_v1_get_pinch_gesture(gestures, g->pointer);
    zwp_pointer_gesture_pinch_v1_add_listener(g->pinch, &pinch_listener, &g->seen);
    g->hold = zwp_pointer_gestures_v1_get_hold_gesture(gestures, g->pointer);
    zwp_pointer_gesture_hold_v1_add_listener(g->hold, &hold_listener, &g->seen);
    g->window = map_window(*g->client, width, height);
    if (!g->window) return nullptr;
    return g;
  }

  wlr_pointer touchpad{};
  uint32_t time = 0;
};

TEST_F(GesturesTest, GesturesGoToTheSurfaceUnderThePointer) {
  auto a = gesture_client(200, 100);
  ASSERT_NE(a, nullptr);
  wlr_box g = view_for(*a->window)->geometry();
  move_to(g.x + 50, g.y + 50);
  swipe(3, 10, -5);
  pinch(2, 2.0, 0, false);
  hold(4);
  ASSERT_TRUE(pump(*a->client, [&] { return a->seen.events.size() >= 8; }))
      << testing::PrintToString(a->seen.events);
  EXPECT_EQ(a->seen.surface, a->window->surface);
  EXPECT_EQ(a->seen.events, (std::vector<std::string>{"swipe-begin 3", "swipe-update 10 -5", "swipe-end 0",
                                                       "pinch-begin 2", "pinch-update 2.0 0", "pinch-end 0",
                                                       "hold-begin 4", "hold-end 1"}));
}

// The pointer's surface, not the keyboard's: b is newer, focused and on top;
// the pointer rests on a part of a that b does not cover.
TEST_F(GesturesTest, AClientWithoutThePointerGetsNoGestures) {
  auto a = gesture_client(200, 100);
  auto b = gesture_client(100, 50);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  wlr_box ga = view_for(*a->window)->geometry(), gb = view_for(*b->window)->geometry();
  std::optional<std::pair<int, int>> spot;
  for (auto [x, y] : {std::pair{ga.x + 5, ga.y + 5}, {ga.x + ga.width - 5, ga.y + 5}, {ga.x + 5, ga.y + ga.height - 5},
                      {ga.x + ga.width - 5, ga.y + ga.height - 5}})
    if (!wlr_box_contains_point(&gb, x, y)) spot = {x, y};
  ASSERT_TRUE(spot) << "b covers every corner of a: " << ga.x << "," << ga.y << " " << ga.width << "x" << ga.height << " / " << gb.x << "," << gb.y << " " << gb.width << "x" << gb.height;
  move_to(spot->first, spot->second);
  swipe(3, 1, 1);
  ASSERT_TRUE(pump(*a->client, [&] { return a->seen.events.size() >= 3; }));
  EXPECT_EQ(a->seen.surface, a->window->surface);
  ASSERT_TRUE(roundtrip(*b->client));
  EXPECT_TRUE(b->seen.events.empty()) << testing::PrintToString(b->seen.events);
}

}  // namespace
}  // namespace tranche::test
