// linux-dmabuf v4 feedback per surface: the main (render) device with its
// formats, plus scanout tranches while the surface could go on a plane of its
// output. Decisions come from the planner's recorded reasons, with hysteresis
// so that a client is not made to reallocate back and forth. Plain C++.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "formats.hpp"
#include "plane_model.hpp"
#include "planner.hpp"

namespace tranche::scanout {

struct Tranche {
  enum class Kind { Primary, Overlay, Render };
  Kind kind = Kind::Render;
  uint64_t target_device = 0;
  bool scanout = false;  // zwp_linux_dmabuf_feedback_v1 tranche flag
  FormatSet formats;
  bool operator==(const Tranche&) const = default;
};
const char* tranche_kind_name(Tranche::Kind kind);

struct Feedback {
  uint64_t main_device = 0;
  std::vector<Tranche> tranches;  // most preferred first
  bool has_scanout() const;
  bool operator==(const Feedback&) const = default;
};

class FeedbackPolicy {
 public:
  explicit FeedbackPolicy(int64_t hysteresis_ns) : hysteresis_ns_(hysteresis_ns) { set_render(0, {}); }

  void set_render(uint64_t main_device, FormatSet render_formats);
  void set_hysteresis(int64_t ns) { hysteresis_ns_ = ns; }
  int64_t hysteresis() const { return hysteresis_ns_; }

  // What every surface gets by default: one tranche, the render formats.
  const Feedback& default_feedback() const { return default_; }
  // Scanout tranches for `output` before the render tranche: primary-plane
  // formats ∩ render formats, then overlay formats ∩ render formats not already
  // in the first (dropped when empty).
  Feedback scanout_feedback(const OutputPlanes& output) const;

  // A surface is a candidate when it is on a plane, or when only reallocation
  // would stand in the way (see reallocation_would_help).
  static bool is_candidate(const Decision& decision);

  // Called for a surface each time its output composes a frame (`output` null:
  // not shown anywhere). Returns the feedback to send when it changes. An offer
  // of scanout tranches to a surface whose feedback has not changed for the
  // hysteresis (or ever) is sent at once, so a client reallocates before it has
  // drawn many frames the planes cannot take; any other change (a withdrawal, a
  // new target, an offer soon after a change) must have held for the hysteresis
  // first. A client is thus asked to reallocate at most twice per hysteresis.
  std::optional<Feedback> update(uint64_t surface_id, const Decision& decision,
                                 const OutputPlanes* output, int64_t now_ns);
  // When the earliest pending change matures (the glue re-evaluates then), if any.
  std::optional<int64_t> next_change_at() const;
  // What was last returned for the surface (nullptr: nothing yet, i.e. the default).
  const Feedback* sent(uint64_t surface_id) const;
  void forget(uint64_t surface_id);

 private:
  // scanout_feedback, remembered per output: update() runs for every surface
  // on every frame, and building the tranches allocates (measured: a fifth of
  // tranche's CPU time on direct-scanout frames in the VM before this).
  struct Memo {
    uint64_t kms_device;
    bool other_device, overlays_supported;
    std::vector<Plane> planes;
    Feedback feedback;
  };
  const Feedback& wanted_scanout_feedback(const OutputPlanes& output);

  struct SurfaceState {
    std::optional<Feedback> sent;
    std::optional<Feedback> wanted;  // differs from sent, pending since wanted_since
    int64_t wanted_since = 0;
    std::optional<int64_t> sent_at;  // when `sent` was last changed
  };
  int64_t hysteresis_ns_;
  uint64_t main_device_ = 0;
  FormatSet render_formats_;
  Feedback default_;
  std::vector<Memo> memos_;
  std::unordered_map<uint64_t, SurfaceState> surfaces_;
};

}  // namespace tranche::scanout
