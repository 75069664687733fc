#include "output.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "buffer_paths.hpp"
#include "layer_shell.hpp"
#include "security_context.hpp"
#include "surface_timing.hpp"
#include "view.hpp"

namespace tranche {

namespace {
constexpr float kBlack[4] = {0, 0, 0, 1};

// The mode closest to what the config asks for: exact size, then nearest refresh.
wlr_output_mode* find_mode(wlr_output* output, const config::Mode& want) {
  wlr_output_mode* best = nullptr;
  wlr_output_mode* mode;
  wl_list_for_each(mode, &output->modes, link) {
    if (mode->width != want.width || mode->height != want.height) continue;
    if (want.refresh_mhz == 0) {
      if (!best || mode->preferred) best = mode;
    } else if (!best || std::abs(mode->refresh - want.refresh_mhz) < std::abs(best->refresh - want.refresh_mhz)) {
      best = mode;
    }
  }
  return best;
}

// What the configuration forces for the copy chain on this output, if anything.
copy::Forced configured_copy_path(const config::Config& config, const char* name) {
  const config::OutputConfig* conf = config.output_for(name);
  return conf && conf->copy_path ? *conf->copy_path : copy::Forced{};
}

FrameScheduler::Mode scheduling_mode(wlr_output* output) {
  // For comparisons (bench/): composite and call clients back at once, as most
  // wlroots compositors do.
  if (const char* forced = getenv("TRANCHE_FRAME_SCHEDULING"); forced && std::string_view(forced) == "immediate")
    return FrameScheduler::Mode::Immediate;
  if (wlr_output_is_headless(output)) return FrameScheduler::Mode::PresentOnCommit;
  if (wlr_output_is_drm(output)) return FrameScheduler::Mode::Vblank;
  return FrameScheduler::Mode::Immediate;  // nested: the host paces us
}
}  // namespace

const char* transform_name(wl_output_transform transform) {
  static const char* names[] = {"normal", "90", "180", "270", "flipped", "flipped-90", "flipped-180", "flipped-270"};
  return (transform >= 0 && transform < 8) ? names[transform] : "normal";
}

Output::Output(Server& server, wlr_output* output)
    : server(server),
      wlr(output),
      scheduler(scheduling_mode(output), 16'666'667),
      composite_timer_(server.loop, [this] { composite(); }),
      frame_done_timer_(server.loop, [this] { send_frame_done(); }) {
  output->data = this;
  wlr_output_init_render(output, server.allocator, server.renderer);
  frame_ = std::make_unique<render::OutputFrame>(server.render_devices(), output,
                                                 configured_copy_path(server.config(), output->name));

  frame_event_.connect(&output->events.frame, [this](void*) { handle_frame(); });
  present_.connect(&output->events.present, [this](void* data) {
    auto* event = static_cast<wlr_output_event_present*>(data);
    // wlroots' headless outputs say no refresh, though they pace frames: a
    // timer of the mode's period in whole milliseconds (16 at 60 Hz) from
    // each commit. Clients that plan by it (Mesa's commit-timing) need it, and
    // targets a refresh apart must not fall between two ticks: that period is
    // filled in here, before the presentation feedback listeners read it.
    if (event->presented && event->refresh == 0 && wlr_output_is_headless(wlr) && wlr->refresh > 0)
      event->refresh = int(1'000'000 / wlr->refresh * 1'000'000);
    if (event->presented)
      scheduler.presented(int64_t(event->when.tv_sec) * 1'000'000'000 + event->when.tv_nsec, event->refresh);
    if (auto report = frame_->presented(*event)) this->server.buffer_paths->frame_presented(*report);
  });
  // Nested backends: the host window was resized or closed.
  request_state_.connect(&output->events.request_state, [this](void* data) {
    auto* event = static_cast<wlr_output_event_request_state*>(data);
    wlr_output_commit_state(wlr, event->state);
    arrange();
  });
  destroy_.connect(&output->events.destroy, [this](void*) {
    Server& s = this->server;
    s.outputs().remove_if([this](const auto& o) { return o.get() == this; });  // deletes this
    s.place_outputs();  // the auto-placed row closes the gap
    s.arrange_outputs();
  });

  background_ = wlr_scene_rect_create(server.layers.background, 0, 0, kBlack);
  wlr_scene_node_lower_to_bottom(&background_->node);
  apply_config(server.config(), true);
}

void Output::renderer_changed() {
  if (!wlr_output_init_render(wlr, server.allocator, server.renderer))
    TLOG(WLR_ERROR, "output %s: the new renderer cannot draw for it", wlr->name);
  frame_->renderer_changed(server.render_devices());
  if (scene_output) wlr_damage_ring_add_whole(&scene_output->damage_ring);
  wlr_output_schedule_frame(wlr);
}

Output::~Output() {
  server.buffer_paths->output_removed(*this);
  frame_event_.disconnect();
  present_.disconnect();
  request_state_.disconnect();
  destroy_.disconnect();
  scene_output_destroy_.disconnect();
  if (scene_output) wlr_scene_output_destroy(scene_output);
  // Out of the layout now, not after this: the views it held are re-homed below.
  wlr_output_layout_remove(server.output_layout, wlr);
  if (background_) wlr_scene_node_destroy(&background_->node);
  // Layer surfaces on this output are closed: the protocol says they must go.
  for (auto& layer : server.layer_surfaces)
    if (layer->output() == this) layer->close();
  wlr->data = nullptr;
}

void Output::apply_config(const config::Config& config, bool initial) {
  const config::OutputConfig* conf = config.output_for(wlr->name);
  if (frame_->copy() && !initial) frame_->copy()->reconfigure(configured_copy_path(config, wlr->name));
  wlr_output_state state;
  wlr_output_state_init(&state);
  bool enabled = !conf || conf->enabled;
  wlr_output_state_set_enabled(&state, enabled);
  if (enabled) {
    wlr_output_mode* mode = nullptr;
    if (conf && conf->mode) {
      mode = find_mode(wlr, *conf->mode);
      if (!mode && wl_list_empty(&wlr->modes)) {
        // Nested and headless outputs take any size.
        wlr_output_state_set_custom_mode(&state, conf->mode->width, conf->mode->height, conf->mode->refresh_mhz);
      } else if (!mode) {
        TLOG(WLR_ERROR, "output %s has no mode %dx%d; using its preferred mode", wlr->name,
             conf->mode->width, conf->mode->height);
      }
    }
    bool custom = conf && conf->mode && wl_list_empty(&wlr->modes);
    if (!mode && !custom) mode = wlr_output_preferred_mode(wlr);
    if (mode) {
      wlr_output_state_set_mode(&state, mode);
    } else if (!custom && wl_list_empty(&wlr->modes) && initial) {
      // Headless and nested outputs: --output-size; headless ones at 60 Hz so
      // clients and the frame scheduler see a refresh rate (nested backends
      // refuse a refresh: the host paces them). Later the user may resize.
      const Options& options = server.options();
      int refresh = wlr_output_is_headless(wlr) ? 60000 : 0;
      wlr_output_state_set_custom_mode(&state, options.output_width, options.output_height, refresh);
    }
    // Unset values go back to defaults, so removing a key and reloading undoes it.
    wlr_output_state_set_scale(&state, conf && conf->scale ? static_cast<float>(*conf->scale) : 1.0f);
    wlr_output_state_set_transform(&state, conf && conf->transform
                                               ? static_cast<wl_output_transform>(*conf->transform)
                                               : WL_OUTPUT_TRANSFORM_NORMAL);
  }
  if (!commit_state(state))
    TLOG(WLR_ERROR, "output %s: the configured state was refused", wlr->name);
  wlr_output_state_finish(&state);
  frame_->refresh_model();

  if (!wlr->enabled) {
    // Removing it from the layout also destroys its scene output.
    wlr_output_layout_remove(server.output_layout, wlr);
  }
  // Black is what the renderer clears to and what KMS shows where no plane
  // is: no node for it, so that the scene can hand a lone buffer on as the frame.
  uint32_t rgb = conf && conf->background ? *conf->background : 0;
  const float color[4] = {((rgb >> 16) & 0xff) / 255.0f, ((rgb >> 8) & 0xff) / 255.0f, (rgb & 0xff) / 255.0f, 1};
  wlr_scene_rect_set_color(background_, color);
  wlr_scene_node_set_enabled(&background_->node, wlr->enabled && rgb != 0);
  server.place_outputs();
}

void Output::place_at(int x, int y) {
  bool linked = scene_output != nullptr;
  wlr_output_layout_output* placed = wlr_output_layout_add(server.output_layout, wlr, x, y);
  if (linked || !placed) return;
  scene_output = wlr_scene_output_create(server.scene, wlr);
  scene_output_destroy_.connect(&scene_output->events.destroy, [this](void*) {
    scene_output_destroy_.disconnect();
    scene_output = nullptr;
  });
  wlr_scene_output_layout_add_output(server.scene_layout, placed, scene_output);
}

wlr_box Output::layout_box() const {
  wlr_box box{};
  wlr_output_layout_get_box(server.output_layout, wlr, &box);
  return box;
}

void Output::arrange() {
  wlr_box box = layout_box();
  wlr_scene_node_set_position(&background_->node, box.x, box.y);
  wlr_scene_rect_set_size(background_, box.width, box.height);
  usable_ = arrange_layers(*this, box);
  for (View* view : server.views())
    if (view->output() == this) view->fit_to_output();
}

void Output::update_refresh() {
  if (wlr->refresh > 0) scheduler.set_period(1'000'000'000'000LL / wlr->refresh);
}

// The output can take a new frame: plan composition and frame callbacks.
void Output::handle_frame() {
  ++pacing.frame_events;
  update_refresh();
  int64_t now = monotonic_now();
  // Callbacks whose time has come but whose timer has not fired yet (both were
  // ready at once) go out first: a frame event never pushes them back.
  if (frame_done_timer_.armed() && frame_done_timer_.deadline() <= now) {
    frame_done_timer_.disarm();
    send_frame_done();
  }
  FrameScheduler::Plan plan = scheduler.on_frame(now);
  if (scheduler.mode() == FrameScheduler::Mode::Vblank && !plan.already_planned) arm_frame_done(plan.frame_done_at);
  if (plan.composite_at <= now) composite();
  else composite_timer_.arm_at(plan.composite_at);
}

// Arms the callbacks for `at`, paced to the refresh; an earlier pending batch
// (clients waiting since an idle frame) keeps its time.
void Output::arm_frame_done(int64_t at) {
  at = std::max(at, scheduler.earliest_frame_done());
  if (!frame_done_timer_.armed() || frame_done_timer_.deadline() > at) frame_done_timer_.arm_at(at);
}

void Output::composite() {
  int64_t start = monotonic_now();
  scheduler.composition_started(start);
  composite_timer_.disarm();
  if (!scene_output) return;
  // When this frame can be seen at the earliest: the next vblank (DRM), or at
  // once. Updates timed for it apply now, to be in it. Not start + the render
  // budget: a composition quicker than its budget makes an earlier vblank, and
  // showed updates targeted after it early (seen on vkms under TCG).
  int64_t present = scheduler.earliest_present(start);
  server.surface_timing->before_latch(wlr, present);
  // Nothing is committed when nothing changed.
  bool due = render::OutputFrame::frame_due(scene_output);
  const BufferPaths& paths = *server.buffer_paths;
  render::FrameSettings settings{.planner = paths.planner_config(),
                                 .tearing_allowed = paths.tearing_allowed()};
  std::optional<render::FrameReport> report = frame_->commit(scene_output, settings);
  bool committed = report.has_value();
  if (report) server.buffer_paths->frame_planned(*this, *report);
  int64_t end = monotonic_now();
  server.surface_timing->after_latch(wlr, present);
  if (!due) ++pacing.empty_compositions;
  else if (!committed) ++pacing.commit_failures;
  if (committed) scheduler.composited(end - start);

  if (committed && scheduler.mode() == FrameScheduler::Mode::PresentOnCommit) {
    // Headless: the next tick is one period after this commit, not after the
    // frame event that started it (composition took a while).
    arm_frame_done(scheduler.frame_done_after_commit(end));
  } else if (!committed || scheduler.mode() == FrameScheduler::Mode::Immediate) {
    // Nested outputs are paced by the host; with nothing new to show there is
    // no next frame event, so callbacks come from the timer alone.
    if (scheduler.earliest_frame_done() <= end) {
      frame_done_timer_.disarm();
      send_frame_done();
    } else {
      arm_frame_done(scheduler.earliest_frame_done());
    }
  }
}

void Output::send_frame_done() {
  if (!scene_output) return;
  int64_t now = monotonic_now();
  timespec ts{static_cast<time_t>(now / 1'000'000'000), static_cast<long>(now % 1'000'000'000)};
  wlr_scene_output_send_frame_done(scene_output, &ts);
  scheduler.frame_done_sent(now);
  ++pacing.frame_callbacks;
}

// --- output management ----------------------------------------------------------

OutputManagement::OutputManagement(Server& server) : server_(server) {
  manager_ = wlr_output_manager_v1_create(server.display);
  server.security_context->add_privileged(manager_->global);
  apply_.connect(&manager_->events.apply,
                 [this](void* data) { apply(static_cast<wlr_output_configuration_v1*>(data), false); });
  test_.connect(&manager_->events.test,
                [this](void* data) { apply(static_cast<wlr_output_configuration_v1*>(data), true); });
  auto* power = wlr_output_power_manager_v1_create(server.display);
  server.security_context->add_privileged(power->global);
  power_set_mode_.connect(&power->events.set_mode, [this](void* data) {
    set_power(*static_cast<wlr_output_power_v1_set_mode_event*>(data));
  });
}

OutputManagement::~OutputManagement() = default;

void OutputManagement::update() {
  wlr_output_configuration_v1* config = wlr_output_configuration_v1_create();
  for (auto& output : server_.outputs()) {
    auto* head = wlr_output_configuration_head_v1_create(config, output->wlr);
    wlr_box box = output->layout_box();
    head->state.x = box.x;
    head->state.y = box.y;
  }
  wlr_output_manager_v1_set_configuration(manager_, config);
}

void OutputManagement::apply(wlr_output_configuration_v1* config, bool test_only) {
  bool ok = true;
  wlr_output_configuration_head_v1* head;
  wl_list_for_each(head, &config->heads, link) {
    wlr_output_state state;
    wlr_output_state_init(&state);
    wlr_output_head_v1_state_apply(&head->state, &state);
    Output* output = server_.output_of(head->state.output);
    ok = ok && (output ? output->commit_state(state, test_only)
                       : test_only ? wlr_output_test_state(head->state.output, &state)
                                   : wlr_output_commit_state(head->state.output, &state));
    wlr_output_state_finish(&state);
    if (ok && !test_only) {
      if (head->state.enabled)
        wlr_output_layout_add(server_.output_layout, head->state.output, head->state.x, head->state.y);
      else
        wlr_output_layout_remove(server_.output_layout, head->state.output);
    }
  }
  ok ? wlr_output_configuration_v1_send_succeeded(config) : wlr_output_configuration_v1_send_failed(config);
  wlr_output_configuration_v1_destroy(config);
  if (!test_only) server_.arrange_outputs();
}

void OutputManagement::set_power(const wlr_output_power_v1_set_mode_event& event) {
  Output* output = server_.output_of(event.output);
  if (event.mode == ZWLR_OUTPUT_POWER_V1_MODE_ON && output) {
    // Back on with its configured mode: a DRM output that was off may have
    // no current mode left to enable with.
    output->apply_config(server_.config());
    return;
  }
  // Off: the CRTC goes dark, the output keeps its place in the layout.
  wlr_output_state state;
  wlr_output_state_init(&state);
  wlr_output_state_set_enabled(&state, event.mode == ZWLR_OUTPUT_POWER_V1_MODE_ON);
  wlr_output_commit_state(event.output, &state);
  wlr_output_state_finish(&state);
}

}  // namespace tranche
