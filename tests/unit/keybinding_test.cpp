// parse_keys, parse_action and match: the keybinding syntax without a config file.
#include <gtest/gtest.h>

#include "config/keybinding.hpp"

namespace tranche::config {
namespace {

KeyBinding keys(std::string_view text) {
  auto b = parse_keys(text);
  EXPECT_TRUE(b.has_value()) << text << ": " << (b ? "" : b.error());
  return b.value_or(KeyBinding{});
}

std::string keys_error(std::string_view text) {
  auto b = parse_keys(text);
  EXPECT_FALSE(b.has_value()) << text;
  return b ? "" : b.error();
}

std::string action_error(std::string_view text) {
  auto b = parse_action(text);
  EXPECT_FALSE(b.has_value()) << text;
  return b ? "" : b.error();
}

TEST(ParseKeys, ModifiersAndKeysym) {
  auto b = keys("Logo+Shift+q");
  EXPECT_EQ(b.modifiers, ModLogo | ModShift);
  EXPECT_EQ(b.keysym, XKB_KEY_q);
  EXPECT_EQ(keys("Return").modifiers, 0u);
  EXPECT_EQ(keys("Return").keysym, XKB_KEY_Return);
}

TEST(ParseKeys, ModifierNamesAreCaseInsensitiveWithAliases) {
  EXPECT_EQ(keys("logo+SHIFT+x").modifiers, ModLogo | ModShift);
  EXPECT_EQ(keys("Ctrl+x").modifiers, ModCtrl);
  EXPECT_EQ(keys("control+x").modifiers, ModCtrl);
  EXPECT_EQ(keys("Alt+x").modifiers, ModAlt);
  EXPECT_EQ(keys("Mod1+x").modifiers, ModAlt);
  EXPECT_EQ(keys("Super+x").modifiers, ModLogo);
  EXPECT_EQ(keys("Mod4+x").modifiers, ModLogo);
  EXPECT_EQ(keys("Mod3+x").modifiers, ModMod3);
  EXPECT_EQ(keys("Mod5+x").modifiers, ModMod5);
  EXPECT_EQ(keys("Ctrl+Alt+Shift+Logo+x").modifiers, ModCtrl | ModAlt | ModShift | ModLogo);
}

TEST(ParseKeys, KeysymsAreStoredLowerCase) {
  EXPECT_EQ(keys("Logo+Q").keysym, XKB_KEY_q);
  EXPECT_EQ(keys("Logo+Aacute").keysym, XKB_KEY_aacute);
}

TEST(ParseKeys, KeysymNameFallsBackToCaseInsensitive) {
  EXPECT_EQ(keys("Logo+return").keysym, XKB_KEY_Return);
  EXPECT_EQ(keys("Logo+f1").keysym, XKB_KEY_F1);
  EXPECT_EQ(keys("xf86audioraisevolume").keysym, XKB_KEY_XF86AudioRaiseVolume);
  EXPECT_EQ(keys("Ctrl+Alt+F12").keysym, XKB_KEY_F12);
}

TEST(ParseKeys, SpacesAroundPartsAreIgnored) {
  auto b = keys(" Logo + Shift + Return ");
  EXPECT_EQ(b.modifiers, ModLogo | ModShift);
  EXPECT_EQ(b.keysym, XKB_KEY_Return);
}

TEST(ParseKeys, Errors) {
  EXPECT_EQ(keys_error(""), "empty key combination");
  EXPECT_NE(keys_error("Logo+").find("empty part"), std::string::npos);
  EXPECT_NE(keys_error("+q").find("empty part"), std::string::npos);
  EXPECT_NE(keys_error("Logo++q").find("empty part"), std::string::npos);
  EXPECT_NE(keys_error("Hyper+q").find("unknown modifier \"Hyper\""), std::string::npos);
  EXPECT_NE(keys_error("Logo+nosuchkey").find("unknown key name \"nosuchkey\""), std::string::npos);
  EXPECT_NE(keys_error("Logo+Shift").find("no key after the modifiers"), std::string::npos);
  // Lock modifiers are dropped by match(), so a binding with them could never fire.
  EXPECT_NE(keys_error("Caps+q").find("cannot be part of a binding"), std::string::npos);
  EXPECT_NE(keys_error("Mod2+q").find("cannot be part of a binding"), std::string::npos);
}

TEST(ParseAction, PlainActions) {
  const std::pair<std::string_view, Action> cases[] = {
      {"terminal", Action::Terminal}, {"close", Action::Close},
      {"cycle-focus", Action::CycleFocus}, {"fullscreen", Action::Fullscreen},
      {"maximize", Action::Maximize}, {"reload", Action::Reload}, {"quit", Action::Quit},
  };
  for (auto [text, action] : cases) {
    auto b = parse_action(text);
    ASSERT_TRUE(b.has_value()) << text;
    EXPECT_EQ(b->action, action) << text;
    EXPECT_EQ(b->argument, "") << text;
  }
  EXPECT_EQ(parse_action("  quit  ").value().action, Action::Quit);
}

TEST(ParseAction, ExecKeepsTheWholeCommand) {
  auto b = parse_action("exec foot -e top");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->action, Action::Exec);
  EXPECT_EQ(b->argument, "foot -e top");
  EXPECT_EQ(parse_action("exec   sh -c 'a  b'  ").value().argument, "sh -c 'a  b'");
}

TEST(ParseAction, SwitchVt) {
  auto b = parse_action("switch-vt 2");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->action, Action::SwitchVt);
  EXPECT_EQ(b->argument, "2");
  EXPECT_EQ(parse_action("switch-vt 12").value().argument, "12");
  EXPECT_EQ(parse_action("switch-vt 01").value().argument, "1");
}

TEST(ParseAction, Errors) {
  EXPECT_NE(action_error("exec").find("exec needs a command"), std::string::npos);
  EXPECT_NE(action_error("exec   ").find("exec needs a command"), std::string::npos);
  for (auto bad : {"switch-vt", "switch-vt 0", "switch-vt 13", "switch-vt x", "switch-vt 2x", "switch-vt -1"})
    EXPECT_NE(action_error(bad).find("from 1 to 12"), std::string::npos) << bad;
  EXPECT_NE(action_error("close now").find("close takes no argument"), std::string::npos);
  EXPECT_NE(action_error("frobnicate").find("unknown action \"frobnicate\""), std::string::npos);
  EXPECT_NE(action_error("").find("unknown action"), std::string::npos);
  EXPECT_NE(action_error("Quit").find("unknown action"), std::string::npos);  // names are exact
  EXPECT_NE(action_error("none").find("unknown action"), std::string::npos);  // only config knows "none"
}

std::vector<KeyBinding> sample() {
  std::vector<KeyBinding> out;
  for (auto [k, a] : {std::pair{"Logo+q", "close"}, {"Logo+Shift+q", "quit"}, {"Alt+Tab", "cycle-focus"}}) {
    auto b = parse_action(a).value();
    auto combo = parse_keys(k).value();
    b.modifiers = combo.modifiers;
    b.keysym = combo.keysym;
    out.push_back(b);
  }
  return out;
}

TEST(Match, ModifiersMustMatchExactly) {
  auto bindings = sample();
  auto* b = match(bindings, ModLogo, XKB_KEY_q);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->action, Action::Close);
  b = match(bindings, ModLogo | ModShift, XKB_KEY_q);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->action, Action::Quit);
  EXPECT_EQ(match(bindings, ModLogo | ModCtrl, XKB_KEY_q), nullptr);
  EXPECT_EQ(match(bindings, 0, XKB_KEY_q), nullptr);
  EXPECT_EQ(match(bindings, ModLogo, XKB_KEY_w), nullptr);
  EXPECT_EQ(match({}, ModLogo, XKB_KEY_q), nullptr);
}

TEST(Match, CapsAndNumLockAreIgnored) {
  auto bindings = sample();
  auto* b = match(bindings, ModLogo | ModCaps | ModMod2, XKB_KEY_q);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->action, Action::Close);
  b = match(bindings, ModAlt | ModMod2, XKB_KEY_Tab);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->action, Action::CycleFocus);
  // Other modifiers still count.
  EXPECT_EQ(match(bindings, ModLogo | ModMod3, XKB_KEY_q), nullptr);
}

TEST(Match, KeysymIsCaseInsensitive) {
  auto bindings = sample();
  // With Shift held, xkb usually reports the upper-case keysym.
  auto* b = match(bindings, ModLogo | ModShift, XKB_KEY_Q);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->action, Action::Quit);
  b = match(bindings, ModLogo | ModCaps, XKB_KEY_Q);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->action, Action::Close);
  // A binding built by hand with an upper-case keysym still matches.
  std::vector<KeyBinding> manual{{.modifiers = ModLogo, .keysym = XKB_KEY_W, .action = Action::Maximize}};
  ASSERT_NE(match(manual, ModLogo, XKB_KEY_w), nullptr);
}

TEST(Match, SwitchVtKeysymMatchesFunctionKey) {
  auto bindings = sample();
  auto vt3 = parse_action("switch-vt 3").value();
  vt3.modifiers = ModCtrl | ModAlt;
  vt3.keysym = XKB_KEY_F3;
  bindings.push_back(vt3);
  // xkb's standard keymaps report Ctrl+Alt+F3 as XF86Switch_VT_3.
  auto* b = match(bindings, ModCtrl | ModAlt, XKB_KEY_XF86Switch_VT_3);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->argument, "3");
  EXPECT_EQ(match(bindings, ModCtrl | ModAlt, XKB_KEY_XF86Switch_VT_4), nullptr);
  // A binding written with the VT keysym itself is found first.
  auto exact = parse_action("quit").value();
  exact.modifiers = ModCtrl | ModAlt;
  exact.keysym = XKB_KEY_XF86Switch_VT_3;
  bindings.insert(bindings.begin(), exact);
  EXPECT_EQ(match(bindings, ModCtrl | ModAlt, XKB_KEY_XF86Switch_VT_3)->action, Action::Quit);
}

}  // namespace
}  // namespace tranche::config
