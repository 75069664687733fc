// Drawing tablets (compositor/tablet.cpp): a pen over a window whose client
// speaks tablet-v2 gets tablet events there; over any other window it is an
// emulated pointer. The tablet here is a wlroots device made in this process,
// as a backend would make it for a real one.
#include <linux/input-event-codes.h>

#include <string>
#include <vector>

#include "fixture.hpp"
#include "seat.hpp"
#include "tablet-unstable-v2-client-protocol.h"

namespace tranche::test {
namespace {

// What the client saw, as words: "in", "motion 50 50", "down", "pressure 32768", "up", "out".
struct Seen {
  std::vector<std::string> events;
  wl_surface* entered = nullptr;
  std::vector<zwp_tablet_tool_v2*> tools;  // the compositor made them: ours to free
  std::vector<zwp_tablet_v2*> tablets;
  ~Seen() {
    for (auto* tool : tools) zwp_tablet_tool_v2_destroy(tool);
    for (auto* tablet : tablets) zwp_tablet_v2_destroy(tablet);
  }
  bool has(const std::string& word) const {
    for (const auto& e : events)
      if (e.rfind(word, 0) == 0) return true;
    return false;
  }
};

const zwp_tablet_tool_v2_listener tool_listener = {
    .type = [](void*, zwp_tablet_tool_v2*, uint32_t) {},
    .hardware_serial = [](void*, zwp_tablet_tool_v2*, uint32_t, uint32_t) {},
    .hardware_id_wacom = [](void*, zwp_tablet_tool_v2*, uint32_t, uint32_t) {},
    .capability = [](void*, zwp_tablet_tool_v2*, uint32_t) {},
    .done = [](void*, zwp_tablet_tool_v2*) {},
    .removed = [](void*, zwp_tablet_tool_v2*) {},
    .proximity_in =
        [](void* data, zwp_tablet_tool_v2*, uint32_t, zwp_tablet_v2*, wl_surface* surface) {
          static_cast<Seen*>(data)->events.push_back("in");
          static_cast<Seen*>(data)->entered = surface;
        },
    .proximity_out = [](void* data, zwp_tablet_tool_v2*) { static_cast<Seen*>(data)->events.push_back("out"); },
    .down = [](void* data, zwp_tablet_tool_v2*, uint32_t) { static_cast<Seen*>(data)->events.push_back("down"); },
    .up = [](void* data, zwp_tablet_tool_v2*) { static_cast<Seen*>(data)->events.push_back("up"); },
    .motion =
        [](void* data, zwp_tablet_tool_v2*, wl_fixed_t x, wl_fixed_t y) {
          static_cast<Seen*>(data)->events.push_back("motion " + std::to_string(wl_fixed_to_int(x)) + " " +
                                                     std::to_string(wl_fixed_to_int(y)));
        },
    .pressure =
        [](void* data, zwp_tablet_tool_v2*, uint32_t p) {
          static_cast<Seen*>(data)->events.push_back("pressure " + std::to_string(p));
        },
    .distance = [](void*, zwp_tablet_tool_v2*, uint32_t) {},
    .tilt = [](void*, zwp_tablet_tool_v2*, wl_fixed_t, wl_fixed_t) {},
    .rotation = [](void*, zwp_tablet_tool_v2*, wl_fixed_t) {},
    .slider = [](void*, zwp_tablet_tool_v2*, int32_t) {},
    .wheel = [](void*, zwp_tablet_tool_v2*, wl_fixed_t, int32_t) {},
    .button = [](void*, zwp_tablet_tool_v2*, uint32_t, uint32_t, uint32_t) {},
    .frame = [](void*, zwp_tablet_tool_v2*, uint32_t) {},
};

const zwp_tablet_v2_listener tablet_listener = {
    .name = [](void*, zwp_tablet_v2*, const char*) {},
    .id = [](void*, zwp_tablet_v2*, uint32_t, uint32_t) {},
    .path = [](void*, zwp_tablet_v2*, const char*) {},
    .done = [](void*, zwp_tablet_v2*) {},
    .removed = [](void*, zwp_tablet_v2*) {},  // freed with Seen
};

const zwp_tablet_seat_v2_listener seat_listener = {
    .tablet_added = [](void* data, zwp_tablet_seat_v2*, zwp_tablet_v2* tablet) {
      zwp_tablet_v2_add_listener(tablet, &tablet_listener, nullptr);
      static_cast<Seen*>(data)->tablets.push_back(tablet);
    },
    .tool_added = [](void* data, zwp_tablet_seat_v2*, zwp_tablet_tool_v2* tool) {
      zwp_tablet_tool_v2_add_listener(tool, &tool_listener, data);
      static_cast<Seen*>(data)->tools.push_back(tool);
    },
    .pad_added = [](void*, zwp_tablet_seat_v2*, zwp_tablet_pad_v2*) {},  // no pad in these tests
};

struct PointerSeen {
  wl_surface* entered = nullptr;
  std::vector<uint32_t> pressed;
};

const wl_pointer_listener pointer_listener = {
    .enter = [](void* data, wl_pointer*, uint32_t, wl_surface* s, wl_fixed_t, wl_fixed_t) {
      static_cast<PointerSeen*>(data)->entered = s;
    },
    .leave = [](void*, wl_pointer*, uint32_t, wl_surface*) {},
    .motion = [](void*, wl_pointer*, uint32_t, wl_fixed_t, wl_fixed_t) {},
    .button = [](void* data, wl_pointer*, uint32_t, uint32_t, uint32_t button, uint32_t state) {
      if (state == WL_POINTER_BUTTON_STATE_PRESSED) static_cast<PointerSeen*>(data)->pressed.push_back(button);
    },
    .axis = [](void*, wl_pointer*, uint32_t, uint32_t, wl_fixed_t) {},
    .frame = [](void*, wl_pointer*) {},
    .axis_source = [](void*, wl_pointer*, uint32_t) {},
    .axis_stop = [](void*, wl_pointer*, uint32_t, uint32_t) {},
    .axis_discrete = [](void*, wl_pointer*, uint32_t, int32_t) {},
    .axis_value120 = [](void*, wl_pointer*, uint32_t, int32_t) {},
    .axis_relative_direction = [](void*, wl_pointer*, uint32_t, uint32_t) {},
};

const wlr_tablet_impl kTabletImpl = {.name = "test-tablet"};

class TabletTest : public CompositorTest {
 protected:
  void SetUp() override {
    CompositorTest::SetUp();
    wlr_tablet_init(&tablet, &kTabletImpl, "test-tablet");
    server->seat->add_input_device(&tablet.base);
    pen.type = WLR_TABLET_TOOL_TYPE_PEN;
    pen.pressure = true;
    wl_signal_init(&pen.events.destroy);
  }
  void TearDown() override {
    wl_signal_emit_mutable(&pen.events.destroy, &pen);
    wlr_tablet_finish(&tablet);
    CompositorTest::TearDown();
  }
  // Layout coordinates to the tablet's 0..1 (one output at the origin).
  double nx(double x) const { return x / kOutputWidth; }
  double ny(double y) const { return y / kOutputHeight; }
  void proximity(double x, double y, bool in) {
    wlr_tablet_tool_proximity_event e{.tablet = &tablet, .tool = &pen, .time_msec = ++time, .x = nx(x), .y = ny(y),
                                      .state = in ? WLR_TABLET_TOOL_PROXIMITY_IN : WLR_TABLET_TOOL_PROXIMITY_OUT};
    wl_signal_emit_mutable(&tablet.events.proximity, &e);
  }
  void tip(bool down) {
    wlr_tablet_tool_tip_event e{.tablet = &tablet, .tool = &pen, .time_msec = ++time,
                                .state = down ? WLR_TABLET_TOOL_TIP_DOWN : WLR_TABLET_TOOL_TIP_UP};
    wl_signal_emit_mutable(&tablet.events.tip, &e);
  }
  void press(double pressure) {
    wlr_tablet_tool_axis_event e{.tablet = &tablet, .tool = &pen, .time_msec = ++time,
                                 .updated_axes = WLR_TABLET_TOOL_AXIS_PRESSURE, .pressure = pressure};
    wl_signal_emit_mutable(&tablet.events.axis, &e);
  }
  wl_seat* seat_of(Client& c) { return static_cast<wl_seat*>(bind(c, &wl_seat_interface, 5)); }

  wlr_tablet tablet{};
  wlr_tablet_tool pen{};
  uint32_t time = 0;
};

TEST_F(TabletTest, APenOverATabletClientSendsTabletEvents) {
  auto client = connect();
  auto* manager = static_cast<zwp_tablet_manager_v2*>(bind(*client, &zwp_tablet_manager_v2_interface, 1));
  ASSERT_NE(manager, nullptr);
  Seen seen;
  zwp_tablet_seat_v2* tablet_seat = zwp_tablet_manager_v2_get_tablet_seat(manager, seat_of(*client));
  zwp_tablet_seat_v2_add_listener(tablet_seat, &seat_listener, &seen);
  ASSERT_TRUE(roundtrip(*client));
  auto window = map_window(*client, 200, 100);
  ASSERT_NE(window, nullptr);
  wlr_box g = view_for(*window)->geometry();

  proximity(g.x + 50, g.y + 40, true);
  ASSERT_TRUE(pump(*client, [&] { return seen.has("motion"); }));
  EXPECT_EQ(seen.entered, window->surface);
  EXPECT_TRUE(seen.has("motion 50 40")) << testing::PrintToString(seen.events);
  tip(true);
  press(0.5);
  tip(false);
  proximity(g.x + 50, g.y + 40, false);
  ASSERT_TRUE(pump(*client, [&] { return seen.has("out"); }));
  EXPECT_TRUE(seen.has("down"));
  EXPECT_TRUE(seen.has("pressure 32767") || seen.has("pressure 32768")) << testing::PrintToString(seen.events);
  EXPECT_TRUE(seen.has("up"));
  zwp_tablet_seat_v2_destroy(tablet_seat);
}

TEST_F(TabletTest, APenOverAnyOtherWindowIsAPointer) {
  auto client = connect();  // binds no tablet seat: its surfaces take no tablet input
  wl_pointer* pointer = wl_seat_get_pointer(seat_of(*client));
  PointerSeen seen;
  wl_pointer_add_listener(pointer, &pointer_listener, &seen);
  auto window = map_window(*client, 200, 100);
  ASSERT_NE(window, nullptr);
  wlr_box g = view_for(*window)->geometry();

  proximity(g.x + 20, g.y + 20, true);
  tip(true);
  tip(false);
  ASSERT_TRUE(pump(*client, [&] { return !seen.pressed.empty(); }));
  EXPECT_EQ(seen.entered, window->surface);
  EXPECT_EQ(seen.pressed.front(), uint32_t(BTN_LEFT));
  wl_pointer_release(pointer);
}

}  // namespace
}  // namespace tranche::test
