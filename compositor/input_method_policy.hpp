// Input method decisions that need no display: where an input method's popup
// (candidate window) goes, and which key releases belong to the input method.
// Plain C++, driven by tests/unit/input_method_policy_test.cpp.
#pragma once

#include <cstdint>
#include <set>
#include <utility>

namespace tranche::input_method {

struct Box {
  int x = 0, y = 0, width = 0, height = 0;
  bool operator==(const Box&) const = default;
};

// Top-left corner, in layout coordinates, of a width×height popup for a text
// cursor at `cursor` (layout coordinates) on an output covering `area`: just
// below the cursor, left edges aligned; above it when below would leave the
// area and above fits; shifted left (then right, then down) to stay inside.
std::pair<int, int> place_popup(const Box& cursor, int width, int height, const Box& area);

// The keys an input method's keyboard grab took. A key pressed before the grab
// began is released to the client that saw it pressed, not to the grab.
class GrabbedKeys {
 public:
  // `keyboard` identifies the device; returns whether the event goes to the grab.
  bool route(const void* keyboard, uint32_t keycode, bool pressed, bool grab_present);
  void forget(const void* keyboard);  // the keyboard went away
  void clear() { keys_.clear(); }
  std::size_t size() const { return keys_.size(); }

 private:
  std::set<std::pair<const void*, uint32_t>> keys_;
};

}  // namespace tranche::input_method
