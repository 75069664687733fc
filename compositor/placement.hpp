// Where a new window goes: plain geometry, no wlroots, driven by unit tests.
#pragma once

#include <span>

namespace tranche::placement {

struct Rect {
  int x = 0, y = 0, width = 0, height = 0;
};

// Area covered by both rectangles (0 when they do not meet).
long long overlap(const Rect& a, const Rect& b);

// Top-left corner for a new window frame (decorations included) of the given
// size in `area` (the output's usable area), given the frames already there,
// topmost first. With no window: centred. Otherwise the place covering the
// least of them (ties: nearest the centre); when even that place would have
// more than half of the new window over others (the output is full), the
// window cascades from the topmost one, so each title bar stays reachable. A frame
// larger than the area is put at its top-left corner.
struct Point {
  int x = 0, y = 0;
  bool operator==(const Point&) const = default;
};
Point place(const Rect& area, int width, int height, std::span<const Rect> windows);

// A dialog (or any toplevel with a parent): centred on its parent, kept in the area.
Point centre_on(const Rect& parent, const Rect& area, int width, int height);

// Cascade step when the output is full.
inline constexpr int kCascadeStep = 32;

}  // namespace tranche::placement
