#include "feedback_policy.hpp"

#include <algorithm>

namespace tranche::scanout {

const char* tranche_kind_name(Tranche::Kind kind) {
  switch (kind) {
    case Tranche::Kind::Primary: return "primary";
    case Tranche::Kind::Overlay: return "overlay";
    case Tranche::Kind::Render: return "render";
  }
  return "unknown";
}

bool Feedback::has_scanout() const {
  return std::ranges::any_of(tranches, [](const Tranche& t) { return t.scanout; });
}

void FeedbackPolicy::set_render(uint64_t main_device, FormatSet render_formats) {
  main_device_ = main_device;
  render_formats_ = std::move(render_formats);
  default_ = {.main_device = main_device_,
              .tranches = {{.kind = Tranche::Kind::Render, .target_device = main_device_,
                            .scanout = false, .formats = render_formats_}}};
  memos_.clear();
}

Feedback FeedbackPolicy::scanout_feedback(const OutputPlanes& output) const {
  // Buffers for an output on another device are copied, never scanned out;
  // and a non-KMS output has no planes to offer.
  if (output.kms_device == 0 || output.other_device) return default_feedback();

  // Only formats the renderer can also read: if a plane is refused later, the
  // buffer must still be composited without the client reallocating first.
  FormatSet primary;
  if (const Plane* plane = output.primary()) primary = plane->formats.intersect(render_formats_);
  FormatSet overlay;
  if (output.overlays_supported)
    overlay = output.overlay_formats().intersect(render_formats_).minus(primary);

  Feedback feedback{.main_device = main_device_, .tranches = {}};
  auto add = [&](Tranche::Kind kind, FormatSet formats) {
    if (formats.empty()) return;
    feedback.tranches.push_back({.kind = kind, .target_device = output.kms_device, .scanout = true,
                                 .formats = std::move(formats)});
  };
  add(Tranche::Kind::Primary, std::move(primary));
  add(Tranche::Kind::Overlay, std::move(overlay));
  for (const Tranche& t : default_feedback().tranches) feedback.tranches.push_back(t);
  return feedback;
}

bool FeedbackPolicy::is_candidate(const Decision& decision) {
  switch (decision.path) {
    case Path::Primary:
    case Path::Overlay: return true;
    case Path::Composited:
      return !decision.reasons.empty() && reallocation_would_help(decision.reasons);
    default: return false;
  }
}

const Feedback& FeedbackPolicy::wanted_scanout_feedback(const OutputPlanes& output) {
  for (const Memo& memo : memos_)
    if (memo.kms_device == output.kms_device && memo.other_device == output.other_device &&
        memo.overlays_supported == output.overlays_supported && memo.planes == output.planes)
      return memo.feedback;
  if (memos_.size() >= 16) memos_.clear();  // outputs come and go; a handful are live
  memos_.push_back({output.kms_device, output.other_device, output.overlays_supported, output.planes,
                    scanout_feedback(output)});
  return memos_.back().feedback;
}

std::optional<Feedback> FeedbackPolicy::update(uint64_t surface_id, const Decision& decision,
                                               const OutputPlanes* output, int64_t now_ns) {
  const Feedback& wanted = output && is_candidate(decision) ? wanted_scanout_feedback(*output) : default_;
  auto it = surfaces_.find(surface_id);
  if (it == surfaces_.end()) {
    if (wanted == default_) return std::nullopt;  // nothing to track
    it = surfaces_.emplace(surface_id, SurfaceState{}).first;
  }
  SurfaceState& state = it->second;
  const Feedback& current = state.sent ? *state.sent : default_;
  if (wanted == current) {
    state.wanted.reset();  // a flap back before the hysteresis: nothing is sent
    return std::nullopt;
  }
  if (state.wanted != wanted) {
    state.wanted = wanted;
    state.wanted_since = now_ns;
  }
  const bool settled = !state.sent_at || now_ns - *state.sent_at >= hysteresis_ns_;
  const bool offer = wanted.has_scanout() && !current.has_scanout();
  if (!(offer && settled) && now_ns - state.wanted_since < hysteresis_ns_) return std::nullopt;
  state.sent_at = now_ns;
  state.sent = std::move(*state.wanted);
  state.wanted.reset();
  return state.sent;
}

std::optional<int64_t> FeedbackPolicy::next_change_at() const {
  std::optional<int64_t> earliest;
  for (const auto& [id, state] : surfaces_)
    if (state.wanted) {
      int64_t at = state.wanted_since + hysteresis_ns_;
      // An offer goes as soon as the last change has settled.
      const bool offer = state.wanted->has_scanout() && !(state.sent && state.sent->has_scanout());
      if (offer && state.sent_at) at = std::min(at, *state.sent_at + hysteresis_ns_);
      if (!earliest || at < *earliest) earliest = at;
    }
  return earliest;
}

const Feedback* FeedbackPolicy::sent(uint64_t surface_id) const {
  auto it = surfaces_.find(surface_id);
  return it != surfaces_.end() && it->second.sent ? &*it->second.sent : nullptr;
}

void FeedbackPolicy::forget(uint64_t surface_id) { surfaces_.erase(surface_id); }

}  // namespace tranche::scanout
