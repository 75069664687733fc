#include "compose.hpp"

namespace tranche::render {

namespace {

// Opaque black over `width` x `height`, within `clip` if given.
void add_clear(wlr_render_pass* pass, int width, int height, const pixman_region32_t* clip = nullptr) {
  wlr_render_rect_options clear{};
  clear.box = {0, 0, width, height};
  clear.color = {0, 0, 0, 1};
  clear.blend_mode = WLR_RENDER_BLEND_MODE_NONE;
  clear.clip = clip;
  wlr_render_pass_add_rect(pass, &clear);
}

// Redraws `clip` of `target`.
bool draw(wlr_renderer* renderer, wlr_output* o, wlr_buffer* target, const std::vector<DrawItem>& items,
          const pixman_region32_t& clip) {
  wlr_render_pass* pass = wlr_renderer_begin_buffer_pass(renderer, target, nullptr);
  if (!pass) return false;
  add_clear(pass, target->width, target->height, &clip);
  std::vector<wlr_texture*> temporary;
  for (const DrawItem& item : items) {
    wlr_box dst{item.dst.x, item.dst.y, item.dst.width, item.dst.height};
    auto blend = item.opaque ? WLR_RENDER_BLEND_MODE_NONE : WLR_RENDER_BLEND_MODE_PREMULTIPLIED;
    if (item.node->type == WLR_SCENE_NODE_RECT) {
      const float* color = wlr_scene_rect_from_node(item.node)->color;
      wlr_render_rect_options rect{};
      rect.box = dst;
      rect.color = {color[0], color[1], color[2], color[3]};
      rect.blend_mode = blend;
      rect.clip = &clip;
      wlr_render_pass_add_rect(pass, &rect);
      continue;
    }
    wlr_scene_buffer* buffer = wlr_scene_buffer_from_node(item.node);
    wlr_texture* texture = item.surface ? wlr_surface_get_texture(item.surface) : nullptr;
    if (!texture) {
      texture = wlr_texture_from_buffer(renderer, buffer->buffer);
      if (!texture) continue;
      temporary.push_back(texture);
    }
    wlr_render_texture_options options{};
    options.texture = texture;
    options.src_box = buffer->src_box;
    options.dst_box = dst;
    options.alpha = &buffer->opacity;
    options.clip = &clip;
    options.transform = wlr_output_transform_compose(wlr_output_transform_invert(buffer->transform), o->transform);
    options.filter_mode = buffer->filter_mode;
    options.blend_mode = blend;
    wlr_render_pass_add_texture(pass, &options);
  }
  wlr_output_add_software_cursors_to_render_pass(o, pass, &clip);
  bool ok = wlr_render_pass_submit(pass);
  for (auto* texture : temporary) wlr_texture_destroy(texture);
  return ok;
}

}  // namespace

uint64_t region_area(const pixman_region32_t& region) {
  int count = 0;
  const pixman_box32_t* boxes = pixman_region32_rectangles(&region, &count);
  uint64_t area = 0;
  for (int i = 0; i < count; ++i) area += uint64_t(boxes[i].x2 - boxes[i].x1) * uint64_t(boxes[i].y2 - boxes[i].y1);
  return area;
}

bool clear_buffer(wlr_renderer* renderer, wlr_buffer* target) {
  wlr_render_pass* pass = wlr_renderer_begin_buffer_pass(renderer, target, nullptr);
  if (!pass) return false;
  add_clear(pass, target->width, target->height);
  return wlr_render_pass_submit(pass);
}

bool compose(wlr_renderer* renderer, wlr_output* o, wlr_output_state& state, const std::vector<DrawItem>& items,
             Damage& damage) {
  if (!wlr_output_configure_primary_swapchain(o, &state, &o->swapchain)) return false;
  wlr_buffer* target = wlr_swapchain_acquire(o->swapchain);
  if (!target) return false;
  pixman_region32_t clip;
  pixman_region32_init_rect(&clip, 0, 0, target->width, target->height);
  if (damage.ring) {
    pixman_region32_t ring;
    pixman_region32_init(&ring);
    wlr_damage_ring_rotate_buffer(damage.ring, target, &ring);
    pixman_region32_intersect(&clip, &clip, &ring);
    pixman_region32_fini(&ring);
    if (damage.hidden) pixman_region32_subtract(&clip, &clip, damage.hidden);
  }
  damage.drawn_pixels = region_area(clip);
  bool ok = pixman_region32_empty(&clip) || draw(renderer, o, target, items, clip);
  pixman_region32_fini(&clip);
  // The buffer's contents are unknown now: redraw it whole next time.
  if (!ok && damage.ring) wlr_damage_ring_add_whole(damage.ring);
  if (ok) wlr_output_state_set_buffer(&state, target);
  wlr_buffer_unlock(target);
  return ok;
}

}  // namespace tranche::render
