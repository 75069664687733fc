// Sets of DRM (format, modifier) pairs: what a plane can scan out, what the
// renderer can sample, what a client may allocate. Plain C++, no wlroots.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace tranche::scanout {

using Fourcc = uint32_t;
using Modifier = uint64_t;

inline constexpr Modifier kModifierLinear = 0;
// DRM_FORMAT_MOD_INVALID: "implicit", the driver picks the layout.
inline constexpr Modifier kModifierInvalid = 0x00ffffffffffffffULL;

class FormatSet {
 public:
  void add(Fourcc format, Modifier modifier);
  bool has(Fourcc format, Modifier modifier) const;
  bool has_format(Fourcc format) const;
  bool empty() const { return formats_.empty(); }
  // Number of (format, modifier) pairs.
  size_t size() const;

  FormatSet intersect(const FormatSet& other) const;
  FormatSet unite(const FormatSet& other) const;
  FormatSet minus(const FormatSet& other) const;  // pairs of this not in other

  const std::map<Fourcc, std::set<Modifier>>& entries() const { return formats_; }
  bool operator==(const FormatSet&) const = default;

 private:
  std::map<Fourcc, std::set<Modifier>> formats_;
};

// What tranche knows of a pixel format: this table is the one place.
struct FormatInfo {
  Fourcc fourcc;
  int planes;           // memory planes with a LINEAR (or implicit) modifier
  bool alpha;           // has an alpha channel
  int bytes_per_pixel;  // of the first plane
};
// nullptr for a format tranche does not know (the importer then decides).
const FormatInfo* format_info(Fourcc format);

// "XR24"; non-printable codes as "0x%08x".
std::string fourcc_name(Fourcc format);
// "0x0", "0xffffffffffffff".
std::string modifier_name(Modifier modifier);
// Inverse of fourcc_name for four printable characters; 0 when invalid.
Fourcc fourcc_from_name(const std::string& name);

}  // namespace tranche::scanout
