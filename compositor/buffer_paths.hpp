// Which path each surface's buffer takes to the screen, and what tranche tells
// the client about it: per surface and output, the planner's last decision
// and its reasons; per surface, the linux-dmabuf feedback (scanout tranches
// with hysteresis, scanout/feedback_policy); the counters. `tranchectl
// explain` and `stats` read it from here.
#pragma once

#include <map>
#include <memory>
#include <unordered_map>

#include "config/config.hpp"
#include "ipc/ipc.hpp"
#include "dmabuf_import.hpp"
#include "listener.hpp"
#include "render/frame.hpp"
#include "scanout/counters.hpp"
#include "scanout/feedback_policy.hpp"
#include "scanout/planner.hpp"
#include "timer.hpp"
#include "wlr.hpp"

namespace tranche {

class Server;
class Output;

class BufferPaths {
 public:
  explicit BufferPaths(Server& server);
  ~BufferPaths();

  // After the renderer exists: the linux-dmabuf global (when it can import dma-bufs).
  void start();
  void apply_config(const config::ScanoutConfig& config);
  scanout::PlannerConfig planner_config() const { return planner_; }
  bool tearing_allowed() const { return tearing_; }
  DmabufImport* dmabuf() { return dmabuf_.get(); }

  // A stable id for explain, made on first sight of the surface.
  uint64_t surface_id(wlr_surface* surface);

  // `output` committed a frame: where each client surface's buffer went.
  void frame_planned(Output& output, const render::FrameReport& report);
  // A committed frame was presented.
  void frame_presented(const render::PresentReport& report);
  void output_removed(Output& output);

  ipc::json explain() const;
  ipc::json stats() const;
  scanout::GlobalCounters counters;

 private:
  struct OnOutput {
    scanout::Candidate candidate;
    scanout::Decision decision;
  };
  struct Record {
    uint64_t id = 0;
    wlr_surface* surface = nullptr;
    std::map<Output*, OnOutput> outputs;
    uint64_t presented = 0, zero_copy = 0;  // frames presented showing it; from a plane
    Listener destroy;
  };
  static Output* main_output(const Record& record);
  void update_feedback(Record& record, int64_t now);
  void arm_feedback_timer();
  ipc::json hints_json(wlr_surface* surface) const;
  ipc::json describe(const Record& record) const;

  Server& server_;
  std::unique_ptr<DmabufImport> dmabuf_;
  scanout::PlannerConfig planner_;
  bool tearing_ = false;  // [scanout] tearing
  scanout::FeedbackPolicy policy_{0};
  std::unordered_map<wlr_surface*, std::unique_ptr<Record>> records_;
  Timer feedback_timer_;
};

}  // namespace tranche
