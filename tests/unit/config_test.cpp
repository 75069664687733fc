// The TOML configuration: values, defaults, binding merge, and error positions.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include <unistd.h>

#include "config/config.hpp"

namespace tranche::config {
namespace {

Config parsed(std::string_view text) {
  auto c = parse(text, "test.toml");
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().to_string());
  return c.value_or(Config{});
}

const KeyBinding* find(const Config& c, std::string_view keys) {
  auto combo = parse_keys(keys).value();
  return match(c.bindings, combo.modifiers, combo.keysym);
}

TEST(Defaults, Values) {
  auto c = defaults();
  EXPECT_EQ(c.terminal, "foot");
  EXPECT_EQ(c.keyboard.layout, "us");
  EXPECT_EQ(c.keyboard.rules, "");
  EXPECT_EQ(c.keyboard.options, "");
  EXPECT_EQ(c.keyboard.repeat_rate, 25);
  EXPECT_EQ(c.keyboard.repeat_delay, 600);
  EXPECT_TRUE(c.outputs.empty());
  EXPECT_TRUE(c.startup.empty());
  EXPECT_TRUE(c.source.empty());
  EXPECT_EQ(c.bindings.size(), 20u);
}

TEST(Defaults, Bindings) {
  auto c = defaults();
  const std::pair<std::string_view, Action> cases[] = {
      {"Logo+Return", Action::Terminal}, {"Logo+Shift+q", Action::Close},
      {"Alt+Tab", Action::CycleFocus},   {"Logo+Tab", Action::CycleFocus},
      {"Logo+f", Action::Fullscreen},    {"Logo+m", Action::Maximize},
      {"Logo+Shift+r", Action::Reload},  {"Logo+Shift+e", Action::Quit},
  };
  for (auto [keys, action] : cases) {
    auto* b = find(c, keys);
    ASSERT_NE(b, nullptr) << keys;
    EXPECT_EQ(b->action, action) << keys;
  }
  for (int vt = 1; vt <= 12; ++vt) {
    auto* b = match(c.bindings, ModCtrl | ModAlt, XKB_KEY_F1 + vt - 1);
    ASSERT_NE(b, nullptr) << vt;
    EXPECT_EQ(b->action, Action::SwitchVt);
    EXPECT_EQ(b->argument, std::to_string(vt));
  }
}

TEST(Parse, EmptyFileGivesDefaults) {
  auto c = parsed("");
  auto d = defaults();
  EXPECT_EQ(c.bindings, d.bindings);
  EXPECT_EQ(c.terminal, d.terminal);
  EXPECT_EQ(c.keyboard.layout, "us");
  EXPECT_TRUE(c.outputs.empty());
}

TEST(Parse, AllValues) {
  auto c = parsed(R"(
terminal = "alacritty"
startup = ["swaybg -c '#203040'", "mako"]

[keyboard]
rules = "evdev"
model = "pc105"
layout = "us,de"
variant = "dvorak,"
options = "ctrl:nocaps"
repeat-rate = 40
repeat-delay = 250

[[output]]
name = "HDMI-A-1"
enabled = false
mode = "2560x1440@59.94"
scale = 1.5
position = { x = 1920, y = -10 }
transform = "flipped-90"

[[output]]
name = "*"
mode = "1920x1080"
scale = 2
)");
  EXPECT_EQ(c.terminal, "alacritty");
  EXPECT_EQ(c.startup, (std::vector<std::string>{"swaybg -c '#203040'", "mako"}));
  EXPECT_EQ(c.keyboard.rules, "evdev");
  EXPECT_EQ(c.keyboard.model, "pc105");
  EXPECT_EQ(c.keyboard.layout, "us,de");
  EXPECT_EQ(c.keyboard.variant, "dvorak,");
  EXPECT_EQ(c.keyboard.options, "ctrl:nocaps");
  EXPECT_EQ(c.keyboard.repeat_rate, 40);
  EXPECT_EQ(c.keyboard.repeat_delay, 250);
  ASSERT_EQ(c.outputs.size(), 2u);
  const auto& hdmi = c.outputs[0];
  EXPECT_EQ(hdmi.name, "HDMI-A-1");
  EXPECT_FALSE(hdmi.enabled);
  ASSERT_TRUE(hdmi.mode);
  EXPECT_EQ(hdmi.mode->width, 2560);
  EXPECT_EQ(hdmi.mode->height, 1440);
  EXPECT_EQ(hdmi.mode->refresh_mhz, 59940);
  EXPECT_EQ(hdmi.scale, 1.5);
  ASSERT_TRUE(hdmi.position);
  EXPECT_EQ(hdmi.position->x, 1920);
  EXPECT_EQ(hdmi.position->y, -10);
  EXPECT_EQ(hdmi.transform, Transform::Flipped90);
  const auto& all = c.outputs[1];
  EXPECT_EQ(all.name, "*");
  EXPECT_TRUE(all.enabled);
  ASSERT_TRUE(all.mode);
  EXPECT_EQ(all.mode->width, 1920);
  EXPECT_EQ(all.mode->refresh_mhz, 0);
  EXPECT_EQ(all.scale, 2.0);  // TOML integer accepted
  EXPECT_FALSE(all.position);
  EXPECT_FALSE(all.transform);
}

TEST(Parse, UnsetOutputFieldsStayUnset) {
  auto c = parsed("[[output]]\nname = \"DP-1\"\n");
  ASSERT_EQ(c.outputs.size(), 1u);
  EXPECT_TRUE(c.outputs[0].enabled);
  EXPECT_FALSE(c.outputs[0].mode);
  EXPECT_FALSE(c.outputs[0].scale);
  EXPECT_FALSE(c.outputs[0].position);
  EXPECT_FALSE(c.outputs[0].transform);
}

TEST(Parse, ModeRefreshRates) {
  auto refresh = [](std::string_view mode) {
    auto c = parsed(std::format("[[output]]\nname = \"X\"\nmode = \"{}\"\n", mode));
    return c.outputs.empty() || !c.outputs[0].mode ? -1 : c.outputs[0].mode->refresh_mhz;
  };
  EXPECT_EQ(refresh("1920x1080@60"), 60000);
  EXPECT_EQ(refresh("1920x1080@144"), 144000);
  EXPECT_EQ(refresh("1920x1080@59.94"), 59940);
  EXPECT_EQ(refresh("1920x1080@59.9999"), 60000);  // rounded to millihertz
  EXPECT_EQ(refresh("1920x1080@23.976"), 23976);
  EXPECT_EQ(refresh("1920x1080"), 0);
}

TEST(Parse, Transforms) {
  const std::pair<std::string_view, Transform> cases[] = {
      {"normal", Transform::Normal},          {"90", Transform::Rotate90},
      {"180", Transform::Rotate180},          {"270", Transform::Rotate270},
      {"flipped", Transform::Flipped},        {"flipped-90", Transform::Flipped90},
      {"flipped-180", Transform::Flipped180}, {"flipped-270", Transform::Flipped270},
  };
  for (auto [text, transform] : cases) {
    auto c = parsed(std::format("[[output]]\nname = \"X\"\ntransform = \"{}\"\n", text));
    ASSERT_EQ(c.outputs.size(), 1u) << text;
    EXPECT_EQ(c.outputs[0].transform, transform) << text;
  }
  // The values are wl_output_transform's, which the glue casts to.
  EXPECT_EQ(static_cast<int>(Transform::Flipped270), 7);
}

TEST(Parse, Background) {
  auto c = parsed("[[output]]\nname = \"X\"\nbackground = \"#1C2633\"\n");
  ASSERT_EQ(c.outputs.size(), 1u);
  EXPECT_EQ(c.outputs[0].background, std::optional<uint32_t>(0x1c2633u));
  EXPECT_FALSE(parsed("[[output]]\nname = \"X\"\n").outputs[0].background);
}

TEST(Parse, CopyPaths) {
  using tranche::copy::Forced;
  using tranche::copy::Path;
  const std::pair<std::string_view, Forced> cases[] = {
      {"auto", Forced{}}, {"zero-copy", Path::ZeroCopy}, {"gpu-copy", Path::GpuCopy}, {"sysram", Path::Sysram}};
  for (auto [text, forced] : cases) {
    auto c = parsed(std::format("[[output]]\nname = \"X\"\ncopy-path = \"{}\"\n", text));
    ASSERT_EQ(c.outputs.size(), 1u) << text;
    EXPECT_EQ(c.outputs[0].copy_path, std::optional<Forced>(forced)) << text;
  }
  EXPECT_FALSE(parsed("[[output]]\nname = \"X\"\n").outputs[0].copy_path);
}

TEST(OutputFor, ExactNameBeforeWildcard) {
  auto c = parsed(R"(
[[output]]
name = "*"
scale = 2
[[output]]
name = "DP-1"
scale = 1
)");
  ASSERT_NE(c.output_for("DP-1"), nullptr);
  EXPECT_EQ(c.output_for("DP-1")->scale, 1.0);  // exact wins although "*" comes first
  ASSERT_NE(c.output_for("HDMI-A-1"), nullptr);
  EXPECT_EQ(c.output_for("HDMI-A-1")->name, "*");
  EXPECT_EQ(c.output_for("dp-1")->name, "*");  // connector names are case-sensitive
}

TEST(OutputFor, NoMatchWithoutWildcard) {
  auto c = parsed("[[output]]\nname = \"DP-1\"\n");
  EXPECT_NE(c.output_for("DP-1"), nullptr);
  EXPECT_EQ(c.output_for("DP-2"), nullptr);
  EXPECT_EQ(defaults().output_for("DP-1"), nullptr);
}

TEST(Keybindings, MergedOverDefaults) {
  auto c = parsed(R"(
[keybindings]
"Logo+Return" = "exec kitty"
"Logo+d" = "exec fuzzel"
"Alt+Tab" = "none"
"Logo+x" = "none"
"logo+SHIFT+E" = "switch-vt 3"
)");
  auto* b = find(c, "Logo+Return");  // replaced
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->action, Action::Exec);
  EXPECT_EQ(b->argument, "kitty");
  b = find(c, "Logo+d");  // added
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->argument, "fuzzel");
  EXPECT_EQ(find(c, "Alt+Tab"), nullptr);  // removed
  b = find(c, "Logo+Shift+e");  // replaced, spelled differently
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->action, Action::SwitchVt);
  EXPECT_NE(find(c, "Logo+Tab"), nullptr);  // untouched default
  // 20 defaults - Alt+Tab + Logo+d; "none" on an unbound key is harmless.
  EXPECT_EQ(c.bindings.size(), 20u);
}

TEST(ExplicitSync, DefaultsWarnAfterASecondNeverDisconnect) {
  auto c = defaults();
  EXPECT_EQ(c.explicit_sync.stall_warning_ms, 1000);
  EXPECT_EQ(c.explicit_sync.disconnect_after_ms, 0);
}

TEST(ExplicitSync, Values) {
  auto c = parsed("[explicit-sync]\nstall-warning-ms = 250\ndisconnect-after-ms = 30000\n");
  EXPECT_EQ(c.explicit_sync.stall_warning_ms, 250);
  EXPECT_EQ(c.explicit_sync.disconnect_after_ms, 30000);
  auto off = parsed("[explicit-sync]\nstall-warning-ms = 0\n");
  EXPECT_EQ(off.explicit_sync.stall_warning_ms, 0);
  EXPECT_EQ(off.explicit_sync.disconnect_after_ms, 0);
}

TEST(Scanout, Defaults) {
  auto c = defaults();
  EXPECT_TRUE(c.scanout.direct_scanout);
  EXPECT_FALSE(c.scanout.overlays);
  EXPECT_EQ(c.scanout.overlay_min_update_rate, 5);
  EXPECT_EQ(c.scanout.feedback_hysteresis_ms, 500);
  EXPECT_EQ(c.scanout.plane_search_budget_ms, 1);
  EXPECT_FALSE(c.scanout.tearing);
}

TEST(Scanout, Values) {
  auto c = parsed("[scanout]\ndirect-scanout = false\noverlays = true\nfeedback-hysteresis-ms = 0\n"
                  "plane-search-budget-ms = 250\ntearing = true\noverlay-min-update-rate = 0\n");
  EXPECT_FALSE(c.scanout.direct_scanout);
  EXPECT_TRUE(c.scanout.overlays);
  EXPECT_EQ(c.scanout.overlay_min_update_rate, 0);
  EXPECT_EQ(c.scanout.feedback_hysteresis_ms, 0);
  EXPECT_EQ(c.scanout.plane_search_budget_ms, 250);
  EXPECT_TRUE(c.scanout.tearing);
}

TEST(ConfigErrorText, OmitsUnknownParts) {
  EXPECT_EQ((ConfigError{"a.toml", 3, 7, "keyboard.layout", "bad"}).to_string(),
            "a.toml:3:7: keyboard.layout: bad");
  EXPECT_EQ((ConfigError{"a.toml", 3, 7, "", "bad"}).to_string(), "a.toml:3:7: bad");
  EXPECT_EQ((ConfigError{"a.toml", 3, 0, "", "bad"}).to_string(), "a.toml:3: bad");
  EXPECT_EQ((ConfigError{"a.toml", 0, 0, "", "bad"}).to_string(), "a.toml: bad");
  EXPECT_EQ((ConfigError{"", 3, 7, "k", "bad"}).to_string(), "3:7: k: bad");
  EXPECT_EQ((ConfigError{"", 0, 0, "", "bad"}).to_string(), "bad");
}

// One invalid file each; the error must name the line, the key and what is wrong.
struct ErrorCase {
  const char* name;
  const char* text;
  int line;
  int column;  // 0: not checked
  const char* key;
  const char* message;  // a substring of the message
};

void PrintTo(const ErrorCase& tc, std::ostream* os) { *os << tc.name; }

class ConfigErrors : public testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrors, ReportsPositionKeyAndMessage) {
  const auto& tc = GetParam();
  auto c = parse(tc.text, "bad.toml");
  ASSERT_FALSE(c.has_value()) << tc.text;
  const auto& e = c.error();
  EXPECT_EQ(e.file, "bad.toml");
  EXPECT_EQ(e.line, tc.line) << e.to_string();
  if (tc.column) {
    EXPECT_EQ(e.column, tc.column) << e.to_string();
  }
  EXPECT_EQ(e.key, tc.key) << e.to_string();
  EXPECT_NE(e.message.find(tc.message), std::string::npos) << e.to_string();
}

const ErrorCase kErrorCases[] = {
    {"TomlSyntax", "terminal = \"foot\"\n[keyboard]\nlayout = us\n", 3, 10, "", ""},
    {"TomlUnterminated", "terminal = \"foot\"\nstartup = [\n", 2, 0, "", "end-of-file"},
    {"TomlDuplicateKey", "terminal = \"a\"\nterminal = \"b\"\n", 2, 0, "", ""},
    {"UnknownTopLevelKey", "terminal = \"foot\"\nfoo = 1\n", 2, 1, "foo", "unknown key"},
    {"TerminalNotString", "\nterminal = 5\n", 2, 12, "terminal", "expected a string, got 5"},
    {"TerminalEmpty", "terminal = \"\"\n", 1, 0, "terminal", "empty"},
    {"StartupNotArray", "startup = \"mako\"\n", 1, 0, "startup", "expected an array of strings, got \"mako\""},
    {"StartupElementNotString", "startup = [\n  \"mako\",\n  5,\n]\n", 3, 3, "startup[2]", "expected a string, got 5"},
    {"KeyboardNotTable", "keyboard = \"us\"\n", 1, 0, "keyboard", "expected a table"},
    {"KeyboardUnknownKey", "[keyboard]\nlayot = \"de\"\n", 2, 1, "keyboard.layot", "unknown key"},
    {"KeyboardLayoutNotString", "[keyboard]\nlayout = 1\n", 2, 0, "keyboard.layout", "expected a string"},
    {"RepeatRateTooHigh", "[keyboard]\n\nrepeat-rate = 2000\n", 3, 15, "keyboard.repeat-rate",
     "expected an integer from 0 to 1000, got 2000"},
    {"RepeatRateNegative", "[keyboard]\nrepeat-rate = -1\n", 2, 0, "keyboard.repeat-rate", "got -1"},
    {"RepeatRateFloat", "[keyboard]\nrepeat-rate = 2.5\n", 2, 0, "keyboard.repeat-rate", "got 2.5"},
    {"RepeatDelayTooHigh", "[keyboard]\nrepeat-delay = 10001\n", 2, 0, "keyboard.repeat-delay",
     "from 0 to 10000"},
    {"OutputNotArray", "[output]\nname = \"DP-1\"\n", 1, 0, "output", "expected an array of tables"},
    {"OutputNotTable", "output = [1]\n", 1, 0, "output[1]", "expected a table"},
    {"OutputMissingName", "[[output]]\nscale = 2\n", 1, 0, "output[1].name", "missing the required key name"},
    {"SecondOutputMissingName", "[[output]]\nname = \"A\"\n\n[[output]]\nscale = 2\n", 4, 0,
     "output[2].name", "missing"},
    {"OutputNameNotString", "[[output]]\nname = 3\n", 2, 0, "output[1].name", "expected a string, got 3"},
    {"OutputNameEmpty", "[[output]]\nname = \"\"\n", 2, 0, "output[1].name", "empty"},
    {"DuplicateOutputName", "[[output]]\nname = \"HDMI-A-1\"\n[[output]]\nname = \"HDMI-A-1\"\n", 4, 8,
     "output[HDMI-A-1].name", "already configured on line 2"},
    {"DuplicateWildcard", "[[output]]\nname = \"*\"\n[[output]]\nname = \"*\"\n", 4, 0, "output[*].name",
     "already configured"},
    {"OutputUnknownKey", "[[output]]\nname = \"DP-1\"\nrotate = 90\n", 3, 1, "output[DP-1].rotate", "unknown key"},
    {"OutputUnknownKeyBeforeName", "[[output]]\nfoo = 1\nname = \"DP-1\"\n", 2, 0, "output[DP-1].foo",
     "unknown key"},
    {"EnabledNotBool", "[[output]]\nname = \"DP-1\"\nenabled = \"yes\"\n", 3, 0, "output[DP-1].enabled",
     "expected true or false"},
    {"ScaleNegative", "[[output]]\nname = \"HDMI-A-1\"\nscale = -1\n", 3, 9, "output[HDMI-A-1].scale",
     "expected a number greater than 0 and at most 10, got -1"},
    {"ScaleZero", "[[output]]\nname = \"A\"\nscale = 0.0\n", 3, 0, "output[A].scale", "got 0"},
    {"ScaleTooLarge", "[[output]]\nname = \"A\"\nscale = 11\n", 3, 0, "output[A].scale", "got 11"},
    {"ScaleNan", "[[output]]\nname = \"A\"\nscale = nan\n", 3, 0, "output[A].scale", "greater than 0"},
    {"ScaleString", "[[output]]\nname = \"A\"\nscale = \"2\"\n", 3, 0, "output[A].scale", "got \"2\""},
    {"ModeNoHeight", "[[output]]\nname = \"A\"\nmode = \"1920x\"\n", 3, 8, "output[A].mode", "got \"1920x\""},
    {"ModeNotNumbers", "[[output]]\nname = \"A\"\nmode = \"axb\"\n", 3, 0, "output[A].mode", "WIDTHxHEIGHT"},
    {"ModeZeroWidth", "[[output]]\nname = \"A\"\nmode = \"0x1080\"\n", 3, 0, "output[A].mode", "WIDTHxHEIGHT"},
    {"ModeEmptyRate", "[[output]]\nname = \"A\"\nmode = \"1920x1080@\"\n", 3, 0, "output[A].mode", "WIDTHxHEIGHT"},
    {"ModeZeroRate", "[[output]]\nname = \"A\"\nmode = \"1920x1080@0\"\n", 3, 0, "output[A].mode", "WIDTHxHEIGHT"},
    {"ModeRateWithUnit", "[[output]]\nname = \"A\"\nmode = \"1920x1080@60Hz\"\n", 3, 0, "output[A].mode", "WIDTHxHEIGHT"},
    {"ModeRateExponent", "[[output]]\nname = \"A\"\nmode = \"1920x1080@6e1\"\n", 3, 0, "output[A].mode", "WIDTHxHEIGHT"},
    {"ModeNotString", "[[output]]\nname = \"A\"\nmode = 1080\n", 3, 0, "output[A].mode", "expected a string"},
    {"TransformUnknown", "[[output]]\nname = \"A\"\ntransform = \"upside-down\"\n", 3, 0, "output[A].transform",
     "got \"upside-down\""},
    {"CopyPathUnknown", "[[output]]\nname = \"A\"\ncopy-path = \"dma\"\n", 3, 0, "output[A].copy-path",
     "got \"dma\""},
    {"BackgroundShort", "[[output]]\nname = \"A\"\nbackground = \"#fff\"\n", 3, 0, "output[A].background",
     "got \"#fff\""},
    {"BackgroundNotHex", "[[output]]\nname = \"A\"\nbackground = \"#12345g\"\n", 3, 0, "output[A].background",
     "\"#rrggbb\""},
    {"BackgroundNumber", "[[output]]\nname = \"A\"\nbackground = 0\n", 3, 0, "output[A].background", "got 0"},
    {"TransformInteger", "[[output]]\nname = \"A\"\ntransform = 90\n", 3, 0, "output[A].transform", "got 90"},
    {"PositionNotTable", "[[output]]\nname = \"A\"\nposition = 5\n", 3, 0, "output[A].position", "expected a table"},
    {"PositionMissingY", "[[output]]\nname = \"A\"\nposition = { x = 1 }\n", 3, 0, "output[A].position", "missing y"},
    {"PositionUnknownKey", "[[output]]\nname = \"A\"\nposition = { x = 1, y = 2, z = 3 }\n", 3, 0,
     "output[A].position.z", "unknown key"},
    {"PositionNotInteger", "[[output]]\nname = \"A\"\nposition = { x = \"left\", y = 0 }\n", 3, 0,
     "output[A].position.x", "expected an integer"},
    {"KeybindingsNotTable", "keybindings = 1\n", 1, 0, "keybindings", "expected a table"},
    {"BindingUnknownKeysym", "[keybindings]\n\"Logo+nosuchkey\" = \"close\"\n", 2, 1, "keybindings.Logo+nosuchkey",
     "unknown key name \"nosuchkey\""},
    {"BindingUnknownModifier", "[keybindings]\n\"Hyper+q\" = \"close\"\n", 2, 0, "keybindings.Hyper+q",
     "unknown modifier"},
    {"BindingValueNotString", "[keybindings]\n\"Logo+q\" = 5\n", 2, 0, "keybindings.Logo+q", "expected a string"},
    {"BindingUnknownAction", "[keybindings]\n\"Logo+q\" = \"frobnicate\"\n", 2, 12, "keybindings.Logo+q",
     "unknown action"},
    {"BindingBadVt", "[keybindings]\n\"Ctrl+Alt+F1\" = \"switch-vt 13\"\n", 2, 0, "keybindings.Ctrl+Alt+F1",
     "from 1 to 12"},
    {"BindingExecWithoutCommand", "[keybindings]\n\"Logo+d\" = \"exec\"\n", 2, 0, "keybindings.Logo+d",
     "needs a command"},
    {"BindingSameKeysTwice", "[keybindings]\n\"Logo+d\" = \"close\"\n\"super+D\" = \"quit\"\n", 3, 1,
     "keybindings.super+D", "same keys as \"Logo+d\" on line 2"},
    {"ScanoutUnknownKey", "[scanout]\nplanes = true\n", 2, 1, "scanout.planes", "unknown key"},
    {"ScanoutOverlaysNotBool", "[scanout]\noverlays = 1\n", 2, 0, "scanout.overlays", "expected"},
    {"ScanoutHysteresisNegative", "[scanout]\nfeedback-hysteresis-ms = -5\n", 2, 0,
     "scanout.feedback-hysteresis-ms", "got -5"},
    {"ScanoutBudgetZero", "[scanout]\nplane-search-budget-ms = 0\n", 2, 0, "scanout.plane-search-budget-ms", "got 0"},
    {"ScanoutMinUpdateRateTooHigh", "[scanout]\noverlay-min-update-rate = 5000\n", 2, 0,
     "scanout.overlay-min-update-rate", "got 5000"},
    {"ExplicitSyncNotTable", "explicit-sync = 1\n", 1, 0, "explicit-sync", "expected a table"},
    {"ExplicitSyncUnknownKey", "[explicit-sync]\ntimeout_ms = 5\n", 2, 1, "explicit-sync.timeout_ms",
     "unknown key (expected one of: stall-warning-ms, disconnect-after-ms)"},
    {"StallWarningNegative", "[explicit-sync]\nstall-warning-ms = -1\n", 2, 20, "explicit-sync.stall-warning-ms",
     "expected an integer from 0 to 86400000, got -1"},
    {"DisconnectAfterTooLong", "[explicit-sync]\n\ndisconnect-after-ms = 86400001\n", 3, 0,
     "explicit-sync.disconnect-after-ms", "got 86400001"},
    {"DisconnectAfterNotInteger", "[explicit-sync]\ndisconnect-after-ms = \"5s\"\n", 2, 0,
     "explicit-sync.disconnect-after-ms", "got \"5s\""},
    {"FirstErrorInFileOrder", "zzz = 1\naaa = 2\n", 1, 0, "zzz", "unknown key"},
};

INSTANTIATE_TEST_SUITE_P(All, ConfigErrors, testing::ValuesIn(kErrorCases),
                         [](const auto& info) { return std::string(info.param.name); });

class TempDir : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           std::format("tranche-config-test-{}-{}", getpid(), testing::UnitTest::GetInstance()->random_seed());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(std::string_view name, std::string_view text) {
    auto path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(TempDir, LoadFile) {
  auto path = write("config.toml", "terminal = \"kitty\"\n");
  auto c = load_file(path);
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  EXPECT_EQ(c->terminal, "kitty");
  EXPECT_EQ(c->source, path);
}

TEST_F(TempDir, LoadFileErrorNamesTheFile) {
  auto path = write("bad.toml", "\n[keyboard]\nrepeat-rate = 5000\n");
  auto c = load_file(path);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().file, path.string());
  EXPECT_EQ(c.error().line, 3);
  EXPECT_EQ(c.error().to_string(),
            path.string() + ":3:15: keyboard.repeat-rate: expected an integer from 0 to 1000, got 5000");
}

TEST_F(TempDir, LoadMissingFile) {
  auto path = dir_ / "missing.toml";
  auto c = load_file(path);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().file, path.string());
  EXPECT_EQ(c.error().line, 0);
  EXPECT_EQ(c.error().message, "cannot read: No such file or directory");
  EXPECT_EQ(c.error().to_string(), path.string() + ": cannot read: No such file or directory");
}

TEST_F(TempDir, LoadDirectory) {
  auto c = load_file(dir_);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().message, "cannot read: Is a directory");
}

// Restores an environment variable when the test ends.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? setenv(name, value, 1) : unsetenv(name);
  }
  ~ScopedEnv() { old_ ? setenv(name_, old_->c_str(), 1) : unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(DefaultPath, XdgConfigHome) {
  ScopedEnv xdg("XDG_CONFIG_HOME", "/xdg");
  EXPECT_EQ(default_path(), "/xdg/tranche/config.toml");
}

TEST(DefaultPath, HomeWhenXdgUnsetOrRelative) {
  ScopedEnv home("HOME", "/home/u");
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", nullptr);
    EXPECT_EQ(default_path(), "/home/u/.config/tranche/config.toml");
  }
  ScopedEnv xdg("XDG_CONFIG_HOME", "relative");  // invalid per the XDG spec
  EXPECT_EQ(default_path(), "/home/u/.config/tranche/config.toml");
}

// config::load is what start-up and every reload use.
TEST(Load, AbsentDefaultFileGivesTheDefaults) {
  auto dir = std::filesystem::temp_directory_path() / ("tranche-load-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  ScopedEnv xdg("XDG_CONFIG_HOME", dir.c_str());
  auto loaded = load(std::nullopt);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  EXPECT_EQ(loaded->path, dir / "tranche" / "config.toml");
  EXPECT_EQ(loaded->config.explicit_sync.stall_warning_ms, defaults().explicit_sync.stall_warning_ms);

  std::filesystem::create_directories(dir / "tranche");
  std::ofstream(dir / "tranche" / "config.toml") << "[explicit-sync]\nstall-warning-ms = 250\n";
  loaded = load(std::nullopt);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  EXPECT_EQ(loaded->config.explicit_sync.stall_warning_ms, 250);

  std::ofstream(dir / "tranche" / "config.toml") << "[explicit-sync]\nstall-warning-ms = \"x\"\n";
  loaded = load(std::nullopt);  // a default file that exists must parse
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().line, 2);
  std::filesystem::remove_all(dir);
}

TEST(Load, ExplicitFileMustExist) {
  auto loaded = load(std::filesystem::path("/nonexistent/tranche.toml"));
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().to_string().find("cannot read"), std::string::npos) << loaded.error().to_string();
}

// The source tree: $TRANCHE_SOURCE_DIR, else found from __FILE__, which meson may
// give relative to the build directory (an ancestor of this executable).
std::filesystem::path source_dir() {
  if (const char* dir = std::getenv("TRANCHE_SOURCE_DIR"); dir && *dir) return dir;
  const std::filesystem::path file = __FILE__;  // .../tests/unit/config_test.cpp
  std::vector<std::filesystem::path> bases{std::filesystem::current_path()};
  std::error_code ec;
  for (auto d = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path(); !d.empty();
       d = d.parent_path()) {
    bases.push_back(d);
    if (d == d.root_path()) break;
  }
  for (const auto& base : bases)
    if (auto candidate = (base / file).lexically_normal(); std::filesystem::exists(candidate))
      return candidate.parent_path().parent_path().parent_path();
  return {};
}

TEST(ExampleConfig, ParsesAndShowsTheDefaults) {
  auto path = source_dir() / "configs" / "config.toml";
  auto c = load_file(path);
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  // The example claims its values are the defaults (outputs aside); keep it honest.
  auto d = defaults();
  EXPECT_EQ(c->terminal, d.terminal);
  EXPECT_EQ(c->startup, d.startup);
  EXPECT_EQ(c->keyboard.layout, d.keyboard.layout);
  EXPECT_EQ(c->keyboard.options, d.keyboard.options);
  EXPECT_EQ(c->keyboard.repeat_rate, d.keyboard.repeat_rate);
  EXPECT_EQ(c->keyboard.repeat_delay, d.keyboard.repeat_delay);
  EXPECT_EQ(c->bindings, d.bindings);
  EXPECT_EQ(c->scanout.direct_scanout, d.scanout.direct_scanout);
  EXPECT_EQ(c->scanout.overlays, d.scanout.overlays);
  EXPECT_EQ(c->scanout.feedback_hysteresis_ms, d.scanout.feedback_hysteresis_ms);
  EXPECT_EQ(c->scanout.plane_search_budget_ms, d.scanout.plane_search_budget_ms);
  EXPECT_EQ(c->scanout.tearing, d.scanout.tearing);
  EXPECT_EQ(c->explicit_sync.stall_warning_ms, d.explicit_sync.stall_warning_ms);
  EXPECT_EQ(c->explicit_sync.disconnect_after_ms, d.explicit_sync.disconnect_after_ms);
  ASSERT_EQ(c->outputs.size(), 2u);
  EXPECT_TRUE(c->outputs[0].mode && c->outputs[0].scale && c->outputs[0].position && c->outputs[0].transform)
      << "the example should show every output key";
}

}  // namespace
}  // namespace tranche::config
