// tranche's configuration: the TOML file parsed into plain structs.
// No wlroots here, so unit tests drive it without a display.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/keybinding.hpp"
#include "copy/copy_path.hpp"

namespace tranche::config {

struct Mode {
  int width = 0;
  int height = 0;
  int refresh_mhz = 0;  // 0: the output's preferred refresh for that size
};

// Values equal wl_output_transform, so the glue can cast.
enum class Transform : int {
  Normal = 0, Rotate90, Rotate180, Rotate270,
  Flipped, Flipped90, Flipped180, Flipped270,
};

struct Position {
  int x = 0;
  int y = 0;
};

struct OutputConfig {
  std::string name;  // connector name ("HEADLESS-1", "DP-2"), or "*" for every output
  bool enabled = true;
  std::optional<Mode> mode;
  std::optional<double> scale;
  std::optional<Position> position;
  std::optional<Transform> transform;
  // copy-path: how frames reach the output when it is on another device than
  // the renderer ("auto", or one path forced; TRANCHE_COPY_PATH wins).
  std::optional<copy::Forced> copy_path;
  // "#rrggbb" behind every window. Black (the default) draws nothing: the
  // output is black where no window is, and a lone window's buffer can be
  // the whole frame (scanned out, or handed on as is) with nothing composed.
  std::optional<uint32_t> background;  // 0xrrggbb
};

struct KeyboardConfig {
  std::string rules, model, layout = "us", variant, options;  // XKB names
  int repeat_rate = 25;    // per second
  int repeat_delay = 600;  // ms
};

// [explicit_sync]: what tranche does about a client's acquire fence that does not
// signal (linux-drm-syncobj-v1). The last good frame stays on screen meanwhile.
struct ExplicitSyncConfig {
  int stall_warning_ms = 1000;  // log the client and surface once, mark it stalled; 0: never
  int disconnect_after_ms = 0;  // disconnect the client; 0: never
};

// [scanout]: how buffers may reach KMS planes (see tranche-config(5)).
struct ScanoutConfig {
  bool direct_scanout = true;  // a fullscreen client buffer on the primary plane
  bool overlays = false;       // client buffers on overlay planes (libliftoff); works on vkms, unproven on hardware
  // Updates per second a window needs for an overlay plane (half that to
  // keep it); slower ones are composited, which costs nothing per frame while
  // they are still. 0: every buffer a plane can take gets one.
  int overlay_min_update_rate = 5;
  int feedback_hysteresis_ms = 500;  // a feedback change must hold this long before it is sent
  // libliftoff's time to search for a plane assignment per frame; its built-in
  // 1 ms is too short on slow machines (the VM tier), where the search then
  // gives up and leaves even the primary plane empty.
  int plane_search_budget_ms = 1;
  // A fullscreen, directly scanned-out client that asks for tearing
  // (tearing-control-v1 `async`) gets asynchronous page flips where the KMS
  // driver has them. Off by default, as in sway: tearing is visible.
  bool tearing = false;
};

struct Config {
  KeyboardConfig keyboard;
  ScanoutConfig scanout;
  ExplicitSyncConfig explicit_sync;
  std::vector<OutputConfig> outputs;
  std::vector<KeyBinding> bindings;  // defaults, with the file's [keybindings] merged over them
  std::vector<std::string> startup;  // shell commands run once at start-up
  std::string terminal = "foot";     // what the `terminal` action launches
  std::filesystem::path source;      // file it came from; empty for defaults

  // The settings that apply to the output called `name`: exact match first, else "*".
  const OutputConfig* output_for(std::string_view name) const;
};

// Where an invalid configuration went wrong. line/column are 1-based, 0 when unknown.
struct ConfigError {
  std::string file;
  int line = 0;
  int column = 0;
  std::string key;      // dotted path, e.g. "output[HDMI-A-1].scale"; empty when none
  std::string message;

  // "FILE:LINE:COLUMN: KEY: MESSAGE", omitting parts that are unknown.
  std::string to_string() const;
};

// The built-in configuration: US keyboard, default keybindings, no outputs, no startup.
Config defaults();

// Parses TOML text; `source_name` is used in errors.
std::expected<Config, ConfigError> parse(std::string_view text, std::string_view source_name);

// Reads and parses a file; a missing or unreadable file is an error.
std::expected<Config, ConfigError> load_file(const std::filesystem::path& path);

// $XDG_CONFIG_HOME/tranche/config.toml, or ~/.config/tranche/config.toml.
std::filesystem::path default_path();

// The configuration tranche runs with, at start and on every reload: a file
// named on the command line must load; the default file may be absent, and
// then the defaults apply.
struct Loaded {
  Config config;
  std::filesystem::path path;  // the file read, or the default path that was absent
};
std::expected<Loaded, ConfigError> load(const std::optional<std::filesystem::path>& explicit_path);

}  // namespace tranche::config
