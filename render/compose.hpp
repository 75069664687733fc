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

// Pixels in `region` (its rectangles do not overlap).
uint64_t region_area(const pixman_region32_t& region);
// Fills `target` with black.
bool clear_buffer(wlr_renderer* renderer, wlr_buffer* target);
// What a composition redraws: the damage `ring` holds for the swapchain
// buffer it draws into (the scene's ring, so both keep one account of what
// each buffer shows), less `hidden`, which planes cover opaquely. Without a
// ring, everything.
struct Damage {
  wlr_damage_ring* ring = nullptr;
  const pixman_region32_t* hidden = nullptr;
  uint64_t drawn_pixels = 0;  // out: the area redrawn
};
// Draws `items` bottom to top over black, and the software cursors, into a
// buffer of the output's swapchain, redrawing only what `damage` says, and
// sets the buffer on `state`. With nothing to redraw, no render pass runs.
bool compose(wlr_renderer* renderer, wlr_output* output, wlr_output_state& state, const std::vector<DrawItem>& items,
             Damage& damage);

}  // namespace tranche::render
