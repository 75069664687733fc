#include "formats.hpp"

#include <drm_fourcc.h>

#include <cstdio>

namespace tranche::scanout {

void FormatSet::add(Fourcc format, Modifier modifier) { formats_[format].insert(modifier); }

bool FormatSet::has(Fourcc format, Modifier modifier) const {
  auto it = formats_.find(format);
  return it != formats_.end() && it->second.contains(modifier);
}

bool FormatSet::has_format(Fourcc format) const { return formats_.contains(format); }

size_t FormatSet::size() const {
  size_t n = 0;
  for (const auto& [format, modifiers] : formats_) n += modifiers.size();
  return n;
}

FormatSet FormatSet::intersect(const FormatSet& other) const {
  FormatSet out;
  for (const auto& [format, modifiers] : formats_)
    for (Modifier modifier : modifiers)
      if (other.has(format, modifier)) out.add(format, modifier);
  return out;
}

FormatSet FormatSet::unite(const FormatSet& other) const {
  FormatSet out = *this;
  for (const auto& [format, modifiers] : other.formats_)
    for (Modifier modifier : modifiers) out.add(format, modifier);
  return out;
}

FormatSet FormatSet::minus(const FormatSet& other) const {
  FormatSet out;
  for (const auto& [format, modifiers] : formats_)
    for (Modifier modifier : modifiers)
      if (!other.has(format, modifier)) out.add(format, modifier);
  return out;
}

namespace {
bool printable(char c) { return c >= 0x20 && c < 0x7f; }
}  // namespace

namespace {
constexpr FormatInfo kFormats[] = {
    {DRM_FORMAT_ARGB8888, 1, true, 4},       {DRM_FORMAT_XRGB8888, 1, false, 4},
    {DRM_FORMAT_ABGR8888, 1, true, 4},       {DRM_FORMAT_XBGR8888, 1, false, 4},
    {DRM_FORMAT_RGBA8888, 1, true, 4},       {DRM_FORMAT_RGBX8888, 1, false, 4},
    {DRM_FORMAT_BGRA8888, 1, true, 4},       {DRM_FORMAT_BGRX8888, 1, false, 4},
    {DRM_FORMAT_ARGB2101010, 1, true, 4},    {DRM_FORMAT_XRGB2101010, 1, false, 4},
    {DRM_FORMAT_ABGR2101010, 1, true, 4},    {DRM_FORMAT_XBGR2101010, 1, false, 4},
    {DRM_FORMAT_RGB565, 1, false, 2},        {DRM_FORMAT_BGR565, 1, false, 2},
    {DRM_FORMAT_ARGB16161616F, 1, true, 8},  {DRM_FORMAT_XRGB16161616F, 1, false, 8},
    {DRM_FORMAT_ABGR16161616F, 1, true, 8},  {DRM_FORMAT_XBGR16161616F, 1, false, 8},
    {DRM_FORMAT_ARGB16161616, 1, true, 8},   {DRM_FORMAT_XRGB16161616, 1, false, 8},
    {DRM_FORMAT_ABGR16161616, 1, true, 8},   {DRM_FORMAT_XBGR16161616, 1, false, 8},
    // Video: luma plane, then chroma.
    {DRM_FORMAT_NV12, 2, false, 1},          {DRM_FORMAT_P010, 2, false, 2},
    {DRM_FORMAT_YUV420, 3, false, 1},
};
}  // namespace

const FormatInfo* format_info(Fourcc format) {
  for (const FormatInfo& info : kFormats)
    if (info.fourcc == format) return &info;
  return nullptr;
}

std::string fourcc_name(Fourcc format) {
  std::string name;
  for (int i = 0; i < 4; ++i) {
    char c = static_cast<char>((format >> (8 * i)) & 0xff);
    if (!printable(c)) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%08x", format);
      return hex;
    }
    name += c;
  }
  return name;
}

std::string modifier_name(Modifier modifier) {
  char hex[24];
  std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(modifier));
  return hex;
}

Fourcc fourcc_from_name(const std::string& name) {
  if (name.size() != 4) return 0;
  Fourcc format = 0;
  for (int i = 0; i < 4; ++i) {
    if (!printable(name[i])) return 0;
    format |= static_cast<Fourcc>(static_cast<unsigned char>(name[i])) << (8 * i);
  }
  return format;
}

}  // namespace tranche::scanout
