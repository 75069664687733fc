// Why a surface is not on a faster path. Recorded per surface and output by the
// planner; shown by `tranchectl explain`; read by the feedback policy.
#pragma once

#include <bitset>
#include <cstdint>
#include <vector>

namespace tranche::scanout {

enum class Reason : uint8_t {
  NotDmabuf,            // shm or other CPU memory: planes need a dma-buf
  FormatUnsupported,    // no free plane scans out this format
  ModifierUnsupported,  // the format is supported, but not with this modifier
  Scaled,               // buffer size differs from its size on screen
  Transformed,          // buffer transform differs from the output's
  Occluded,             // composited content above overlaps it
  NotFullscreen,        // does not cover the whole output (primary plane only)
  NoFreePlane,          // every suitable plane is taken
  TestCommitFailed,     // the KMS driver refused the assignment in a test commit
  OtherDevice,          // the output is on another device than the renderer
  DisabledByConfig,     // [scanout] turns this path off
  OverlaysUnavailable,  // the backend cannot use overlay planes (not DRM, no output layers)
  NeedsBlending,        // translucent with content under it that planes cannot blend
  ScreenCapture,        // a screen capture reads the composited frame, so everything is composited
  SoftwareCursor,       // the cursor is drawn into the frame, so the primary plane needs composition
  NotWorthIt,           // updates too seldom for an overlay plane to pay: composited once, it costs nothing
  Count
};

const char* reason_name(Reason reason);  // snake_case, stable: tests and scripts match it
const char* reason_text(Reason reason);  // a sentence for people

class Reasons {
 public:
  Reasons() = default;
  Reasons(std::initializer_list<Reason> reasons) { for (Reason r : reasons) add(r); }
  void add(Reason reason) { bits_.set(static_cast<size_t>(reason)); }
  void add(const Reasons& other) { bits_ |= other.bits_; }
  void remove(Reason reason) { bits_.reset(static_cast<size_t>(reason)); }
  bool has(Reason reason) const { return bits_.test(static_cast<size_t>(reason)); }
  bool empty() const { return bits_.none(); }
  std::vector<Reason> list() const;  // in enum order
  bool operator==(const Reasons&) const = default;

 private:
  std::bitset<static_cast<size_t>(Reason::Count)> bits_;
};

// True when every reason could go away if the client allocated differently
// (another format or modifier): then telling it the plane formats helps.
bool reallocation_would_help(const Reasons& reasons);

}  // namespace tranche::scanout
