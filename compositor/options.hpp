// Command-line options of `tranche`, parsed without touching the display.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tranche {

enum class BackendChoice { Auto, Drm, Wayland, X11, Headless };

struct Options {
  BackendChoice backend = BackendChoice::Auto;
  std::optional<std::string> config_path;  // --config; default: config::default_path()
  std::optional<std::string> socket;       // --socket; default: first free wayland-N
  int headless_outputs = 1;                // --headless-outputs (headless backend)
  int output_width = 1920;                 // --output-size (headless and nested)
  int output_height = 1080;
  std::vector<std::string> startup;        // --startup, in order, after the config's
  std::string log_level = "info";          // --log-level error|info|debug
};

// What parsing asks main() to do.
struct ParseExit {
  int code;            // 0 for --help/--version, 2 for usage errors
  std::string output;  // text to print (stdout when code == 0, stderr otherwise)
};

std::variant<Options, ParseExit> parse_options(int argc, const char* const* argv);

const char* to_string(BackendChoice backend);

}  // namespace tranche
