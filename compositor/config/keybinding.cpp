#include "config/keybinding.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <format>
#include <optional>

namespace tranche::config {
namespace {

std::string_view trim(std::string_view s) {
  auto first = s.find_first_not_of(" \t");
  if (first == s.npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct ModName {
  std::string_view name;  // lower-case
  uint32_t bit;
};
constexpr ModName kModNames[] = {
    {"shift", ModShift}, {"ctrl", ModCtrl},  {"control", ModCtrl}, {"alt", ModAlt},
    {"mod1", ModAlt},    {"logo", ModLogo},  {"super", ModLogo},   {"mod4", ModLogo},
    {"mod2", ModMod2},   {"mod3", ModMod3},  {"mod5", ModMod5},    {"caps", ModCaps},
};

// Lock modifiers: match() drops them so bindings work with Caps/Num Lock on.
constexpr uint32_t kIgnoredMods = ModCaps | ModMod2;

std::optional<uint32_t> modifier(std::string_view name) {
  auto wanted = lower(name);
  for (const auto& m : kModNames)
    if (m.name == wanted) return m.bit;
  return std::nullopt;
}

struct ActionName {
  std::string_view name;
  Action action;
};
constexpr ActionName kPlainActions[] = {
    {"terminal", Action::Terminal},     {"close", Action::Close},
    {"cycle-focus", Action::CycleFocus}, {"fullscreen", Action::Fullscreen},
    {"maximize", Action::Maximize},     {"reload", Action::Reload},
    {"quit", Action::Quit},
};

}  // namespace

std::expected<KeyBinding, std::string> parse_keys(std::string_view keys) {
  if (trim(keys).empty()) return std::unexpected("empty key combination");
  KeyBinding binding;
  std::string_view rest = keys;
  for (;;) {
    auto plus = rest.find('+');
    auto part = trim(rest.substr(0, plus));
    if (part.empty())
      return std::unexpected(std::format("\"{}\" has an empty part between '+' signs", keys));
    if (plus == rest.npos) {  // the last part names the key itself
      if (modifier(part))
        return std::unexpected(std::format("\"{}\" has no key after the modifiers", keys));
      std::string name(part);
      auto sym = xkb_keysym_from_name(name.c_str(), XKB_KEYSYM_NO_FLAGS);
      if (sym == XKB_KEY_NoSymbol) sym = xkb_keysym_from_name(name.c_str(), XKB_KEYSYM_CASE_INSENSITIVE);
      if (sym == XKB_KEY_NoSymbol)
        return std::unexpected(std::format(
            "unknown key name \"{}\" (expected an XKB keysym name such as Return, q or F1)", part));
      binding.keysym = xkb_keysym_to_lower(sym);
      return binding;
    }
    auto bit = modifier(part);
    if (!bit)
      return std::unexpected(std::format(
          "unknown modifier \"{}\" (expected Shift, Ctrl, Alt, Logo, Mod3 or Mod5)", part));
    // Accepting these would give a binding that match() can never find.
    if (*bit & kIgnoredMods)
      return std::unexpected(std::format(
          "\"{}\" cannot be part of a binding: Caps Lock and Num Lock (Mod2) are ignored", part));
    binding.modifiers |= *bit;
    rest = rest.substr(plus + 1);
  }
}

std::expected<KeyBinding, std::string> parse_action(std::string_view text) {
  auto s = trim(text);
  auto space = s.find_first_of(" \t");
  auto name = s.substr(0, space);
  auto arg = space == s.npos ? std::string_view{} : trim(s.substr(space));
  KeyBinding binding;
  if (name == "exec") {
    if (arg.empty()) return std::unexpected("exec needs a command, e.g. \"exec foot\"");
    binding.action = Action::Exec;
    binding.argument = arg;
    return binding;
  }
  if (name == "switch-vt") {
    int vt = 0;
    auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), vt);
    if (arg.empty() || ec != std::errc{} || end != arg.data() + arg.size() || vt < 1 || vt > 12)
      return std::unexpected(std::format("switch-vt needs a VT number from 1 to 12, got \"{}\"", arg));
    binding.action = Action::SwitchVt;
    binding.argument = std::to_string(vt);  // normalised, e.g. "02" → "2"
    return binding;
  }
  auto plain = std::ranges::find(kPlainActions, name, &ActionName::name);
  if (plain == std::end(kPlainActions))
    return std::unexpected(std::format(
        "unknown action \"{}\" (expected exec, terminal, close, cycle-focus, fullscreen, "
        "maximize, reload, quit or switch-vt)",
        s));
  if (!arg.empty()) return std::unexpected(std::format("{} takes no argument, got \"{}\"", name, arg));
  binding.action = plain->action;
  return binding;
}

const KeyBinding* match(const std::vector<KeyBinding>& bindings, uint32_t modifiers,
                        xkb_keysym_t keysym) {
  modifiers &= ~kIgnoredMods;
  auto find = [&](xkb_keysym_t sym) -> const KeyBinding* {
    sym = xkb_keysym_to_lower(sym);
    auto it = std::ranges::find_if(bindings, [&](const KeyBinding& b) {
      // Lower-case here too, for bindings built by hand rather than by parse_keys.
      return b.modifiers == modifiers && xkb_keysym_to_lower(b.keysym) == sym;
    });
    return it == bindings.end() ? nullptr : &*it;
  };
  if (auto* b = find(keysym)) return b;
  // Standard keymaps turn Ctrl+Alt+Fn into XF86Switch_VT_n; let "Ctrl+Alt+F1" still match.
  if (keysym >= XKB_KEY_XF86Switch_VT_1 && keysym <= XKB_KEY_XF86Switch_VT_12)
    return find(XKB_KEY_F1 + (keysym - XKB_KEY_XF86Switch_VT_1));
  return nullptr;
}

}  // namespace tranche::config
