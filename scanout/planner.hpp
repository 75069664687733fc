// The plane planner: for one output frame, which visible buffer goes on which
// KMS plane, and why the others are composited. Pure policy; the glue
// (render/output_frame.cpp) verifies every assignment with a test commit
// and demotes what the driver refuses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "formats.hpp"
#include "plane_model.hpp"
#include "reasons.hpp"

namespace tranche::scanout {

enum class BufferKind { Dmabuf, Shm, Other };

// One visible scene element on the output. The glue lists every element that
// is drawn (client buffers, decorations, backgrounds), bottom to top, so the
// planner knows what lies above what.
struct Candidate {
  uint64_t surface_id = 0;  // 0: not a client surface (decoration, background): never on a plane
  BufferKind kind = BufferKind::Other;
  Fourcc format = 0;
  Modifier modifier = kModifierInvalid;
  Rect dst;                           // on the output, output-buffer coordinates
  int src_width = 0, src_height = 0;  // size of the sampled buffer region
  bool transformed = false;           // buffer transform differs from the output's
  bool opaque = false;                // nothing under it shows through
  uint32_t updates_per_second = 0;    // new contents in the last second (UpdateRates)
  bool was_overlay = false;           // the last commit had it on an overlay plane
};

enum class Path { Primary, Overlay, Cursor, Composited, Copied, Hidden };
const char* path_name(Path path);

// Where a buffer may go, not which plane it gets: libliftoff assigns the
// planes (through wlroots' output layers) and test-commits them, and the frame
// learns from the commit which candidates it accepted.
struct Decision {
  Path path = Path::Composited;
  // Why not a faster path: for Composited why neither plane; for Overlay why
  // not the primary plane; empty for Primary.
  Reasons reasons;
};

struct PlannerConfig {
  bool direct_scanout = true;  // primary plane for a fullscreen buffer
  bool overlays = true;        // overlay planes for other buffers
  // Updates per second a buffer needs to be worth an overlay plane (half
  // that to keep one); 0: any buffer is.
  uint32_t overlay_min_updates = 0;
};

struct Plan {
  std::vector<Decision> decisions;  // parallel to the candidates
  std::optional<size_t> primary;    // index of the candidate on the primary plane
  std::vector<size_t> overlays;     // indexes on overlay planes, bottom to top
};

// Plans one frame. `candidates` bottom to top, only those visible on the output.
Plan plan_output(const OutputPlanes& output, std::span<const Candidate> candidates,
                 const PlannerConfig& config);

// The driver refused candidate `index` on its plane (test commit): it is
// composited with `why`. Overlays below it that it overlaps are composited too
// (they would now have composited content above them), with Occluded.
void demote(Plan& plan, std::span<const Candidate> candidates, size_t index, Reason why);

}  // namespace tranche::scanout
