#include "decoration.hpp"

namespace tranche {

namespace {
constexpr float kTitleFocused[4] = {0.20f, 0.36f, 0.55f, 1.0f};
constexpr float kTitleUnfocused[4] = {0.25f, 0.27f, 0.30f, 1.0f};
constexpr float kClose[4] = {0.80f, 0.30f, 0.28f, 1.0f};
constexpr int kCloseSize = 16;
}  // namespace

Decoration::Decoration(wlr_scene_tree* view_tree) {
  tree_ = wlr_scene_tree_create(view_tree);
  wlr_scene_node_lower_to_bottom(&tree_->node);
  title_ = wlr_scene_rect_create(tree_, 0, 0, kTitleUnfocused);
  close_ = wlr_scene_rect_create(tree_, kCloseSize, kCloseSize, kClose);
  for (auto*& rect : border_) rect = wlr_scene_rect_create(tree_, 0, 0, kTitleUnfocused);
  wlr_scene_node_set_enabled(&tree_->node, false);
}

void Decoration::set_visible(bool visible) {
  visible_ = visible;
  wlr_scene_node_set_enabled(&tree_->node, visible);
}

void Decoration::update(int width, int height, bool focused) {
  width_ = width;
  height_ = height;
  const float* color = focused ? kTitleFocused : kTitleUnfocused;
  const int b = kBorder, t = kTitleHeight;
  wlr_scene_rect_set_color(title_, color);
  wlr_scene_rect_set_size(title_, width + 2 * b, t);
  wlr_scene_node_set_position(&title_->node, -b, -t);
  wlr_scene_node_set_position(&close_->node, width - kCloseSize - 4, -t + (t - kCloseSize) / 2);
  // Outer frame around title bar and content: top, bottom, left, right.
  const int geometry[4][4] = {
      {-b, -t - b, width + 2 * b, b},
      {-b, height, width + 2 * b, b},
      {-b, -t, b, height + t},
      {width, -t, b, height + t},
  };
  for (int i = 0; i < 4; ++i) {
    wlr_scene_rect_set_color(border_[i], color);
    wlr_scene_node_set_position(&border_[i]->node, geometry[i][0], geometry[i][1]);
    wlr_scene_rect_set_size(border_[i], geometry[i][2], geometry[i][3]);
  }
}

DecorationPart Decoration::part_at(double x, double y) const {
  if (!visible_) return DecorationPart::None;
  const int b = kBorder, t = kTitleHeight;
  if (x >= 0 && x < width_ && y >= 0 && y < height_) return DecorationPart::None;  // content
  if (x < -b || x >= width_ + b || y < -t - b || y >= height_ + b) return DecorationPart::None;
  if (y >= -t && y < 0 && x >= 0 && x < width_) {
    double cx = width_ - kCloseSize - 4, cy = -t + (t - kCloseSize) / 2.0;
    if (x >= cx && x < cx + kCloseSize && y >= cy && y < cy + kCloseSize) return DecorationPart::CloseButton;
    return DecorationPart::TitleBar;
  }
  return DecorationPart::Border;
}

uint32_t Decoration::edges_at(double x, double y) const {
  uint32_t edges = WLR_EDGE_NONE;
  if (x < 0) edges |= WLR_EDGE_LEFT;
  if (x >= width_) edges |= WLR_EDGE_RIGHT;
  if (y < -kTitleHeight) edges |= WLR_EDGE_TOP;
  if (y >= height_) edges |= WLR_EDGE_BOTTOM;
  return edges;
}

}  // namespace tranche
