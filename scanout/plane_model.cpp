#include "plane_model.hpp"

#include <algorithm>

namespace tranche::scanout {

const char* plane_type_name(PlaneType type) {
  switch (type) {
    case PlaneType::Primary: return "primary";
    case PlaneType::Overlay: return "overlay";
    case PlaneType::Cursor: return "cursor";
  }
  return "unknown";
}

// Touching edges are not an overlap: both need a non-empty common area.
bool Rect::intersects(const Rect& other) const {
  if (empty() || other.empty()) return false;
  return std::max(x, other.x) < std::min(x + width, other.x + other.width) &&
         std::max(y, other.y) < std::min(y + height, other.y + other.height);
}

// An empty rect holds nothing, so it contains nothing (and nothing that is
// empty counts as contained: it would be meaningless for "covers the output").
bool Rect::contains(const Rect& other) const {
  if (empty() || other.empty()) return false;
  return other.x >= x && other.y >= y && other.x + other.width <= x + width &&
         other.y + other.height <= y + height;
}

const Plane* OutputPlanes::primary() const {
  for (const Plane& plane : planes)
    if (plane.type == PlaneType::Primary) return &plane;
  return nullptr;
}

std::vector<const Plane*> OutputPlanes::overlays() const {
  std::vector<const Plane*> out;
  for (const Plane& plane : planes)
    if (plane.type == PlaneType::Overlay) out.push_back(&plane);
  return out;
}

FormatSet OutputPlanes::overlay_formats() const {
  FormatSet out;
  for (const Plane* plane : overlays()) out = out.unite(plane->formats);
  return out;
}

}  // namespace tranche::scanout
