#include "config/config.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <format>
#include <limits>
#include <map>
#include <utility>

#include <toml++/toml.hpp>

namespace tranche::config {
namespace {

// Thrown by the checks below and caught in parse(), which adds the file name;
// it keeps each check a single line instead of threading std::expected through.
struct Invalid {
  ConfigError error;
};

[[noreturn]] void fail(const toml::source_region& where, std::string key, std::string message) {
  throw Invalid{{.file = {},
                 .line = static_cast<int>(where.begin.line),
                 .column = static_cast<int>(where.begin.column),
                 .key = std::move(key),
                 .message = std::move(message)}};
}

// The value as a person wrote it, for "got ..." in messages.
std::string describe(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return std::format("\"{}\"", n.as_string()->get());
    case toml::node_type::integer: return std::to_string(n.as_integer()->get());
    case toml::node_type::floating_point: return std::format("{}", n.as_floating_point()->get());
    case toml::node_type::boolean: return n.as_boolean()->get() ? "true" : "false";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    default: return "a date or time";
  }
}

[[noreturn]] void unknown_key(const toml::key& k, std::string key, std::string_view known) {
  fail(k.source(), std::move(key), std::format("unknown key (expected one of: {})", known));
}

const std::string& get_string(const toml::node& n, const std::string& key) {
  if (auto* s = n.as_string()) return s->get();
  fail(n.source(), key, "expected a string, got " + describe(n));
}

// A string that is run or used as a name, so empty makes no sense.
const std::string& get_nonempty(const toml::node& n, const std::string& key, std::string_view what) {
  const auto& s = get_string(n, key);
  if (s.empty()) fail(n.source(), key, std::format("expected {}, got an empty string", what));
  return s;
}

int get_int(const toml::node& n, const std::string& key, int64_t lo, int64_t hi) {
  auto* i = n.as_integer();
  if (!i || i->get() < lo || i->get() > hi)
    fail(n.source(), key, std::format("expected an integer from {} to {}, got {}", lo, hi, describe(n)));
  return static_cast<int>(i->get());
}

bool get_bool(const toml::node& n, const std::string& key) {
  if (auto* b = n.as_boolean()) return b->get();
  fail(n.source(), key, "expected true or false, got " + describe(n));
}

const toml::table& get_table(const toml::node& n, const std::string& key) {
  if (auto* t = n.as_table()) return *t;
  fail(n.source(), key, "expected a table, got " + describe(n));
}

// toml::table is sorted by key; walking it in file order makes the first
// error reported the first one in the file.
std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (auto&& [k, v] : t) entries.emplace_back(&k, &v);
  std::ranges::sort(entries, {}, [](const auto& e) {
    const auto& at = e.first->source().begin;
    return std::pair(at.line, at.column);
  });
  return entries;
}

std::optional<int> positive_int(std::string_view s, int max) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v <= 0 || v > max)
    return std::nullopt;
  return v;
}

// "WxH" or "WxH@Hz", Hz with an optional fraction.
std::optional<Mode> parse_mode(std::string_view s) {
  auto at = s.find('@');
  auto size = s.substr(0, at);
  auto x = size.find('x');
  if (x == size.npos) return std::nullopt;
  auto w = positive_int(size.substr(0, x), 32767), h = positive_int(size.substr(x + 1), 32767);
  if (!w || !h) return std::nullopt;
  Mode mode{.width = *w, .height = *h};
  if (at == s.npos) return mode;
  auto rate = s.substr(at + 1);
  // Only digits and one dot: from_chars alone would also take "1e3", "inf" or "-60".
  if (rate.empty() || !std::isdigit(static_cast<unsigned char>(rate.front())) ||
      !std::isdigit(static_cast<unsigned char>(rate.back())) ||
      rate.find_first_not_of("0123456789.") != rate.npos || std::ranges::count(rate, '.') > 1)
    return std::nullopt;
  double hz = 0;
  std::from_chars(rate.data(), rate.data() + rate.size(), hz);
  if (!(hz < 1e6)) return std::nullopt;  // keeps millihertz within int
  mode.refresh_mhz = static_cast<int>(std::llround(hz * 1000));
  if (mode.refresh_mhz <= 0) return std::nullopt;
  return mode;
}

constexpr std::pair<std::string_view, Transform> kTransforms[] = {
    {"normal", Transform::Normal},          {"90", Transform::Rotate90},
    {"180", Transform::Rotate180},          {"270", Transform::Rotate270},
    {"flipped", Transform::Flipped},        {"flipped-90", Transform::Flipped90},
    {"flipped-180", Transform::Flipped180}, {"flipped-270", Transform::Flipped270},
};

Position parse_position(const toml::node& n, const std::string& key) {
  const auto& t = get_table(n, key);
  Position pos;
  bool has_x = false, has_y = false;
  for (auto [k, v] : in_file_order(t)) {
    auto sub = key + "." + std::string(k->str());
    constexpr int64_t lo = std::numeric_limits<int>::min(), hi = std::numeric_limits<int>::max();
    if (k->str() == "x") pos.x = get_int(*v, sub, lo, hi), has_x = true;
    else if (k->str() == "y") pos.y = get_int(*v, sub, lo, hi), has_y = true;
    else unknown_key(*k, sub, "x, y");
  }
  if (!has_x || !has_y)
    fail(n.source(), key, std::format("missing {}, expected a table such as {{ x = 0, y = 0 }}",
                                      has_x ? "y" : "x"));
  return pos;
}

// "#rrggbb" as 0xrrggbb.
std::optional<uint32_t> parse_color(std::string_view s) {
  if (s.size() != 7 || s[0] != '#') return std::nullopt;
  uint32_t value = 0;
  for (char c : s.substr(1)) {
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (digit < 0) return std::nullopt;
    value = value << 4 | static_cast<uint32_t>(digit);
  }
  return value;
}

// `seen` maps names already configured to their line, to report duplicates.
OutputConfig parse_output(const toml::node& n, size_t index, std::map<std::string, int64_t>& seen) {
  auto label = std::format("output[{}]", index);  // until we know the name
  const auto& t = get_table(n, label);
  OutputConfig out;
  auto* name = t.get("name");
  if (!name)
    fail(t.source(), label + ".name",
         "missing the required key name (a connector name such as \"HDMI-A-1\", or \"*\")");
  out.name = get_nonempty(*name, label + ".name", "a connector name or \"*\"");
  label = std::format("output[{}]", out.name);
  auto [prev, fresh] = seen.emplace(out.name, name->source().begin.line);
  if (!fresh)
    fail(name->source(), label + ".name",
         std::format("output \"{}\" is already configured on line {}", out.name, prev->second));

  for (auto [k, v] : in_file_order(t)) {
    auto key = label + "." + std::string(k->str());
    if (k->str() == "name") {
      continue;
    } else if (k->str() == "enabled") {
      out.enabled = get_bool(*v, key);
    } else if (k->str() == "mode") {
      const auto& s = get_string(*v, key);
      out.mode = parse_mode(s);
      if (!out.mode)
        fail(v->source(), key,
             std::format("expected \"WIDTHxHEIGHT\" or \"WIDTHxHEIGHT@HZ\" with positive numbers "
                         "(e.g. \"1920x1080@59.94\"), got \"{}\"", s));
    } else if (k->str() == "scale") {
      auto scale = v->is_number() ? v->value<double>() : std::nullopt;
      if (!scale || !(*scale > 0 && *scale <= 10))  // also rejects nan
        fail(v->source(), key, "expected a number greater than 0 and at most 10, got " + describe(*v));
      out.scale = scale;
    } else if (k->str() == "position") {
      out.position = parse_position(*v, key);
    } else if (k->str() == "transform") {
      auto* s = v->as_string();
      auto it = s ? std::ranges::find(kTransforms, std::string_view(s->get()),
                                      &std::pair<std::string_view, Transform>::first)
                  : std::end(kTransforms);
      if (it == std::end(kTransforms))
        fail(v->source(), key,
             "expected one of \"normal\", \"90\", \"180\", \"270\", \"flipped\", \"flipped-90\", "
             "\"flipped-180\", \"flipped-270\", got " + describe(*v));
      out.transform = it->second;
    } else if (k->str() == "copy-path") {
      auto* s = v->as_string();
      auto mode = s ? copy::parse_mode(s->get()) : std::nullopt;
      if (!mode)
        fail(v->source(), key,
             "expected one of \"auto\", \"zero-copy\", \"gpu-copy\", \"sysram\", got " + describe(*v));
      out.copy_path = *mode;
    } else if (k->str() == "background") {
      auto* s = v->as_string();
      auto color = s ? parse_color(s->get()) : std::nullopt;
      if (!color) fail(v->source(), key, "expected a colour \"#rrggbb\", got " + describe(*v));
      out.background = *color;
    } else {
      unknown_key(*k, key, "name, enabled, mode, scale, position, transform, copy-path, background");
    }
  }
  return out;
}

void parse_keyboard(const toml::node& n, KeyboardConfig& kb) {
  for (auto [k, v] : in_file_order(get_table(n, "keyboard"))) {
    auto key = "keyboard." + std::string(k->str());
    auto name = k->str();
    if (name == "rules") kb.rules = get_string(*v, key);
    else if (name == "model") kb.model = get_string(*v, key);
    else if (name == "layout") kb.layout = get_string(*v, key);
    else if (name == "variant") kb.variant = get_string(*v, key);
    else if (name == "options") kb.options = get_string(*v, key);
    else if (name == "repeat-rate") kb.repeat_rate = get_int(*v, key, 0, 1000);
    else if (name == "repeat-delay") kb.repeat_delay = get_int(*v, key, 0, 10000);
    else unknown_key(*k, key, "rules, model, layout, variant, options, repeat-rate, repeat-delay");
  }
}

void parse_explicit_sync(const toml::node& n, ExplicitSyncConfig& sync) {
  constexpr int64_t kDay = 24 * 3600 * 1000;
  for (auto [k, v] : in_file_order(get_table(n, "explicit-sync"))) {
    auto key = "explicit-sync." + std::string(k->str());
    if (k->str() == "stall-warning-ms") sync.stall_warning_ms = get_int(*v, key, 0, kDay);
    else if (k->str() == "disconnect-after-ms") sync.disconnect_after_ms = get_int(*v, key, 0, kDay);
    else unknown_key(*k, key, "stall-warning-ms, disconnect-after-ms");
  }
}

void parse_scanout(const toml::node& n, ScanoutConfig& scanout) {
  for (auto [k, v] : in_file_order(get_table(n, "scanout"))) {
    auto key = "scanout." + std::string(k->str());
    auto name = k->str();
    if (name == "direct-scanout") scanout.direct_scanout = get_bool(*v, key);
    else if (name == "overlays") scanout.overlays = get_bool(*v, key);
    else if (name == "feedback-hysteresis-ms") scanout.feedback_hysteresis_ms = get_int(*v, key, 0, 60'000);
    else if (name == "plane-search-budget-ms") scanout.plane_search_budget_ms = get_int(*v, key, 1, 1000);
    else if (name == "tearing") scanout.tearing = get_bool(*v, key);
    else if (name == "overlay-min-update-rate") scanout.overlay_min_update_rate = get_int(*v, key, 0, 1000);
    else unknown_key(*k, key, "direct-scanout, overlays, overlay-min-update-rate, feedback-hysteresis-ms, "
                     "plane-search-budget-ms, tearing");
  }
}

// Merges the file's bindings over `bindings` (the defaults).
void parse_keybindings(const toml::node& n, std::vector<KeyBinding>& bindings) {
  // Different spellings ("Logo+d", "super+D") are different TOML keys but the same keys.
  std::map<std::pair<uint32_t, xkb_keysym_t>, const toml::key*> seen;
  for (auto [k, v] : in_file_order(get_table(n, "keybindings"))) {
    auto key = "keybindings." + std::string(k->str());
    auto keys = parse_keys(k->str());
    if (!keys) fail(k->source(), key, keys.error());
    auto [prev, fresh] = seen.emplace(std::pair(keys->modifiers, keys->keysym), k);
    if (!fresh)
      fail(k->source(), key,
           std::format("same keys as \"{}\" on line {}", prev->second->str(),
                       prev->second->source().begin.line));
    const auto& text = get_string(*v, key);
    auto same = std::ranges::find_if(bindings, [&](const KeyBinding& b) {
      return b.modifiers == keys->modifiers && b.keysym == keys->keysym;
    });
    if (text == "none") {
      if (same != bindings.end()) bindings.erase(same);
      continue;
    }
    auto action = parse_action(text);
    if (!action) fail(v->source(), key, action.error());
    action->modifiers = keys->modifiers;
    action->keysym = keys->keysym;
    if (same != bindings.end()) *same = std::move(*action);
    else bindings.push_back(std::move(*action));
  }
}

Config build(const toml::table& root) {
  Config config = defaults();
  std::map<std::string, int64_t> output_names;
  for (auto [k, v] : in_file_order(root)) {
    std::string key(k->str());
    if (key == "terminal") {
      config.terminal = get_nonempty(*v, key, "a command");
    } else if (key == "startup") {
      auto* list = v->as_array();
      if (!list) fail(v->source(), key, "expected an array of strings, got " + describe(*v));
      for (size_t i = 0; i < list->size(); ++i)
        config.startup.push_back(
            get_nonempty(*list->get(i), std::format("startup[{}]", i + 1), "a command"));
    } else if (key == "keyboard") {
      parse_keyboard(*v, config.keyboard);
    } else if (key == "output") {
      auto* list = v->as_array();
      if (!list)
        fail(v->source(), key, "expected an array of tables ([[output]]), got " + describe(*v));
      for (size_t i = 0; i < list->size(); ++i)
        config.outputs.push_back(parse_output(*list->get(i), i + 1, output_names));
    } else if (key == "keybindings") {
      parse_keybindings(*v, config.bindings);
    } else if (key == "scanout") {
      parse_scanout(*v, config.scanout);
    } else if (key == "explicit-sync") {
      parse_explicit_sync(*v, config.explicit_sync);
    } else {
      unknown_key(*k, key, "terminal, startup, keyboard, output, keybindings, scanout, explicit-sync");
    }
  }
  return config;
}

}  // namespace

const OutputConfig* Config::output_for(std::string_view name) const {
  const OutputConfig* fallback = nullptr;
  for (const auto& out : outputs) {
    if (out.name == name) return &out;
    if (out.name == "*") fallback = &out;
  }
  return fallback;
}

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += std::format("{}{}", out.empty() ? "" : ":", line);
    if (column > 0) out += std::format(":{}", column);
  }
  if (!out.empty()) out += ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

Config defaults() {
  static constexpr std::pair<std::string_view, std::string_view> kBindings[] = {
      {"Logo+Return", "terminal"},    {"Logo+Shift+q", "close"},   {"Alt+Tab", "cycle-focus"},
      {"Logo+Tab", "cycle-focus"},    {"Logo+f", "fullscreen"},    {"Logo+m", "maximize"},
      {"Logo+Shift+r", "reload"},     {"Logo+Shift+e", "quit"},
  };
  Config config;
  auto add = [&](std::string_view keys, std::string_view action) {
    // The tables here are fixed and covered by tests, so .value() cannot throw.
    auto binding = parse_action(action).value();
    auto combo = parse_keys(keys).value();
    binding.modifiers = combo.modifiers;
    binding.keysym = combo.keysym;
    config.bindings.push_back(std::move(binding));
  };
  for (auto [keys, action] : kBindings) add(keys, action);
  for (int vt = 1; vt <= 12; ++vt) add(std::format("Ctrl+Alt+F{}", vt), std::format("switch-vt {}", vt));
  return config;
}

std::expected<Config, ConfigError> parse(std::string_view text, std::string_view source_name) {
  try {
    return build(toml::parse(text, source_name));
  } catch (const toml::parse_error& e) {
    return std::unexpected(ConfigError{.file = std::string(source_name),
                                       .line = static_cast<int>(e.source().begin.line),
                                       .column = static_cast<int>(e.source().begin.column),
                                       .key = {},
                                       .message = std::string(e.description())});
  } catch (Invalid& invalid) {
    invalid.error.file = source_name;
    return std::unexpected(std::move(invalid.error));
  }
}

std::expected<Config, ConfigError> load_file(const std::filesystem::path& path) {
  auto unreadable = [&](int err) {
    return std::unexpected(
        ConfigError{.file = path.string(), .message = std::format("cannot read: {}", std::strerror(err))});
  };
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return unreadable(errno);
  std::string text;
  char buf[8192];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  int err = std::ferror(f) ? errno : 0;  // e.g. EISDIR when path is a directory
  std::fclose(f);
  if (err) return unreadable(err);
  auto config = parse(text, path.string());
  if (config) config->source = path;
  return config;
}

std::filesystem::path default_path() {
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && xdg[0] == '/')
    return std::filesystem::path(xdg) / "tranche" / "config.toml";
  const char* home = std::getenv("HOME");
  if (!home || !*home)
    if (const passwd* pw = getpwuid(getuid())) home = pw->pw_dir;
  return std::filesystem::path(home ? home : "") / ".config" / "tranche" / "config.toml";
}

std::expected<Loaded, ConfigError> load(const std::optional<std::filesystem::path>& explicit_path) {
  std::filesystem::path path = explicit_path.value_or(default_path());
  std::error_code ec;
  if (!explicit_path && !std::filesystem::exists(path, ec)) return Loaded{defaults(), path};
  auto loaded = load_file(path);
  if (!loaded) return std::unexpected(loaded.error());
  return Loaded{std::move(*loaded), path};
}

}  // namespace tranche::config
