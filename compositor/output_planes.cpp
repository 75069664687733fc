#include "output_planes.hpp"

#include <drm_fourcc.h>
#include <xf86drmMode.h>

#include <algorithm>
#include <map>
#include <string>

#include "buffer_paths.hpp"
#include "presentation-time-protocol.h"
#include "output.hpp"
#include "scanout/kms_planes.hpp"
#include "server.hpp"
#include "timer.hpp"

namespace tranche {

using scanout::Candidate;
using scanout::Path;
using scanout::Plan;
using scanout::Reason;

namespace {

bool format_has_alpha(uint32_t format) {
  switch (format) {
    case DRM_FORMAT_ARGB8888: case DRM_FORMAT_ABGR8888: case DRM_FORMAT_RGBA8888: case DRM_FORMAT_BGRA8888:
    case DRM_FORMAT_ARGB2101010: case DRM_FORMAT_ABGR2101010:
    case DRM_FORMAT_ARGB16161616F: case DRM_FORMAT_ABGR16161616F:
    case DRM_FORMAT_ARGB16161616: case DRM_FORMAT_ABGR16161616:
      return true;
    default: return false;
  }
}

wlr_scene_buffer* scene_buffer(wlr_scene_node* node) {
  return node->type == WLR_SCENE_NODE_BUFFER ? wlr_scene_buffer_from_node(node) : nullptr;
}

// The client's own buffer behind a scene buffer, which is what planes take:
// wlroots wraps it in a wlr_client_buffer for texturing, and since 0.19 scans
// out (and looks for a dma-buf in) the source, not the wrapper.
wlr_buffer* own_buffer(wlr_buffer* buffer) {
  wlr_client_buffer* client = wlr_client_buffer_get(buffer);
  return client && client->source ? client->source : buffer;
}

// The size a scene buffer covers in layout coordinates.
void node_size(wlr_scene_node* node, int* width, int* height) {
  *width = *height = 0;
  if (node->type == WLR_SCENE_NODE_RECT) {
    auto* rect = wlr_scene_rect_from_node(node);
    *width = rect->width;
    *height = rect->height;
  } else if (auto* buffer = scene_buffer(node); buffer && buffer->buffer) {
    if (buffer->dst_width > 0 && buffer->dst_height > 0) {
      *width = buffer->dst_width;
      *height = buffer->dst_height;
    } else {
      *width = buffer->buffer->width;
      *height = buffer->buffer->height;
      if (buffer->transform & WL_OUTPUT_TRANSFORM_90) std::swap(*width, *height);
    }
  }
}

}  // namespace

OutputPlanes::OutputPlanes(Output& output) : output_(output) {
  refresh_model();
  present_.connect(&output.wlr->events.present,
                   [this](void* data) { presented(*static_cast<wlr_output_event_present*>(data)); });
}

OutputPlanes::~OutputPlanes() {
  present_.disconnect();
  discard_in_flight();
  drop_layers();
}

// Feedback destroyed unsent tells the client `discarded`.
void OutputPlanes::discard_in_flight() {
  if (!in_flight_) return;
  for (auto [feedback, zero_copy] : in_flight_->feedback) wlr_presentation_feedback_destroy(feedback);
  in_flight_.reset();
}

void OutputPlanes::presented(const wlr_output_event_present& event) {
  if (!in_flight_ || event.commit_seq != in_flight_->commit_seq) return;
  if (event.presented) {
    ++counters_.presented_frames;
    output_.server.buffer_paths->frame_presented(in_flight_->shown, in_flight_->zero_copy);
    for (auto [feedback, zero_copy] : in_flight_->feedback) {
      wlr_presentation_event e;
      wlr_presentation_event_from_output(&e, &event);
      if (zero_copy) e.flags |= WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY;
      wlr_presentation_feedback_send_presented(feedback, &e);
    }
  }
  discard_in_flight();
}

void OutputPlanes::refresh_model() {
  wlr_output* o = output_.wlr;
  model_ = scanout::OutputPlanes{};
  crtc_id_ = 0;
  model_.output = o->name;
  model_.width = o->width;
  model_.height = o->height;
  if (!wlr_output_is_drm(o)) return;  // nested and headless outputs have no planes
  int fd = wlr_backend_get_drm_fd(o->backend);
  model_.kms_device = scanout::drm_fd_device(fd);
  int render_fd = output_.server.renderer ? wlr_renderer_get_drm_fd(output_.server.renderer) : -1;
  // A card node and its render node are one device.
  model_.other_device = render_fd >= 0 && !scanout::same_drm_device(render_fd, fd);
  // Unless the display device imports the render device's buffers.
  if (const OutputCopy* copier = output_.copy()) model_.other_device = copier->choose() != copy::Path::ZeroCopy;
  // wlroots 0.18 puts output layers on planes only through libliftoff.
  model_.overlays_supported = output_.server.overlays_enabled();
  if (!o->enabled) return;
  auto planes = scanout::read_kms_planes(fd, wlr_drm_connector_get_id(o));
  if (!planes) {
    TLOG(WLR_ERROR, "output %s: cannot read its KMS planes: %s", o->name, planes.error().c_str());
    return;
  }
  model_.planes = std::move(*planes);
  crtc_id_ = scanout::connector_crtc(fd, wlr_drm_connector_get_id(o)).value_or(0);
}

// Everything the scene draws on this output, bottom to top, in output-buffer
// coordinates (what KMS plane rectangles use).
void OutputPlanes::collect(std::vector<Candidate>& candidates, std::vector<Element>& elements) {
  wlr_output* o = output_.wlr;
  wlr_scene_output* so = output_.scene_output;
  int width = 0, height = 0;
  wlr_output_effective_resolution(o, &width, &height);
  const wlr_box logical{so->x, so->y, width, height};
  int trans_width = o->width, trans_height = o->height;
  if (o->transform & WL_OUTPUT_TRANSFORM_90) std::swap(trans_width, trans_height);
  BufferPaths& paths = *output_.server.buffer_paths;

  auto visit = [&](auto&& self, wlr_scene_node* node, int x, int y) -> void {
    if (!node->enabled) return;
    x += node->x;
    y += node->y;
    if (node->type == WLR_SCENE_NODE_TREE) {
      wlr_scene_node* child;
      wl_list_for_each(child, &wlr_scene_tree_from_node(node)->children, link) self(self, child, x, y);
      return;
    }
    wlr_box box{x, y, 0, 0};
    node_size(node, &box.width, &box.height);
    wlr_box clipped;
    if (wlr_box_empty(&box) || !wlr_box_intersection(&clipped, &box, &logical)) return;

    Candidate c;
    // Output-buffer coordinates: relative to the output, scaled, then turned
    // by the output's transform.
    wlr_box rel{static_cast<int>(std::lround((box.x - logical.x) * o->scale)),
                static_cast<int>(std::lround((box.y - logical.y) * o->scale)),
                static_cast<int>(std::lround(box.width * o->scale)),
                static_cast<int>(std::lround(box.height * o->scale))};
    wlr_box dst;
    wlr_box_transform(&dst, &rel, wlr_output_transform_invert(o->transform), trans_width, trans_height);
    c.dst = {dst.x, dst.y, dst.width, dst.height};
    Element element{node, nullptr};
    if (node->type == WLR_SCENE_NODE_RECT) {
      auto* rect = wlr_scene_rect_from_node(node);
      if (rect->color[3] <= 0.f) return;
      c.opaque = rect->color[3] >= 1.f;
    } else {
      auto* buffer = scene_buffer(node);
      if (!buffer->buffer) return;
      if (auto* surface = wlr_scene_surface_try_from_buffer(buffer)) {
        element.surface = surface->surface;
        c.surface_id = paths.surface_id(surface->surface);
      }
      wlr_dmabuf_attributes dmabuf{};
      if (wlr_buffer_get_dmabuf(own_buffer(buffer->buffer), &dmabuf)) {
        c.kind = scanout::BufferKind::Dmabuf;
        c.format = dmabuf.format;
        c.modifier = dmabuf.modifier;
      } else {
        c.kind = element.surface ? scanout::BufferKind::Shm : scanout::BufferKind::Other;
      }
      if (wlr_fbox_empty(&buffer->src_box)) {
        c.src_width = buffer->buffer->width;
        c.src_height = buffer->buffer->height;
        if (buffer->transform & WL_OUTPUT_TRANSFORM_90) std::swap(c.src_width, c.src_height);
      } else {
        c.src_width = static_cast<int>(std::lround(buffer->src_box.width));
        c.src_height = static_cast<int>(std::lround(buffer->src_box.height));
      }
      c.transformed = buffer->transform != o->transform;
      pixman_box32_t whole{0, 0, box.width, box.height};
      bool opaque_region = pixman_region32_contains_rectangle(&buffer->opaque_region, &whole) == PIXMAN_REGION_IN;
      c.opaque = buffer->opacity >= 1.f &&
                 (opaque_region || (c.kind == scanout::BufferKind::Dmabuf && !format_has_alpha(c.format)));
    }
    candidates.push_back(c);
    elements.push_back(element);
  };
  visit(visit, &output_.server.scene->tree.node, 0, 0);
}

bool OutputPlanes::frame_due() const {
  wlr_scene_output* so = output_.scene_output;
  return so && wlr_scene_output_needs_frame(so);  // the output asked, or the scene has damage
}

bool OutputPlanes::commit_frame() {
  wlr_output* o = output_.wlr;
  if (!frame_due()) return false;
  // Mode changes by output management or a nested host come here unannounced.
  if (model_.width != o->width || model_.height != o->height) refresh_model();

  std::vector<Candidate> candidates;
  std::vector<Element> elements;
  collect(candidates, elements);
  // On another device, planes are candidates only while the display device
  // takes the render device's buffers (zero-copy).
  OutputCopy* copier = output_.copy();
  std::optional<copy::Path> copy_path;
  if (copier) copy_path = copier->choose();
  if (copier) model_.other_device = copy_path != copy::Path::ZeroCopy;

  scanout::PlannerConfig config = output_.server.buffer_paths->planner_config();
  // A screen capture or a software cursor reads or draws into the composited
  // frame: then nothing may bypass it.
  std::optional<Reason> locked;
  if (!wlr_output_is_direct_scanout_allowed(o))
    locked = o->attach_render_locks > 0 ? Reason::ScreenCapture : Reason::SoftwareCursor;
  if (locked) config.direct_scanout = config.overlays = false;
  Plan plan = scanout::plan_output(model_, candidates, config);
  auto shown = [&](bool copied) {
    count_frame(plan);
    report(plan, candidates, elements, copied);
    if (copied) last_frame_path_ = Path::Copied;
    return true;
  };
  // Everything composited, then copied to the display device.
  if (copy_path && *copy_path != copy::Path::ZeroCopy) return copier->commit_frame(*copy_path) && shown(true);
  // An overlay the driver refused stays composited for a while rather than
  // costing a failed test commit every frame.
  int64_t now = monotonic_now();
  std::erase_if(refused_, [&](const auto& r) { return r.until <= now; });
  for (size_t index : std::vector<size_t>(plan.overlays)) {
    const Candidate& c = candidates[index];
    if (matches(refused_, c) && plan.decisions[index].path == Path::Overlay)
      scanout::demote(plan, candidates, index, Reason::TestCommitFailed);
  }
  if (locked) {
    // The lock, not the configuration, is why (unless the configuration also is).
    const scanout::PlannerConfig configured = output_.server.buffer_paths->planner_config();
    for (auto& decision : plan.decisions) {
      if (!decision.reasons.has(Reason::DisabledByConfig)) continue;
      if (configured.direct_scanout && configured.overlays) decision.reasons.remove(Reason::DisabledByConfig);
      decision.reasons.add(*locked);
    }
  }

  last_tearing_ = scanout::Tearing::NotRequested;  // only the scene's path asks for async flips
  bool committed = plan.overlays.empty() ? commit_through_scene(plan, candidates, elements)
                                         : commit_with_overlays(plan, candidates, elements);
  if (copier && committed) copier->zero_copy_succeeded();
  if (copier && !committed && copier->zero_copy_failed("the display device did not take the render device's buffer")) {
    // The same frame goes on by the next path: no blank, no frozen output.
    model_.other_device = true;
    plan = scanout::plan_output(model_, candidates, config);
    return copier->commit_frame(copier->choose()) && shown(true);
  }
  return committed && shown(false);
}

// Whether the scene scanned `shown` out: the buffer itself or the client's own.
static bool scans_out(wlr_buffer* committed, wlr_buffer* shown) {
  return committed == shown || committed == own_buffer(shown);
}

// No overlays: wlr_scene composes, with its damage tracking, or scans the one
// fullscreen buffer out on the primary plane (testing it first).
bool OutputPlanes::commit_through_scene(Plan& plan, const std::vector<Candidate>& candidates,
                                        const std::vector<Element>& elements) {
  wlr_scene_output* so = output_.scene_output;
  drop_layers();
  if (scene_damage_stale_) {
    // Our own composition drew the last frames: the scene's idea of what each
    // swapchain buffer holds is stale.
    wlr_damage_ring_add_whole(&so->damage_ring);
    scene_damage_stale_ = false;
  }
  wlr_output_state state;
  wlr_output_state_init(&state);
  bool ok = wlr_scene_output_build_state(so, &state, nullptr);
  if (ok && plan.primary) {
    wlr_scene_buffer* base = scene_buffer(elements[*plan.primary].node);
    bool direct = (state.committed & WLR_OUTPUT_STATE_BUFFER) && base && scans_out(state.buffer, base->buffer);
    if (!direct) {
      ++counters_.test_commit_failures;
      scanout::demote(plan, candidates, *plan.primary, Reason::TestCommitFailed);
    }
  }
  if (ok) request_tearing(state, plan, elements);
  ok = ok && wlr_output_commit_state(output_.wlr, &state);
  if (ok && state.tearing_page_flip) ++counters_.tearing_frames;
  wlr_output_state_finish(&state);
  return ok;
}

// tearing-control-v1: an asynchronous flip for the fullscreen buffer scanned
// out as is, when its client asked and the configuration and backend allow.
void OutputPlanes::request_tearing(wlr_output_state& state, const Plan& plan, const std::vector<Element>& elements) {
  auto* manager = output_.server.tearing_control;
  auto asks = [manager](const Element& element) {
    return element.surface && manager &&
           wlr_tearing_control_manager_v1_surface_hint_from_surface(manager, element.surface) ==
               WP_TEARING_CONTROL_V1_PRESENTATION_HINT_ASYNC;
  };
  // The buffer on the primary plane, scanned out as is; else whether any
  // shown surface asked, for explain.
  bool direct = plan.primary && plan.decisions[*plan.primary].path == Path::Primary &&
                (state.committed & WLR_OUTPUT_STATE_BUFFER);
  bool hint = direct ? asks(elements[*plan.primary]) : std::ranges::any_of(elements, asks);
  last_tearing_ = scanout::plan_tearing(hint, output_.server.buffer_paths->tearing_allowed(), direct);
  if (last_tearing_ != scanout::Tearing::Async) return;
  state.tearing_page_flip = true;
  if (wlr_output_test_state(output_.wlr, &state)) return;
  state.tearing_page_flip = false;  // this frame waits for vblank
  last_tearing_ = scanout::Tearing::RefusedByDriver;
  ++counters_.tearing_refused;
}

// Overlays in use: the scene cannot leave nodes out of its composition, so we
// compose the primary plane's buffer ourselves, or scan the fullscreen buffer
// out, and hand the overlay buffers to output layers.
//
// wlroots 0.18 says which layers really got a plane only after a real commit
// (`accepted`), not after a test. So an overlay is first shown on its plane
// *and* drawn into the composition beneath it: if the driver leaves it off the
// plane, the frame is still right. Once a commit accepted it (same buffer
// place and format), later frames leave it out of the composition.
bool OutputPlanes::commit_with_overlays(Plan& plan, const std::vector<Candidate>& candidates,
                                        const std::vector<Element>& elements) {
  wlr_output* o = output_.wlr;
  while (layers_.size() < plan.overlays.size()) layers_.push_back(wlr_output_layer_create(o));

  std::vector<bool> draw(candidates.size(), false);
  bool all_confirmed = true;
  for (size_t i = 0; i < candidates.size(); ++i) {
    Path path = plan.decisions[i].path;
    if (path == Path::Composited) draw[i] = true;
    if (path == Path::Overlay && !matches(confirmed_, candidates[i])) draw[i] = true, all_confirmed = false;
  }
  // The base may only be scanned out when nothing needs drawing over it.
  bool scan_base = plan.primary && all_confirmed;
  if (plan.primary && !scan_base) draw[*plan.primary] = true;

  wlr_output_state state;
  wlr_output_state_init(&state);
  std::vector<wlr_output_layer_state> layer_states(layers_.size());
  for (size_t i = 0; i < layers_.size(); ++i) {
    layer_states[i] = {};
    layer_states[i].layer = layers_[i];
    if (i >= plan.overlays.size()) continue;  // unused layers are disabled
    size_t index = plan.overlays[i];
    wlr_scene_buffer* buffer = scene_buffer(elements[index].node);
    const auto& dst = candidates[index].dst;
    layer_states[i].buffer = own_buffer(buffer->buffer);
    layer_states[i].src_box = buffer->src_box;
    layer_states[i].dst_box = {dst.x, dst.y, dst.width, dst.height};
  }
  wlr_output_state_set_layers(&state, layer_states.data(), layer_states.size());
  bool composed = scan_base ? (wlr_output_state_set_buffer(&state, own_buffer(scene_buffer(elements[*plan.primary].node)->buffer)), true)
                            : compose(state, draw, candidates, elements);
  bool ok = composed && wlr_output_test_state(o, &state);
  TLOG(WLR_DEBUG, "output %s: %zu overlay(s)%s: %s", o->name, plan.overlays.size(),
       scan_base ? " over a scanned-out buffer" : "",
       !composed ? "composition failed" : ok ? "test commit passed" : "test commit refused");
  if (!ok) {
    wlr_output_state_finish(&state);
    for (size_t index : std::vector<size_t>(plan.overlays)) {
      ++counters_.test_commit_failures;
      remember_refusal(candidates[index]);
      if (plan.decisions[index].path == Path::Overlay)
        scanout::demote(plan, candidates, index, Reason::TestCommitFailed);
    }
    if (plan.primary && !scan_base) scanout::demote(plan, candidates, *plan.primary, Reason::TestCommitFailed);
    return commit_through_scene(plan, candidates, elements);
  }
  ok = wlr_output_commit_state(o, &state);
  scene_damage_stale_ = true;
  if (ok) {
    // What the commit put on planes; the rest is composited from the next
    // frame on (and was already drawn beneath, unless it had been confirmed).
    std::vector<Refusal> next_confirmed;
    const std::vector<size_t> tried = plan.overlays;
    bool refused = false;
    for (size_t i = tried.size(); i-- > 0;) {
      const Candidate& c = candidates[tried[i]];
      // libliftoff may put an overlay buffer on the primary plane and the
      // composited frame on an overlay plane; where the driver does not
      // honour zpos (vkms) the buffer then ends up under the frame. Seen on
      // vkms: so the primary plane is accepted for the base buffer only.
      // libliftoff may choose that on any frame, so look every time (one plane's properties).
      bool under = false;
      if (layer_states[i].accepted)
        if (const auto* primary = model_.primary()) under = kms_plane_shows(primary->id, c.dst);
      if (layer_states[i].accepted && !under) {
        next_confirmed.push_back({c.surface_id, c.dst, c.format, c.modifier, 0});
        continue;
      }
      if (plan.decisions[tried[i]].path != Path::Overlay) continue;
      TLOG(WLR_DEBUG, "output %s: the driver left surface %llu off its plane", o->name,
           static_cast<unsigned long long>(c.surface_id));
      ++counters_.test_commit_failures;
      remember_refusal(c);
      scanout::demote(plan, candidates, tried[i], Reason::TestCommitFailed);
      refused = true;
    }
    confirmed_ = std::move(next_confirmed);
    if (!scan_base && plan.primary) scanout::demote(plan, candidates, *plan.primary, Reason::Occluded);
    if (refused) wlr_output_schedule_frame(o);  // compose what the planes refused
  }
  wlr_output_state_finish(&state);
  return ok;
}

// The primary plane's buffer for a frame with overlays: the candidates marked
// in `draw`, bottom to top, into a swapchain buffer.
bool OutputPlanes::compose(wlr_output_state& state, const std::vector<bool>& draw,
                           const std::vector<Candidate>& candidates, const std::vector<Element>& elements) {
  wlr_output* o = output_.wlr;
  if (!wlr_output_configure_primary_swapchain(o, &state, &o->swapchain)) return false;
  wlr_buffer* target = wlr_swapchain_acquire(o->swapchain);
  if (!target) return false;
  wlr_render_pass* pass = wlr_renderer_begin_buffer_pass(output_.server.renderer, target, nullptr);
  if (!pass) {
    wlr_buffer_unlock(target);
    return false;
  }
  wlr_render_rect_options clear{};
  clear.box = {0, 0, o->width, o->height};
  clear.color = {0, 0, 0, 1};
  clear.blend_mode = WLR_RENDER_BLEND_MODE_NONE;
  wlr_render_pass_add_rect(pass, &clear);
  std::vector<wlr_texture*> temporary;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!draw[i]) continue;
    const Candidate& c = candidates[i];
    wlr_box dst{c.dst.x, c.dst.y, c.dst.width, c.dst.height};
    wlr_scene_node* node = elements[i].node;
    if (node->type == WLR_SCENE_NODE_RECT) {
      const float* color = wlr_scene_rect_from_node(node)->color;
      wlr_render_rect_options rect{};
      rect.box = dst;
      rect.color = {color[0], color[1], color[2], color[3]};
      rect.blend_mode = c.opaque ? WLR_RENDER_BLEND_MODE_NONE : WLR_RENDER_BLEND_MODE_PREMULTIPLIED;
      wlr_render_pass_add_rect(pass, &rect);
      continue;
    }
    wlr_scene_buffer* buffer = scene_buffer(node);
    wlr_texture* texture = elements[i].surface ? wlr_surface_get_texture(elements[i].surface) : nullptr;
    if (!texture) {
      texture = wlr_texture_from_buffer(output_.server.renderer, buffer->buffer);
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
    options.blend_mode = c.opaque ? WLR_RENDER_BLEND_MODE_NONE : WLR_RENDER_BLEND_MODE_PREMULTIPLIED;
    wlr_render_pass_add_texture(pass, &options);
  }
  wlr_output_add_software_cursors_to_render_pass(o, pass, nullptr);
  bool ok = wlr_render_pass_submit(pass);
  for (auto* texture : temporary) wlr_texture_destroy(texture);
  if (ok) wlr_output_state_set_buffer(&state, target);
  wlr_buffer_unlock(target);
  return ok;
}

bool OutputPlanes::matches(const std::vector<Refusal>& list, const Candidate& c) {
  return std::ranges::any_of(list, [&](const Refusal& r) {
    return r.surface_id == c.surface_id && r.dst == c.dst && r.format == c.format && r.modifier == c.modifier;
  });
}

void OutputPlanes::remember_refusal(const Candidate& c) {
  refused_.push_back({c.surface_id, c.dst, c.format, c.modifier, monotonic_now() + kRefusalMemory});
}

void OutputPlanes::drop_layers() {
  // Destroying a layer frees its plane on the next commit.
  for (auto* layer : layers_) wlr_output_layer_destroy(layer);
  layers_.clear();
  confirmed_.clear();
}

void OutputPlanes::count_frame(const Plan& plan) {
  ++counters_.frames;
  ++(plan.primary ? counters_.frames_primary : counters_.frames_composited);
  if (plan.primary) ++counters_.primary_assignments;
  counters_.overlay_assignments += plan.overlays.size();
  if (!plan.overlays.empty()) ++counters_.frames_with_overlays;
  if (output_.wlr->hardware_cursor) ++counters_.cursor_plane_frames;
}

// After a commit: what it showed, for explain and feedback, and what its
// present event will count.
void OutputPlanes::report(const Plan& plan, const std::vector<Candidate>& candidates,
                          const std::vector<Element>& elements, bool copied) {
  last_frame_path_ = plan.primary ? Path::Primary : Path::Composited;
  last_overlays_ = plan.overlays.size();
  on_planes_.clear();
  discard_in_flight();  // a commit whose present event never came (the output was disabled)
  InFlight frame{.commit_seq = output_.wlr->commit_seq};
  std::vector<BufferPaths::Shown> shown;
  for (size_t i = 0; i < candidates.size(); ++i) {
    wlr_surface* surface = elements[i].surface;
    if (!surface) continue;
    const auto& decision = plan.decisions[i];
    bool on_plane = !copied && (decision.path == Path::Primary || decision.path == Path::Overlay);
    if (on_plane) on_planes_.push_back({candidates[i].surface_id, candidates[i].dst});
    shown.push_back({surface, candidates[i], decision});
    if (decision.path == Path::Hidden) continue;
    frame.shown.push_back(candidates[i].surface_id);
    if (on_plane) frame.zero_copy.push_back(candidates[i].surface_id);
    // Our own composition (scene_damage_stale_): the scene sampled nothing.
    if (scene_damage_stale_)
      if (auto* feedback = wlr_presentation_surface_sampled(surface)) frame.feedback.push_back({feedback, on_plane});
  }
  in_flight_ = std::move(frame);
  output_.server.buffer_paths->frame_planned(output_, shown);
}

// Which KMS plane shows a buffer at `dst` now. The planner only proposes;
// with libliftoff the plane is libliftoff's choice, so ask KMS: the plane on
// our CRTC (an overlay may serve another CRTC meanwhile) whose framebuffer
// has that size at that place.
std::optional<uint32_t> OutputPlanes::kms_plane_showing(const scanout::Rect& dst) const {
  for (const auto& p : model_.planes)
    if (kms_plane_shows(p.id, dst)) return p.id;
  return std::nullopt;
}

bool OutputPlanes::kms_plane_shows(uint32_t plane_id, const scanout::Rect& dst) const {
  wlr_output* o = output_.wlr;
  if (!wlr_output_is_drm(o)) return false;
  int fd = wlr_backend_get_drm_fd(o->backend);
  // The atomic properties: legacy GETPLANE does not report positions.
  scanout::Properties props = scanout::read_properties(fd, plane_id, DRM_MODE_OBJECT_PLANE, &property_names_);
  auto is = [&](std::string_view name, int64_t want) { return static_cast<int64_t>(props.get(name).value_or(0)) == want; };
  return props.get("FB_ID").value_or(0) != 0 && is("CRTC_ID", crtc_id_) && is("CRTC_X", dst.x) &&
         is("CRTC_Y", dst.y) && is("CRTC_W", dst.width) && is("CRTC_H", dst.height);
}

ipc::json OutputPlanes::describe() const {
  std::map<uint32_t, uint64_t> users;  // plane id -> surface id, as KMS shows it
  for (const auto& [surface_id, dst] : on_planes_)
    if (auto id = kms_plane_showing(dst)) users[*id] = surface_id;
  ipc::json planes = ipc::json::array();
  for (const auto& plane : model_.planes) {
    ipc::json j{{"id", plane.id}, {"type", scanout::plane_type_name(plane.type)}, {"formats", plane.formats.size()}};
    j["surface"] = users.contains(plane.id) ? ipc::json(users[plane.id]) : ipc::json(nullptr);
    planes.push_back(j);
  }
  wlr_output* o = output_.wlr;
  ipc::json cursor{{"path", o->hardware_cursor ? "cursor" : "composited"}, {"reasons", ipc::json::array()}};
  if (!o->hardware_cursor) {
    bool has_cursor_plane = std::ranges::any_of(
        model_.planes, [](const auto& p) { return p.type == scanout::PlaneType::Cursor; });
    cursor["reasons"].push_back(has_cursor_plane ? "cursor_plane_refused" : "no_cursor_plane");
  }
  return {{"kms_device", model_.kms_device ? ipc::json{{"dev", model_.kms_device},
                                                       {"path", scanout::drm_device_path(model_.kms_device)}}
                                           : ipc::json(nullptr)},
          {"other_device", model_.other_device},
          {"overlays_supported", model_.overlays_supported},
          {"planes", planes},
          {"frame", {{"path", scanout::path_name(last_frame_path_)},
                     {"overlays", last_overlays_},
                     {"tearing", scanout::tearing_name(last_tearing_)}}},
          {"cursor", cursor},
          {"copy", output_.copy() ? output_.copy()->describe() : ipc::json(nullptr)}};
}

ipc::json OutputPlanes::stats() const {
  const auto& c = counters_;
  return {{"frames", c.frames},
          {"frames_primary", c.frames_primary},
          {"frames_composited", c.frames_composited},
          {"frames_with_overlays", c.frames_with_overlays},
          {"primary_assignments", c.primary_assignments},
          {"overlay_assignments", c.overlay_assignments},
          {"cursor_plane_frames", c.cursor_plane_frames},
          {"test_commit_failures", c.test_commit_failures},
          {"presented_frames", c.presented_frames},
          {"tearing_frames", c.tearing_frames},
          {"tearing_refused", c.tearing_refused},
          {"pacing", {{"frame_events", output_.pacing.frame_events},
                      {"empty_compositions", output_.pacing.empty_compositions},
                      {"commit_failures", output_.pacing.commit_failures},
                      {"frame_callbacks", output_.pacing.frame_callbacks}}},
          {"copy", output_.copy() ? output_.copy()->describe_paths() : ipc::json(nullptr)}};
}

}  // namespace tranche
