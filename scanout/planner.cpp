// The plane planner. One pass per output frame:
//   1. find the base: the topmost opaque candidate covering the whole output,
//      or the one candidate shown at all (the rest of the output is black,
//      which a smaller buffer on the primary plane leaves too); everything
//      under it is hidden;
//   2. walk the candidates above the base from top to bottom, giving overlay
//      planes (highest first, so plane z-order follows scene order) to client
//      buffers that nothing composited covers;
//   3. decide whether the base can be scanned out from the primary plane.
// Every candidate that ends up composited carries the reasons it could not go
// on a plane, for explain and the feedback policy.
#include "planner.hpp"

#include <algorithm>

namespace tranche::scanout {

const char* path_name(Path path) {
  switch (path) {
    case Path::Primary: return "primary";
    case Path::Overlay: return "overlay";
    case Path::Cursor: return "cursor";
    case Path::Composited: return "composited";
    case Path::Copied: return "copied";
    case Path::Hidden: return "hidden";
  }
  return "unknown";
}

namespace {

Rect output_rect(const OutputPlanes& output) { return {0, 0, output.width, output.height}; }

bool covers(const Candidate& c, const OutputPlanes& output) {
  return c.dst.contains(output_rect(output));
}

bool scaled(const Candidate& c) {
  return c.dst.width != c.src_width || c.dst.height != c.src_height;
}

bool overlaps_any(const Rect& rect, const std::vector<Rect>& rects) {
  return std::ranges::any_of(rects, [&](const Rect& r) { return rect.intersects(r); });
}

// An implicit modifier (kModifierInvalid) is just another value here: a plane
// accepts it only if it lists it, since the driver's hidden layout may not be
// one the plane can read.
bool plane_takes(const Plane& plane, const Candidate& c) { return plane.formats.has(c.format, c.modifier); }

// Why no plane in `planes` can take the buffer, judged on formats alone.
std::optional<Reason> format_reason(const std::vector<const Plane*>& planes, const Candidate& c) {
  bool format = false;
  for (const Plane* plane : planes) {
    if (plane_takes(*plane, c)) return std::nullopt;
    format = format || plane->formats.has_format(c.format);
  }
  return format ? Reason::ModifierUnsupported : Reason::FormatUnsupported;
}

// Why a buffer that is on a plane (or could be) is not on the primary plane:
// it does not cover the output, or it does but shows what is under it.
std::optional<Reason> why_not_primary(const Candidate& c, const OutputPlanes& output) {
  if (!covers(c, output)) return Reason::NotFullscreen;
  if (!c.opaque) return Reason::NeedsBlending;
  return std::nullopt;
}

// Whether an overlay plane could still take a candidate this frame: those
// below `ceiling` (an index into OutputPlanes::overlays()). Candidates are
// walked top to bottom, so each one may only use a plane below the planes of
// the candidates above it. An estimate of capacity, not an assignment.
struct OverlayAllocator {
  std::vector<const Plane*> planes;  // zpos order, bottom first
  size_t ceiling;

  explicit OverlayAllocator(const OutputPlanes& output)
      : planes(output.overlays()), ceiling(planes.size()) {}

  // The highest free plane that takes the buffer, or why there is none.
  std::optional<size_t> find(const Candidate& c, Reasons& reasons) const {
    if (auto why = format_reason(planes, c)) {
      reasons.add(*why);
      return std::nullopt;
    }
    for (size_t i = ceiling; i-- > 0;)
      if (plane_takes(*planes[i], c)) return i;
    reasons.add(Reason::NoFreePlane);  // the planes that could take it are above
    return std::nullopt;
  }

  void take(size_t index) { ceiling = index; }
};

struct Walk {
  const OutputPlanes& output;
  const PlannerConfig& config;
  OverlayAllocator overlays;
  std::vector<Rect> composited;  // dst of composited candidates above the current one

  Walk(const OutputPlanes& o, const PlannerConfig& c) : output(o), config(c), overlays(o) {}

  bool overlays_usable() const { return config.overlays && output.overlays_supported; }

  // Whether the buffer changes often enough for a plane to save more than it
  // costs; half the rate keeps a plane it has, so a rate near the threshold
  // does not move the window on and off its plane.
  bool worth_a_plane(const Candidate& c) const {
    uint32_t need = config.overlay_min_updates;
    if (c.was_overlay) need = (need + 1) / 2;
    return c.updates_per_second >= need;
  }

  // A client candidate above the base: an overlay plane, or composited.
  Decision place(const Candidate& c) {
    Reasons reasons;
    if (c.kind != BufferKind::Dmabuf) reasons.add(Reason::NotDmabuf);
    if (!config.overlays) reasons.add(Reason::DisabledByConfig);
    if (!output.overlays_supported) reasons.add(Reason::OverlaysUnavailable);
    if (output.other_device) reasons.add(Reason::OtherDevice);
    if (scaled(c)) reasons.add(Reason::Scaled);
    if (c.transformed) reasons.add(Reason::Transformed);
    if (overlaps_any(c.dst, composited)) reasons.add(Reason::Occluded);
    // Plane formats only mean something for a dma-buf on usable overlays.
    std::optional<size_t> plane;
    if (c.kind == BufferKind::Dmabuf && overlays_usable()) plane = overlays.find(c, reasons);

    Decision d;
    if (auto why = why_not_primary(c, output)) d.reasons.add(*why);
    // Asked only of a buffer a plane could take: the one reason left.
    if (reasons.empty() && plane && !worth_a_plane(c)) reasons.add(Reason::NotWorthIt);
    if (reasons.empty() && plane) {
      d.path = Path::Overlay;
      overlays.take(*plane);
      return d;
    }
    d.path = Path::Composited;
    d.reasons.add(reasons);
    composited.push_back(c.dst);
    return d;
  }

  // The base: direct scanout on the primary plane, or composited. An output
  // that is not KMS (headless, nested) takes any buffer its backend can show
  // as its frame, shm too: the backend's test says.
  Decision place_base(const Candidate& c) const {
    Decision d;
    if (c.surface_id == 0) return d;  // composited, nothing to explain
    if (!config.direct_scanout) d.reasons.add(Reason::DisabledByConfig);
    if (output.kms_device == 0) {
      // no planes to check formats against
    } else if (c.kind != BufferKind::Dmabuf) {
      d.reasons.add(Reason::NotDmabuf);
    } else {
      const Plane* primary = output.primary();
      std::vector<const Plane*> planes;
      if (primary) planes.push_back(primary);
      if (auto why = format_reason(planes, c)) d.reasons.add(*why);
    }
    if (scaled(c)) d.reasons.add(Reason::Scaled);
    if (c.transformed) d.reasons.add(Reason::Transformed);
    if (output.other_device) d.reasons.add(Reason::OtherDevice);
    // Composited content above must be drawn into the primary plane's buffer,
    // so the client's buffer cannot be that buffer.
    if (overlaps_any(c.dst, composited)) d.reasons.add(Reason::Occluded);
    if (d.reasons.empty()) d.path = Path::Primary;
    return d;
  }
};

std::optional<size_t> find_base(const OutputPlanes& output, std::span<const Candidate> candidates,
                                 const PlannerConfig& config) {
  for (size_t i = candidates.size(); i-- > 0;)
    if (candidates[i].opaque && covers(candidates[i], output)) return i;
  // A lone opaque client buffer: the primary plane may show it at its place,
  // black around it (the driver's test commit says whether it can). Where an
  // overlay plane can take it, that is surer: primary planes that cannot be
  // positioned are common.
  bool overlays = config.overlays && output.overlays_supported;
  if (!overlays && candidates.size() == 1 && candidates[0].opaque && candidates[0].surface_id != 0) return 0;
  return std::nullopt;
}

// Plan.primary and Plan.overlays from the decisions.
void index_plan(Plan& plan) {
  plan.primary.reset();
  plan.overlays.clear();
  for (size_t i = 0; i < plan.decisions.size(); ++i) {
    if (plan.decisions[i].path == Path::Primary) plan.primary = i;
    if (plan.decisions[i].path == Path::Overlay) plan.overlays.push_back(i);
  }
}

}  // namespace

Plan plan_output(const OutputPlanes& output, std::span<const Candidate> candidates,
                 const PlannerConfig& config) {
  Plan plan;
  plan.decisions.resize(candidates.size());
  std::optional<size_t> base = find_base(output, candidates, config);
  size_t first_above = base ? *base + 1 : 0;
  for (size_t i = 0; base && i < *base; ++i) plan.decisions[i].path = Path::Hidden;

  Walk walk(output, config);
  for (size_t i = candidates.size(); i-- > first_above;) {
    const Candidate& c = candidates[i];
    if (c.surface_id == 0) {  // decorations, backgrounds: drawn by the renderer
      walk.composited.push_back(c.dst);
      continue;  // the default decision: composited, no reasons
    }
    plan.decisions[i] = walk.place(c);
  }
  if (base) plan.decisions[*base] = walk.place_base(candidates[*base]);
  index_plan(plan);
  return plan;
}

namespace {

// Composited with `why`, keeping the reason it was not on the primary plane.
void composite(Decision& d, Reason why) {
  Reasons keep;
  if (d.path == Path::Overlay) {
    for (Reason r : {Reason::NotFullscreen, Reason::NeedsBlending})
      if (d.reasons.has(r)) keep.add(r);
  } else if (d.path == Path::Composited) {
    keep = d.reasons;
  }
  d.path = Path::Composited;
  d.reasons = keep;
  d.reasons.add(why);
}

}  // namespace

void demote(Plan& plan, std::span<const Candidate> candidates, size_t index, Reason why) {
  if (index >= plan.decisions.size() || plan.decisions[index].path == Path::Hidden) return;
  bool was_overlay = plan.decisions[index].path == Path::Overlay;
  composite(plan.decisions[index], why);
  if (was_overlay) {
    // Its pixels now go into the primary plane's buffer, under every overlay:
    // overlays below it that it overlaps would wrongly be drawn over it. Walking
    // down, each newly composited one can push the ones under it off too.
    std::vector<Rect> demoted{candidates[index].dst};
    for (size_t i = index; i-- > 0;) {
      Decision& d = plan.decisions[i];
      if (d.path == Path::Overlay && overlaps_any(candidates[i].dst, demoted)) {
        composite(d, Reason::Occluded);
        demoted.push_back(candidates[i].dst);
      }
    }
    // The base lies under every overlay and the demoted content is now drawn
    // over it, so it can no longer be the primary plane's buffer.
    for (size_t i = 0; i < index; ++i)
      if (plan.decisions[i].path == Path::Primary) composite(plan.decisions[i], Reason::Occluded);
  }
  index_plan(plan);
}

}  // namespace tranche::scanout
