// The ways a frame reaches an output whose KMS device is not the render
// device, fastest first (see README, "Outputs on another device").
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace tranche::copy {

enum class Path : uint8_t {
  ZeroCopy,  // the display device imports the render device's buffer itself
  GpuCopy,   // the render device copies the frame into a LINEAR buffer the display imports
  Sysram,    // the render device reads the frame back into a dumb buffer of the display device
};
inline constexpr size_t kPathCount = 3;
inline constexpr std::array<Path, kPathCount> kPaths = {Path::ZeroCopy, Path::GpuCopy, Path::Sysram};

// "zero-copy", "gpu-copy", "sysram": config values, explain and stats.
const char* path_name(Path path);
std::optional<Path> parse_path(std::string_view name);

// What an output is configured to do: try the paths in order (nullopt) or use one.
using Forced = std::optional<Path>;
// "auto" or a path name; nullopt when neither.
std::optional<Forced> parse_mode(std::string_view name);

// TRANCHE_COPY_PATH: "MODE" for every output, or "OUTPUT=MODE,OUTPUT=MODE"
// (MODE: auto or a path name). What it says for `output`: nullopt when it
// does not name the output; an error for a malformed spec.
std::expected<std::optional<Forced>, std::string> forced_by_spec(std::string_view spec, std::string_view output);

}  // namespace tranche::copy
