#include "options.hpp"

#include <regex>
#include <sstream>

#include <CLI/CLI.hpp>

#include "cli_usage.hpp"

namespace tranche {

const char* to_string(BackendChoice backend) {
  switch (backend) {
    case BackendChoice::Auto: return "auto";
    case BackendChoice::Drm: return "drm";
    case BackendChoice::Wayland: return "wayland";
    case BackendChoice::X11: return "x11";
    case BackendChoice::Headless: return "headless";
  }
  return "auto";
}

std::variant<Options, ParseExit> parse_options(int argc, const char* const* argv) {
  CLI::App app{"tranche: a Wayland compositor built around the buffer path", "tranche"};
  use_usage_formatter(app);
  app.footer(
      "Without --backend, tranche nests in a Wayland or X11 session when one is running, uses DRM/KMS\n"
      "when a GPU is present, and runs headless otherwise. Configuration: $XDG_CONFIG_HOME/tranche/config.toml\n"
      "(see tranche-config(5)). Control a running instance with tranchectl(1).");
  Options options;
  std::string backend = "auto";
  std::string size;
  std::string config_path, socket;

  app.add_option("-b,--backend", backend, "auto, drm, wayland, x11 or headless")
      ->check(CLI::IsMember({"auto", "drm", "wayland", "x11", "headless"}))
      ->capture_default_str();
  app.add_option("-c,--config", config_path, "configuration file (TOML)");
  app.add_option("-s,--socket", socket, "Wayland socket name (default: first free wayland-N)");
  app.add_option("--headless-outputs", options.headless_outputs, "number of outputs of the headless backend")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--output-size", size, "size of headless outputs, WxH (default 1920x1080)")
      ->check([](const std::string& value) -> std::string {
        static const std::regex pattern{R"(([1-9][0-9]{0,4})x([1-9][0-9]{0,4}))"};
        return std::regex_match(value, pattern) ? "" : "expected WxH, e.g. 1280x720";
      });
  app.add_option("--startup", options.startup, "command to run once started (repeatable)")
      ->allow_extra_args(false)
      ->type_size(1);
  app.add_option("--log-level", options.log_level, "error, info or debug")
      ->check(CLI::IsMember({"error", "info", "debug"}))
      ->capture_default_str();
  app.set_version_flag("-V,--version", std::string("tranche ") + TRANCHE_VERSION);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return ParseExit{0, app.help()};
  } catch (const CLI::CallForVersion& e) {
    return ParseExit{0, std::string(e.what()) + "\n"};
  } catch (const CLI::ParseError& e) {
    return ParseExit{2, "tranche: " + std::string(e.what()) + "\n\n" + app.help()};
  }

  options.backend = backend == "drm" ? BackendChoice::Drm
                    : backend == "wayland" ? BackendChoice::Wayland
                    : backend == "x11" ? BackendChoice::X11
                    : backend == "headless" ? BackendChoice::Headless
                                            : BackendChoice::Auto;
  if (!config_path.empty()) options.config_path = config_path;
  if (!socket.empty()) options.socket = socket;
  if (!size.empty()) {
    auto x = size.find('x');
    options.output_width = std::stoi(size.substr(0, x));
    options.output_height = std::stoi(size.substr(x + 1));
  }
  return options;
}

}  // namespace tranche
