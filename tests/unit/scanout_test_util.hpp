// Shared fixtures for the scanout unit tests: a vkms-like output and
// candidate builders. Header-only so each test stays one executable.
#pragma once

#include <ostream>

#include "scanout/planner.hpp"

// Readable gtest failure messages (found by argument-dependent lookup).
namespace tranche::scanout {
inline void PrintTo(const FormatSet& set, std::ostream* os) {
  *os << "{";
  for (const auto& [format, modifiers] : set.entries())
    for (Modifier modifier : modifiers) *os << " " << fourcc_name(format) << ":" << modifier_name(modifier);
  *os << " }";
}
inline void PrintTo(Reason reason, std::ostream* os) { *os << reason_name(reason); }
inline void PrintTo(const Reasons& reasons, std::ostream* os) {
  *os << "{";
  for (Reason r : reasons.list()) *os << " " << reason_name(r);
  *os << " }";
}
inline void PrintTo(Path path, std::ostream* os) { *os << path_name(path); }
}  // namespace tranche::scanout

namespace scanout_test {

using namespace tranche::scanout;

constexpr Fourcc fourcc(char a, char b, char c, char d) {
  return static_cast<Fourcc>(a) | static_cast<Fourcc>(b) << 8 | static_cast<Fourcc>(c) << 16 |
         static_cast<Fourcc>(d) << 24;
}
inline constexpr Fourcc kXR24 = fourcc('X', 'R', '2', '4');
inline constexpr Fourcc kAR24 = fourcc('A', 'R', '2', '4');
inline constexpr Fourcc kNV12 = fourcc('N', 'V', '1', '2');
// I915_FORMAT_MOD_X_TILED: some modifier the test planes do not list.
inline constexpr Modifier kModTiled = 0x0100000000000001ULL;

inline constexpr int kWidth = 1920, kHeight = 1080;
inline constexpr uint32_t kPrimaryId = 31, kCursorId = 50;

inline FormatSet formats(std::initializer_list<Fourcc> fourccs, Modifier modifier = kModifierLinear) {
  FormatSet set;
  for (Fourcc f : fourccs) set.add(f, modifier);
  return set;
}

// Like vkms: a primary, `overlays` overlay planes (ids 40, 41, ...; zpos
// order), a cursor; XR24 and AR24, LINEAR only.
inline OutputPlanes vkms_output(int overlays = 3) {
  OutputPlanes out;
  out.output = "Virtual-1";
  out.kms_device = 0xe200;
  out.width = kWidth;
  out.height = kHeight;
  out.overlays_supported = true;
  out.planes.push_back({kPrimaryId, PlaneType::Primary, formats({kXR24, kAR24})});
  for (int i = 0; i < overlays; ++i)
    out.planes.push_back({static_cast<uint32_t>(40 + i), PlaneType::Overlay, formats({kXR24, kAR24})});
  out.planes.push_back({kCursorId, PlaneType::Cursor, formats({kAR24})});
  return out;
}

inline Rect full() { return {0, 0, kWidth, kHeight}; }

inline Candidate background() {
  return {.surface_id = 0, .kind = BufferKind::Other, .dst = full(), .opaque = true};
}

inline Candidate decoration(Rect dst) {
  return {.surface_id = 0, .kind = BufferKind::Other, .dst = dst, .opaque = false};
}

inline Candidate dmabuf(uint64_t id, Rect dst, Fourcc format = kXR24, Modifier modifier = kModifierLinear) {
  return {.surface_id = id, .kind = BufferKind::Dmabuf, .format = format, .modifier = modifier,
          .dst = dst, .src_width = dst.width, .src_height = dst.height, .opaque = true};
}

inline Candidate shm(uint64_t id, Rect dst) {
  Candidate c = dmabuf(id, dst);
  c.kind = BufferKind::Shm;
  c.modifier = kModifierInvalid;
  return c;
}

}  // namespace scanout_test
