#include "copy_path.hpp"

namespace tranche::copy {

const char* path_name(Path path) {
  switch (path) {
    case Path::ZeroCopy: return "zero-copy";
    case Path::GpuCopy: return "gpu-copy";
    case Path::Sysram: return "sysram";
  }
  return "?";
}

std::optional<Path> parse_path(std::string_view name) {
  for (Path path : kPaths)
    if (name == path_name(path)) return path;
  return std::nullopt;
}

std::optional<Forced> parse_mode(std::string_view name) {
  if (name == "auto") return Forced{};
  if (auto path = parse_path(name)) return Forced{*path};
  return std::nullopt;
}

std::expected<std::optional<Forced>, std::string> forced_by_spec(std::string_view spec, std::string_view output) {
  auto bad_mode = [](std::string_view mode) {
    return std::unexpected("unknown copy path \"" + std::string(mode) +
                           "\" (expected auto, zero-copy, gpu-copy or sysram)");
  };
  if (spec.find('=') == std::string_view::npos) {
    auto mode = parse_mode(spec);
    if (!mode) return bad_mode(spec);
    return std::optional<Forced>(*mode);
  }
  std::optional<Forced> result;
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return std::unexpected("expected OUTPUT=PATH, got \"" + std::string(item) + "\"");
    auto mode = parse_mode(item.substr(eq + 1));
    if (!mode) return bad_mode(item.substr(eq + 1));
    if (item.substr(0, eq) == output) result = *mode;
  }
  return result;
}

}  // namespace tranche::copy
