// One wlr_output: its mode/scale/transform from the config, its place in the
// layout and the scene, its frame loop, and the area layer surfaces leave free.
#pragma once

#include <memory>

#include "frame_scheduler.hpp"
#include "listener.hpp"
#include "render/output_frame.hpp"
#include "server.hpp"
#include "timer.hpp"

namespace tranche {

class Output {
 public:
  Output(Server& server, wlr_output* output);
  ~Output();

  // Applies the config entry for this output (or the preferred mode); commits.
  // `initial`: the output is new (nested and headless outputs then get --output-size).
  void apply_config(const config::Config& config, bool initial = false);
  // Lays out layer surfaces, then the views that depend on the usable area.
  void arrange();

  // Puts the (enabled) output at x,y of the layout; see Server::place_outputs.
  void place_at(int x, int y);
  wlr_box layout_box() const;  // where the output sits in the layout
  wlr_box usable_area() const { return usable_; }  // layout coordinates

  Server& server;
  wlr_output* wlr;
  wlr_scene_output* scene_output = nullptr;
  FrameScheduler scheduler;

  // How the frame loop ran (tranchectl stats): a frame rate far below the
  // refresh with many empty compositions means clients, not tranche, were late.
  struct Pacing {
    uint64_t frame_events = 0;         // the output could take a frame (flip done or idle)
    uint64_t empty_compositions = 0;   // a composition found nothing new to show
    uint64_t commit_failures = 0;      // a frame with something to show was refused
    uint64_t frame_callbacks = 0;      // batches of frame callbacks sent to clients
  } pacing;

  // This output's frames: planes, copy chain, the last report (tranchectl explain).
  render::OutputFrame& frame() { return *frame_; }
  const render::OutputFrame& frame() const { return *frame_; }
  // Commits (or tests) a state, through the copy chain where there is one.
  bool commit_state(const wlr_output_state& state, bool test_only = false) {
    return frame_->commit_state(state, test_only);
  }

  // After a GPU reset: draw with the server's new renderer and allocator, and
  // redraw everything once.
  void renderer_changed();

  // A client showing on this output committed (feeds the client budget).
  void client_committed(int64_t now) { scheduler.client_committed(now); }

 private:
  void handle_frame();
  void composite();
  void send_frame_done();
  void arm_frame_done(int64_t at);
  void update_refresh();

  std::unique_ptr<render::OutputFrame> frame_;
  wlr_scene_rect* background_ = nullptr;
  wlr_box usable_{};
  Timer composite_timer_;
  Timer frame_done_timer_;
  Listener frame_event_;
  Listener present_;
  Listener request_state_;
  Listener destroy_;
  Listener scene_output_destroy_;
};

// wlr-output-management (wlr-randr, kanshi) and wlr-output-power-management:
// clients that configure and switch off the outputs above.
class OutputManagement {
 public:
  explicit OutputManagement(Server& server);
  ~OutputManagement();
  OutputManagement(const OutputManagement&) = delete;
  OutputManagement& operator=(const OutputManagement&) = delete;

  // The outputs or their places changed: tells the clients.
  void update();

 private:
  void apply(wlr_output_configuration_v1* config, bool test_only);
  void set_power(const wlr_output_power_v1_set_mode_event& event);

  Server& server_;
  wlr_output_manager_v1* manager_ = nullptr;
  Listener apply_, test_, power_set_mode_;
};

const char* transform_name(wl_output_transform transform);

}  // namespace tranche
