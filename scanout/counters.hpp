// Counters for `tranchectl stats`.
#pragma once

#include <cstdint>

namespace tranche::scanout {

struct OutputCounters {
  uint64_t frames = 0;             // committed frames
  uint64_t frames_primary = 0;     // a client buffer on the primary plane (no composition)
  uint64_t frames_composited = 0;  // the renderer drew the primary plane's buffer
  uint64_t frames_with_overlays = 0;
  uint64_t primary_assignments = 0;  // frames × buffers per path
  uint64_t overlay_assignments = 0;
  uint64_t cursor_plane_frames = 0;  // frames with the cursor on the cursor plane
  uint64_t test_commits = 0;  // of frames with overlays: each costs a KMS atomic test
  uint64_t test_commit_failures = 0;
  // Pixels composition redrew: exactly, beneath overlays; for the scene's
  // frames, the frame's damage (older swapchain buffers redraw more).
  uint64_t composed_pixels = 0;
  uint64_t presented_frames = 0;  // commits the backend reported presented
  uint64_t tearing_frames = 0;   // committed with an asynchronous page flip
  uint64_t tearing_refused = 0;  // a client asked, the backend refused the async flip
};

struct GlobalCounters {
  uint64_t feedback_sends = 0;  // per-surface feedback changes sent
  uint64_t imports_ok = 0;      // dma-buf import tests that passed
  uint64_t imports_failed = 0;  // ... and failed (the client got `failed` or an error)
  uint64_t imports_invalid_format = 0;  // params refused: format/modifier never advertised
  uint64_t presentations = 0;            // surface buffers on presented frames, all paths
  uint64_t zero_copy_presentations = 0;  // ... of which scanned out from a plane (presentation-time zero_copy)
};

}  // namespace tranche::scanout
