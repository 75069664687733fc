// The TOML configuration: any text gives a Config or an error that names where.
#include <algorithm>
#include <string_view>

#include "config/config.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = tranche::config::parse(text, "fuzz.toml");
  if (!config) {
    const auto& error = config.error();
    FUZZ_CHECK(!error.message.empty());
    FUZZ_CHECK(error.file == "fuzz.toml");
    auto lines = static_cast<int>(std::ranges::count(text, '\n')) + 1;
    FUZZ_CHECK(error.line >= 0 && error.line <= lines);
    FUZZ_CHECK(error.column >= 0);
    FUZZ_CHECK(!error.to_string().empty());
    return 0;
  }
  for (const auto& binding : config->bindings) FUZZ_CHECK(binding.keysym != XKB_KEY_NoSymbol);
  return 0;
}
