#include "input_method_policy.hpp"

#include <algorithm>

namespace tranche::input_method {

std::pair<int, int> place_popup(const Box& cursor, int width, int height, const Box& area) {
  int x = cursor.x;
  int y = cursor.y + cursor.height;
  const int bottom = area.y + area.height, right = area.x + area.width;
  if (y + height > bottom && cursor.y - height >= area.y) y = cursor.y - height;
  // Order matters for popups larger than the area: the top-left corner stays visible.
  x = std::max(std::min(x, right - width), area.x);
  y = std::max(std::min(y, bottom - height), area.y);
  return {x, y};
}

bool GrabbedKeys::route(const void* keyboard, uint32_t keycode, bool pressed, bool grab_present) {
  auto key = std::make_pair(keyboard, keycode);
  if (pressed) {
    if (!grab_present) return false;
    keys_.insert(key);
    return true;
  }
  // A release goes where its press went; the grab may have ended meanwhile,
  // then nobody saw the press that the client could be told about.
  if (keys_.erase(key) == 0) return false;
  return grab_present;
}

void GrabbedKeys::forget(const void* keyboard) {
  std::erase_if(keys_, [keyboard](const auto& key) { return key.first == keyboard; });
}

}  // namespace tranche::input_method
