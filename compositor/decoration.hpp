// Server-side window decorations: a title bar with a close button, and a thin
// border, drawn with scene rects when the client asks xdg-decoration for them.
#pragma once

#include "wlr.hpp"

namespace tranche {

// Which part of a decorated window a point falls on.
enum class DecorationPart { None, TitleBar, CloseButton, Border };

class Decoration {
 public:
  static constexpr int kTitleHeight = 24;
  static constexpr int kBorder = 2;

  // The rects live in a child of the view's tree and die with it.
  explicit Decoration(wlr_scene_tree* view_tree);

  void set_visible(bool visible);
  bool visible() const { return visible_; }
  // Lays the decoration around content of the given size (origin at 0,0).
  void update(int width, int height, bool focused);
  // `x`, `y` relative to the content's top-left corner.
  DecorationPart part_at(double x, double y) const;
  // Resize edges (WLR_EDGE_*) for a point on the border.
  uint32_t edges_at(double x, double y) const;

 private:
  wlr_scene_tree* tree_;
  wlr_scene_rect* title_;
  wlr_scene_rect* close_;
  wlr_scene_rect* border_[4];
  bool visible_ = false;
  int width_ = 0;
  int height_ = 0;
};

}  // namespace tranche
