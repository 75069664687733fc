// One output's frame, as one pipeline: collect what the scene shows on the
// output, ask scanout/planner where each buffer should go, carry the plan out
// and report it. The plan is carried out through wlr_scene (composition, or
// direct scanout of one fullscreen buffer) when no overlay plane is used,
// else by composing the rest ourselves (compose.hpp) and putting the overlay
// buffers on wlroots output layers; for an output on another device, through
// the copy chain. Every plane assignment goes through a test commit; what the
// driver refuses is composited at once.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "compose.hpp"
#include "copy_chain.hpp"
#include "frame.hpp"
#include "ipc/ipc.hpp"
#include "listener.hpp"
#include "scanout/counters.hpp"
#include "scanout/kms_planes.hpp"
#include "scanout/plane_model.hpp"
#include "scanout/planner.hpp"
#include "scanout/tearing.hpp"
#include "scanout/update_rate.hpp"
#include "wlr.hpp"

namespace tranche::render {

class OutputFrame {
 public:
  // `copy_path`: what the configuration forces for the copy chain, if the
  // output turns out to be on another device than the renderer.
  OutputFrame(const Devices& devices, wlr_output* output, copy::Forced copy_path);
  ~OutputFrame();
  OutputFrame(const OutputFrame&) = delete;
  OutputFrame& operator=(const OutputFrame&) = delete;

  // Re-reads the planes after a mode or enable change.
  void refresh_model();
  // After a GPU reset: frames are drawn with the new renderer and allocator
  // (the copy chain's buffers are made again).
  void renderer_changed(const Devices& devices);
  // Whether a frame is due: something changed since the last commit.
  static bool frame_due(wlr_scene_output* scene_output);
  // Composes and commits a frame of `scene_output` if one is due; the report
  // when it committed.
  std::optional<FrameReport> commit(wlr_scene_output* scene_output, const FrameSettings& settings);
  // The output presented (or discarded) a commit: sends presentation
  // feedback for frames we composed ourselves; the report when it was ours.
  std::optional<PresentReport> presented(const wlr_output_event_present& event);
  // Commits (or tests) a state, through the copy chain where there is one.
  bool commit_state(const wlr_output_state& state, bool test_only = false);

  // The copy chain, when the output is on another device than the renderer.
  CopyChain* copy() { return copy_.get(); }
  const CopyChain* copy() const { return copy_.get(); }
  const scanout::OutputPlanes& model() const { return model_; }
  const scanout::OutputCounters& counters() const { return counters_; }
  const FrameReport& last_report() const { return last_report_; }
  ipc::json describe() const;  // planes, last frame's path, the cursor (tranchectl explain)
  ipc::json stats() const;
  // The KMS plane (on this output's CRTC) now showing a framebuffer of
  // exactly `dst`, if any.
  std::optional<uint32_t> kms_plane_showing(const scanout::Rect& dst) const;
  bool kms_plane_shows(uint32_t plane_id, const scanout::Rect& dst) const;

 private:
  struct Element {
    wlr_scene_node* node;
    wlr_surface* surface;  // client surface shown by the node, if any
  };
  void collect(wlr_scene_output* so, std::vector<scanout::Candidate>& candidates, std::vector<Element>& elements);
  bool commit_through_scene(wlr_scene_output* so, scanout::Plan& plan, const std::vector<scanout::Candidate>& candidates,
                            const std::vector<Element>& elements);
  void request_tearing(wlr_output_state& state, const scanout::Plan& plan, const std::vector<Element>& elements);
  bool commit_with_overlays(wlr_scene_output* so, scanout::Plan& plan, const std::vector<scanout::Candidate>& candidates,
                            const std::vector<Element>& elements);
  void drop_layers();
  void remember_refusal(const scanout::Candidate& candidate);
  void count_frame(const scanout::Plan& plan);
  FrameReport report(const scanout::Plan& plan, const std::vector<scanout::Candidate>& candidates,
                     const std::vector<Element>& elements, bool copied);

  Devices devices_;
  wlr_output* output_;
  copy::Forced copy_forced_;
  FrameSettings settings_;  // the last frame's
  std::unique_ptr<CopyChain> copy_;
  scanout::OutputPlanes model_;
  scanout::OutputCounters counters_;
  std::vector<wlr_output_layer*> layers_;
  bool composed_ourselves_ = false;  // the last commit was our own composition, not the scene's
  // Overlays our last composition left out (planes show them): the
  // composition differs from the scene's there, so the area is damaged when
  // the set changes or the scene draws again.
  struct Hole {
    scanout::Rect dst;
    bool opaque;
    bool operator==(const Hole&) const = default;
  };
  std::vector<Hole> holes_;
  void damage_holes(wlr_scene_output* so, const std::vector<Hole>& holes);
  bool compose_beneath(wlr_scene_output* so, wlr_output_state& state, const std::vector<DrawItem>& beneath,
                       const std::vector<Hole>& holes);
  FrameReport last_report_;
  scanout::Tearing tearing_ = scanout::Tearing::NotRequested;  // this frame's, until reported
  std::vector<std::pair<uint64_t, scanout::Rect>> on_planes_;  // surface id, place: last frame's plane users
  // The last commit, until its present event: the surfaces it showed and
  // those it scanned out (ids), and the presentation feedback of a frame we
  // composed ourselves (the scene answers for its own frames). Which overlays
  // the driver took is known only after the commit, so wlroots' helpers,
  // which must be called before it, cannot say zero_copy truthfully there.
  struct InFlight {
    uint32_t commit_seq = 0;
    std::vector<uint64_t> shown, zero_copy;
    std::vector<std::pair<wlr_presentation_feedback*, bool>> feedback;  // and whether zero-copy
  };
  std::optional<InFlight> in_flight_;
  void discard_in_flight();
  // Overlay assignments a test commit refused, not retried until `until`
  // unless the buffer's place or format changes.
  struct Refusal {
    uint64_t surface_id;
    scanout::Rect dst;
    scanout::Fourcc format;
    scanout::Modifier modifier;
    int64_t until;
  };
  static constexpr int64_t kRefusalMemory = 2'000'000'000;
  std::vector<Refusal> refused_;
  std::vector<Refusal> confirmed_;  // overlays the last commit put on planes (`until` unused)
  scanout::UpdateRates update_rates_;
  static bool matches(const std::vector<Refusal>& list, const scanout::Candidate& candidate);
  mutable scanout::PropertyNames property_names_;  // KMS property id -> name, asked once
  // The CRTC showing this output: overlay planes can be shared between CRTCs.
  uint32_t crtc_id_ = 0;
};

}  // namespace tranche::render
