// xdg-shell behaviour: mapping, placement, focus, decorations, popups, fullscreen.
#include <cstdio>

#include "fixture.hpp"
#include "output.hpp"
#include "seat.hpp"

namespace tranche::test {

using ShellTest = CompositorTest;

TEST_F(ShellTest, AdvertisesTheDesktopGlobals) {
  auto client = connect();
  for (const char* global :
       {"wl_compositor", "wl_subcompositor", "wl_shm", "wl_data_device_manager", "wl_seat", "wl_output",
        "zwp_primary_selection_device_manager_v1", "xdg_wm_base", "zxdg_decoration_manager_v1",
        "zxdg_output_manager_v1", "wp_presentation", "wp_viewporter", "wp_fractional_scale_manager_v1",
        "wp_single_pixel_buffer_manager_v1", "wp_cursor_shape_manager_v1", "zwp_relative_pointer_manager_v1",
        "zwp_pointer_constraints_v1", "zwp_idle_inhibit_manager_v1", "xdg_activation_v1", "zwlr_layer_shell_v1",
        "zwlr_screencopy_manager_v1", "zwlr_foreign_toplevel_manager_v1", "zwp_virtual_keyboard_manager_v1",
        "zwlr_virtual_pointer_manager_v1", "zwlr_output_power_manager_v1"}) {
    EXPECT_NE(std::find(client->globals.begin(), client->globals.end(), global), client->globals.end())
        << global << " is not advertised";
  }
}

TEST_F(ShellTest, FirstCommitGetsAConfigureAndTheWindowMapsCentredAndFocused) {
  auto client = connect();
  auto window = create_window(*client);
  wl_surface_commit(window->surface);
  ASSERT_TRUE(pump(*client, [&] { return window->configures > 0; }));
  EXPECT_EQ(window->width, 0);  // the client chooses its size
  commit_buffer(*client, *window, 200, 100);
  ASSERT_TRUE(pump(*client, [&] { return view_for(*window) && window->activated; }));

  View* view = view_for(*window);
  wlr_box g = view->geometry();
  EXPECT_EQ(g.width, 200);
  EXPECT_EQ(g.height, 100);
  EXPECT_EQ(g.x, (kOutputWidth - 200) / 2);
  EXPECT_EQ(g.y, (kOutputHeight - 100) / 2);
  EXPECT_EQ(server->focused_view(), view);
  EXPECT_EQ(server->seat->wlr->keyboard_state.focused_surface, view->surface());
}

TEST_F(ShellTest, NewWindowTakesFocusAndCycleFocusBringsTheOtherBack) {
  auto client = connect();
  auto first = map_window(*client, 100, 100);
  ASSERT_NE(first, nullptr);

  auto second = create_window(*client);
  wl_surface_commit(second->surface);
  ASSERT_TRUE(pump(*client, [&] { return second->configures > 0; }));
  commit_buffer(*client, *second, 100, 100);
  ASSERT_TRUE(pump(*client, [&] { return second->activated && !first->activated; }));

  server->cycle_focus();
  ASSERT_TRUE(pump(*client, [&] { return first->activated && !second->activated; }));
  EXPECT_EQ(server->views().front(), view_for(*first));
}

TEST_F(ShellTest, ServerSideDecorationsWhenAskedClientSideWhenInsisted) {
  auto client = connect();
  ASSERT_NE(client->decorations, nullptr);
  for (auto requested : {ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE, ZXDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE}) {
    auto window = create_window(*client);
    auto* decoration = zxdg_decoration_manager_v1_get_toplevel_decoration(client->decorations, window->toplevel);
    uint32_t mode = 0;
    static const zxdg_toplevel_decoration_v1_listener listener = {
        .configure = [](void* data, zxdg_toplevel_decoration_v1*, uint32_t m) { *static_cast<uint32_t*>(data) = m; }};
    zxdg_toplevel_decoration_v1_add_listener(decoration, &listener, &mode);
    zxdg_toplevel_decoration_v1_set_mode(decoration, requested);
    wl_surface_commit(window->surface);
    ASSERT_TRUE(pump(*client, [&] { return window->configures > 0 && mode != 0; }));
    EXPECT_EQ(mode, static_cast<uint32_t>(requested));
    commit_buffer(*client, *window, 120, 80);
    ASSERT_TRUE(pump(*client, [&] { return view_for(*window) != nullptr; }));
    EXPECT_EQ(view_for(*window)->decoration().visible(), requested == ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE);
    zxdg_toplevel_decoration_v1_destroy(decoration);  // before its toplevel, as the protocol requires
  }
}

TEST_F(ShellTest, FullscreenCoversTheOutputAndRestores) {
  auto client = connect();
  auto window = map_window(*client, 200, 150);
  ASSERT_NE(window, nullptr);

  xdg_toplevel_set_fullscreen(window->toplevel, nullptr);
  ASSERT_TRUE(pump(*client, [&] { return window->fullscreen; }));
  EXPECT_EQ(window->width, kOutputWidth);
  EXPECT_EQ(window->height, kOutputHeight);
  commit_buffer(*client, *window, kOutputWidth, kOutputHeight);
  ASSERT_TRUE(pump(*client, [&] { return view_for(*window)->geometry().width == kOutputWidth; }));
  EXPECT_EQ(view_for(*window)->geometry().x, 0);
  EXPECT_EQ(view_for(*window)->geometry().y, 0);

  xdg_toplevel_unset_fullscreen(window->toplevel);
  ASSERT_TRUE(pump(*client, [&] { return !window->fullscreen && window->configures > 2; }));
  EXPECT_EQ(window->width, 200);
  EXPECT_EQ(window->height, 150);
}

TEST_F(ShellTest, StatesAskedBeforeTheFirstCommitAreInTheFirstConfigure) {
  auto client = connect();
  auto fullscreen = create_window(*client);
  xdg_toplevel_set_fullscreen(fullscreen->toplevel, nullptr);
  wl_surface_commit(fullscreen->surface);
  auto maximized = create_window(*client);
  xdg_toplevel_set_maximized(maximized->toplevel);
  wl_surface_commit(maximized->surface);
  ASSERT_TRUE(pump(*client, [&] { return fullscreen->configures > 0 && maximized->configures > 0; }));
  EXPECT_TRUE(fullscreen->fullscreen);
  EXPECT_EQ(fullscreen->width, kOutputWidth);
  EXPECT_EQ(fullscreen->height, kOutputHeight);
  EXPECT_TRUE(maximized->maximized);
  EXPECT_EQ(maximized->width, kOutputWidth);

  // Leaving fullscreen with no earlier geometry lets the client choose its size.
  commit_buffer(*client, *fullscreen, kOutputWidth, kOutputHeight);
  ASSERT_TRUE(pump(*client, [&] { return view_for(*fullscreen) != nullptr; }));
  EXPECT_EQ(view_for(*fullscreen)->geometry().x, 0);
  int configures = fullscreen->configures;
  xdg_toplevel_unset_fullscreen(fullscreen->toplevel);
  ASSERT_TRUE(pump(*client, [&] { return fullscreen->configures > configures; }));
  EXPECT_FALSE(fullscreen->fullscreen);
  EXPECT_EQ(fullscreen->width, 0);
  EXPECT_EQ(fullscreen->height, 0);
  commit_buffer(*client, *fullscreen, 200, 100);
  ASSERT_TRUE(pump(*client, [&] { return view_for(*fullscreen)->geometry().width == 200; }));
  EXPECT_EQ(view_for(*fullscreen)->geometry().x, (kOutputWidth - 200) / 2);
}

TEST_F(ShellTest, MaximizeFillsTheUsableArea) {
  auto client = connect();
  auto window = map_window(*client, 200, 150);
  ASSERT_NE(window, nullptr);
  xdg_toplevel_set_maximized(window->toplevel);
  ASSERT_TRUE(pump(*client, [&] { return window->maximized; }));
  EXPECT_EQ(window->width, kOutputWidth);  // no decorations asked for
  EXPECT_EQ(window->height, kOutputHeight);
}

// A client asking for frame callbacks without drawing gets them at the refresh
// rate (60 Hz here): not in a busy loop, and not starved.
TEST_F(ShellTest, FrameCallbacksWithoutDamageArePacedToTheRefresh) {
  auto client = connect();
  auto window = map_window(*client, 50, 50);
  ASSERT_NE(window, nullptr);

  struct Loop {
    wl_surface* surface;
    int callbacks = 0;
    wl_callback* pending = nullptr;
    static void request(Loop* loop) {
      static const wl_callback_listener listener = {.done = [](void* data, wl_callback* cb, uint32_t) {
        wl_callback_destroy(cb);
        auto* l = static_cast<Loop*>(data);
        ++l->callbacks;
        request(l);
      }};
      loop->pending = wl_surface_frame(loop->surface);
      wl_callback_add_listener(loop->pending, &listener, loop);
      wl_surface_commit(loop->surface);  // no new buffer, no damage
    }
    ~Loop() { wl_callback_destroy(pending); }  // the one still outstanding
  } loop{window->surface};
  Loop::request(&loop);
  wlr_output* output = server->outputs().front()->wlr;
  uint32_t first_frame = output->commit_seq;
  auto start = std::chrono::steady_clock::now();
  pump(*client, [] { return false; }, std::chrono::milliseconds(500));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint32_t frames = output->commit_seq - first_frame;
  std::printf("frame callbacks: %d in %.3f s, %u output frames\n", loop.callbacks, seconds, frames);
  // Relative to the frames the output really showed, so a loaded machine
  // slowing both down does not matter: about one callback per frame...
  EXPECT_GE(frames, 5u);
  EXPECT_GE(loop.callbacks, frames * 0.7) << loop.callbacks << " callbacks for " << frames << " frames";
  // ...and never a busy loop: at most one per half period.
  EXPECT_LE(loop.callbacks, seconds * 120 + 2) << loop.callbacks << " callbacks in " << seconds << " s";
}

// A popup anchored past the output's bottom-right corner is slid back inside.
TEST_F(ShellTest, PopupIsKeptOnTheOutput) {
  auto client = connect();
  auto window = map_window(*client, 300, 200);
  ASSERT_NE(window, nullptr);
  wlr_box parent = view_for(*window)->geometry();

  xdg_positioner* positioner = xdg_wm_base_create_positioner(client->wm_base);
  xdg_positioner_set_size(positioner, 400, 400);
  xdg_positioner_set_anchor_rect(positioner, 290, 190, 10, 10);
  xdg_positioner_set_anchor(positioner, XDG_POSITIONER_ANCHOR_BOTTOM_RIGHT);
  xdg_positioner_set_gravity(positioner, XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT);
  xdg_positioner_set_constraint_adjustment(positioner, XDG_POSITIONER_CONSTRAINT_ADJUSTMENT_SLIDE_X |
                                                           XDG_POSITIONER_CONSTRAINT_ADJUSTMENT_SLIDE_Y);
  wl_surface* surface = wl_compositor_create_surface(client->compositor);
  Window popup_state;
  xdg_surface* popup_xdg = xdg_wm_base_get_xdg_surface(client->wm_base, surface);
  static const xdg_surface_listener surface_listener = {
      .configure = [](void* data, xdg_surface*, uint32_t serial) {
        static_cast<Window*>(data)->configure_serial = serial;
        ++static_cast<Window*>(data)->configures;
      }};
  xdg_surface_add_listener(popup_xdg, &surface_listener, &popup_state);
  xdg_popup* popup = xdg_surface_get_popup(popup_xdg, window->xdg, positioner);
  struct Placement {
    int x = 0, y = 0, width = 0, height = 0;
    bool configured = false;
  } placement;
  static const xdg_popup_listener popup_listener = {
      .configure = [](void* data, xdg_popup*, int32_t x, int32_t y, int32_t w, int32_t h) {
        *static_cast<Placement*>(data) = {x, y, w, h, true};
      },
      .popup_done = [](void*, xdg_popup*) {},
      .repositioned = [](void*, xdg_popup*, uint32_t) {},
  };
  xdg_popup_add_listener(popup, &popup_listener, &placement);
  wl_surface_commit(surface);
  ASSERT_TRUE(pump(*client, [&] { return placement.configured; }));

  // Unconstrained, it would start at the parent's bottom-right corner and run off the output.
  ASSERT_GT(parent.x + 300 + 400, kOutputWidth);
  int global_x = parent.x + placement.x, global_y = parent.y + placement.y;
  EXPECT_GE(global_x, 0);
  EXPECT_GE(global_y, 0);
  EXPECT_LE(global_x + placement.width, kOutputWidth);
  EXPECT_LE(global_y + placement.height, kOutputHeight);
  xdg_popup_destroy(popup);
  xdg_surface_destroy(popup_xdg);
  wl_surface_destroy(surface);
  xdg_positioner_destroy(positioner);
}

}  // namespace tranche::test
