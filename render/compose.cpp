#include "compose.hpp"

namespace tranche::render {

void add_clear(wlr_render_pass* pass, int width, int height) {
  wlr_render_rect_options clear{};
  clear.box = {0, 0, width, height};
  clear.color = {0, 0, 0, 1};
  clear.blend_mode = WLR_RENDER_BLEND_MODE_NONE;
  wlr_render_pass_add_rect(pass, &clear);
}

bool clear_buffer(wlr_renderer* renderer, wlr_buffer* target) {
  wlr_render_pass* pass = wlr_renderer_begin_buffer_pass(renderer, target, nullptr);
  if (!pass) return false;
  add_clear(pass, target->width, target->height);
  return wlr_render_pass_submit(pass);
}

bool compose(wlr_renderer* renderer, wlr_output* o, wlr_output_state& state, const std::vector<DrawItem>& items) {
  if (!wlr_output_configure_primary_swapchain(o, &state, &o->swapchain)) return false;
  wlr_buffer* target = wlr_swapchain_acquire(o->swapchain);
  if (!target) return false;
  wlr_render_pass* pass = wlr_renderer_begin_buffer_pass(renderer, target, nullptr);
  if (!pass) {
    wlr_buffer_unlock(target);
    return false;
  }
  add_clear(pass, o->width, o->height);
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
    options.transform = wlr_output_transform_compose(wlr_output_transform_invert(buffer->transform), o->transform);
    options.filter_mode = buffer->filter_mode;
    options.blend_mode = blend;
    wlr_render_pass_add_texture(pass, &options);
  }
  wlr_output_add_software_cursors_to_render_pass(o, pass, nullptr);
  bool ok = wlr_render_pass_submit(pass);
  for (auto* texture : temporary) wlr_texture_destroy(texture);
  if (ok) wlr_output_state_set_buffer(&state, target);
  wlr_buffer_unlock(target);
  return ok;
}

}  // namespace tranche::render
