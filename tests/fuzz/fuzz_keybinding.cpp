// Keybinding strings ("Logo+Shift+Return", "exec foot"): the input is a key
// combination and an action separated by a newline. Whatever parses must also
// be found again by match() with its own modifiers and key.
#include <string_view>
#include <vector>

#include "config/keybinding.hpp"
#include "fuzz.hpp"

using namespace tranche::config;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto newline = input.find('\n');
  std::string_view keys = input.substr(0, newline);
  std::string_view action = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);

  auto parsed_action = parse_action(action);
  if (!parsed_action) FUZZ_CHECK(!parsed_action.error().empty());
  auto combo = parse_keys(keys);
  if (!combo) {
    FUZZ_CHECK(!combo.error().empty());
    return 0;
  }
  FUZZ_CHECK(combo->keysym != XKB_KEY_NoSymbol);
  std::vector<KeyBinding> bindings{*combo};
  const KeyBinding* found = match(bindings, combo->modifiers, combo->keysym);
  FUZZ_CHECK(found == &bindings.front());
  return 0;
}
