#include "settle.hpp"

namespace tranche::scanout {

std::optional<std::vector<bool>> settle_overlays(const std::vector<bool>& known_good,
                                                 const std::function<bool(const std::vector<bool>& enabled)>& test) {
  std::vector<bool> enabled = known_good;
  if (!test(enabled)) return std::nullopt;
  for (size_t i = 0; i < enabled.size(); ++i) {
    if (known_good[i]) continue;
    enabled[i] = true;
    if (!test(enabled)) enabled[i] = false;
  }
  return enabled;
}

}  // namespace tranche::scanout
