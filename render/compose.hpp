// Composition helpers of our own, for what wlr_scene cannot do: the buffer
// beneath overlay planes (the scene cannot leave nodes out), and the black
// frame a copy-chain mode set shows first.
#pragma once

#include <vector>

#include "scanout/plane_model.hpp"
#include "wlr.hpp"

namespace tranche::render {

// One scene node to draw, at `dst` in output-buffer coordinates.
struct DrawItem {
  wlr_scene_node* node;    // a rect or a buffer
  wlr_surface* surface;    // the client surface it shows, if any (its texture is reused)
  scanout::Rect dst;
  bool opaque;
};

// Opaque black over `width` x `height`: what every frame starts from.
void add_clear(wlr_render_pass* pass, int width, int height);
// Fills `target` with black.
bool clear_buffer(wlr_renderer* renderer, wlr_buffer* target);
// Draws `items` bottom to top over black, and the software cursors, into a
// buffer of the output's swapchain, and sets it on `state`.
bool compose(wlr_renderer* renderer, wlr_output* output, wlr_output_state& state, const std::vector<DrawItem>& items);

}  // namespace tranche::render
