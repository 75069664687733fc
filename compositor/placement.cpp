#include "placement.hpp"

#include <algorithm>
#include <limits>
#include <vector>

namespace tranche::placement {

long long overlap(const Rect& a, const Rect& b) {
  long long w = std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x);
  long long h = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

namespace {

// Keeps [pos, pos + size) inside [lo, lo + span); the start wins when it cannot fit.
int clamp_span(int pos, int size, int lo, int span) { return std::max(lo, std::min(pos, lo + span - size)); }

Point centred(const Rect& area, int width, int height) {
  return {clamp_span(area.x + (area.width - width) / 2, width, area.x, area.width),
          clamp_span(area.y + (area.height - height) / 2, height, area.y, area.height)};
}

}  // namespace

Point centre_on(const Rect& parent, const Rect& area, int width, int height) {
  return {clamp_span(parent.x + (parent.width - width) / 2, width, area.x, area.width),
          clamp_span(parent.y + (parent.height - height) / 2, height, area.y, area.height)};
}

Point place(const Rect& area, int width, int height, std::span<const Rect> windows) {
  Point centre = centred(area, width, height);
  std::vector<Rect> here;  // only the windows in this area count
  for (const Rect& w : windows)
    if (overlap(w, area) > 0) here.push_back(w);
  if (here.empty()) return centre;

  // The free places worth trying are against the area's edges and the existing
  // windows' edges, on both axes (the classic "smart placement" candidates).
  std::vector<int> xs{area.x, area.x + area.width - width, centre.x};
  std::vector<int> ys{area.y, area.y + area.height - height, centre.y};
  for (const Rect& w : here) {
    xs.insert(xs.end(), {w.x + w.width, w.x - width, w.x});
    ys.insert(ys.end(), {w.y + w.height, w.y - height, w.y});
  }
  Point best = centre;
  long long best_cover = std::numeric_limits<long long>::max(), best_distance = 0;
  for (int cx : xs) {
    for (int cy : ys) {
      Point p{clamp_span(cx, width, area.x, area.width), clamp_span(cy, height, area.y, area.height)};
      Rect frame{p.x, p.y, width, height};
      long long cover = 0;
      for (const Rect& w : here) cover += overlap(frame, w);
      long long dx = p.x - centre.x, dy = p.y - centre.y, distance = dx * dx + dy * dy;
      if (cover < best_cover || (cover == best_cover && distance < best_distance)) {
        best = p;
        best_cover = cover;
        best_distance = distance;
      }
    }
  }
  if (2 * best_cover <= static_cast<long long>(width) * height) return best;

  // Full (wherever it goes, most of the window lies over others): cascade below and right of the topmost window, back to the corner when off the area.
  const Rect& top = here.front();
  Point next{top.x + kCascadeStep, top.y + kCascadeStep};
  if (next.x + width > area.x + area.width || next.y + height > area.y + area.height) next = {area.x, area.y};
  return {clamp_span(next.x, width, area.x, area.width), clamp_span(next.y, height, area.y, area.height)};
}

}  // namespace tranche::placement
