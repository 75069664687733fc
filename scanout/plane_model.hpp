// The planes one output (CRTC) can use, as the planner sees them. Filled from
// KMS by kms_planes.cpp, or by hand in unit tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats.hpp"

namespace tranche::scanout {

enum class PlaneType { Primary, Overlay, Cursor };
const char* plane_type_name(PlaneType type);

struct Plane {
  uint32_t id = 0;  // KMS plane object id
  PlaneType type = PlaneType::Overlay;
  FormatSet formats;  // what it scans out; implicit-modifier-only planes list kModifierInvalid
  bool operator==(const Plane&) const = default;
};

struct Rect {
  int x = 0, y = 0, width = 0, height = 0;
  bool empty() const { return width <= 0 || height <= 0; }
  bool intersects(const Rect& other) const;
  bool contains(const Rect& other) const;
  bool operator==(const Rect&) const = default;
};

struct OutputPlanes {
  std::string output;        // connector name
  uint64_t kms_device = 0;   // dev_t of the KMS device driving it; 0 when not KMS
  int width = 0, height = 0;  // the output buffer's size (mode, before scale)
  // The backend can put buffers on overlay planes (DRM output with output
  // layers, i.e. libliftoff); false on nested/headless outputs.
  bool overlays_supported = false;
  // The output is on another device than the renderer (copied, never scanned out).
  bool other_device = false;
  std::vector<Plane> planes;  // primary first, then overlays in zpos order, then cursor

  const Plane* primary() const;
  std::vector<const Plane*> overlays() const;
  // Union of the overlay planes' formats.
  FormatSet overlay_formats() const;
};

}  // namespace tranche::scanout
