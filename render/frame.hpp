// What one output frame takes in and gives back. The compositor hands the
// render pipeline its devices and settings; the pipeline returns a
// FrameReport, which feedback, explain and stats read. Nothing in render/
// calls back into the compositor.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "scanout/planner.hpp"
#include "scanout/tearing.hpp"
#include "wlr.hpp"

namespace tranche::render {

// The compositor's objects a frame is drawn and committed with.
struct Devices {
  wlr_backend* backend = nullptr;
  wlr_renderer* renderer = nullptr;
  wlr_allocator* allocator = nullptr;
  wlr_scene* scene = nullptr;
  wlr_tearing_control_manager_v1* tearing_control = nullptr;  // the clients' hints
  std::function<uint64_t(wlr_surface*)> surface_id;           // the compositor's one id per surface
  // wlroots puts output layers on overlay planes only through libliftoff,
  // which the backend either uses from its start or never.
  bool overlay_planes = false;
};

// Policy for this frame, from the configuration.
struct FrameSettings {
  scanout::PlannerConfig planner;
  bool tearing_allowed = false;  // [scanout] tearing
};

// One committed frame: which path it took, and per client surface shown,
// where its buffer went and why not a faster way.
struct FrameReport {
  struct Shown {
    wlr_surface* surface;
    scanout::Candidate candidate;
    scanout::Decision decision;
  };
  scanout::Path path = scanout::Path::Composited;  // Primary, Composited or Copied
  size_t overlays = 0;
  scanout::Tearing tearing = scanout::Tearing::NotRequested;
  std::vector<Shown> shown;
};

// A committed frame was presented: the surfaces it showed (ids), and those
// of them scanned out from a plane.
struct PresentReport {
  std::vector<uint64_t> shown, zero_copy;
};

}  // namespace tranche::render
