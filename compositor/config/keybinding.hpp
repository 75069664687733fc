// Keybindings: "Logo+Shift+Return" = "terminal" and friends, parsed to plain data.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include <xkbcommon/xkbcommon.h>

namespace tranche::config {

// Bit values equal wlroots' WLR_MODIFIER_* (the glue static_asserts it).
enum Modifier : uint32_t {
  ModShift = 1 << 0,
  ModCaps = 1 << 1,
  ModCtrl = 1 << 2,
  ModAlt = 1 << 3,
  ModMod2 = 1 << 4,
  ModMod3 = 1 << 5,
  ModLogo = 1 << 6,
  ModMod5 = 1 << 7,
};

enum class Action {
  Exec,           // argument: shell command
  Terminal,       // launch Config::terminal
  Close,          // close the focused window
  CycleFocus,     // focus the next window (and raise it)
  Fullscreen,     // toggle fullscreen of the focused window
  Maximize,       // toggle maximize of the focused window
  Reload,         // reload the configuration file
  Quit,           // exit tranche
  SwitchVt,       // argument: VT number (drm backend only)
};

struct KeyBinding {
  uint32_t modifiers = 0;            // Modifier bits
  xkb_keysym_t keysym = XKB_KEY_NoSymbol;  // lower-case form for letters
  Action action = Action::Exec;
  std::string argument;              // Exec command / VT number

  bool operator==(const KeyBinding&) const = default;
};

// "Logo+Shift+q" → modifiers + keysym. Modifier names (case-insensitive): Shift,
// Ctrl/Control, Alt/Mod1, Logo/Super/Mod4, Mod2, Mod3, Mod5, Caps. The last part
// is an XKB keysym name (case-insensitive fallback).
std::expected<KeyBinding, std::string> parse_keys(std::string_view keys);

// "exec foot -e top" / "close" / "quit" / "switch-vt 2" ... → action + argument.
std::expected<KeyBinding, std::string> parse_action(std::string_view action);

// Finds the binding for a key press; modifiers must match exactly (Caps and Mod2
// (NumLock) are ignored). `keysym` is compared case-insensitively; XF86Switch_VT_n
// (what xkb reports for Ctrl+Alt+Fn) also matches a binding of Fn.
const KeyBinding* match(const std::vector<KeyBinding>& bindings, uint32_t modifiers,
                        xkb_keysym_t keysym);

}  // namespace tranche::config
