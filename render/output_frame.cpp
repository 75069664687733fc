#include "output_frame.hpp"

#include <drm_fourcc.h>
#include <xf86drmMode.h>

#include <algorithm>
#include <map>
#include <string>

#include "compose.hpp"
#include "presentation-time-protocol.h"
#include "scanout/kms_planes.hpp"
#include "scanout/settle.hpp"
#include "timer.hpp"

#define RLOG(verb, fmt, ...) _wlr_log(verb, "[tranche] " fmt, ##__VA_ARGS__)

namespace tranche::render {

using scanout::Candidate;
using scanout::Path;
using scanout::Plan;
using scanout::Reason;

namespace {

bool format_has_alpha(uint32_t format) {
  const scanout::FormatInfo* info = scanout::format_info(format);
  return info && info->alpha;
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

OutputFrame::OutputFrame(const Devices& devices, wlr_output* output, copy::Forced copy_path)
    : devices_(devices), output_(output), copy_forced_(copy_path), copy_(CopyChain::create(devices, output, copy_path)) {
  refresh_model();
}

void OutputFrame::renderer_changed(const Devices& devices) {
  devices_ = devices;
  copy_.reset();  // its buffers came from the old allocator
  copy_ = CopyChain::create(devices_, output_, copy_forced_);
}

OutputFrame::~OutputFrame() {
  discard_in_flight();
  drop_layers();
}

// Feedback destroyed unsent tells the client `discarded`.
void OutputFrame::discard_in_flight() {
  if (!in_flight_) return;
  for (auto [feedback, zero_copy] : in_flight_->feedback) wlr_presentation_feedback_destroy(feedback);
  in_flight_.reset();
}

std::optional<PresentReport> OutputFrame::presented(const wlr_output_event_present& event) {
  if (!in_flight_ || event.commit_seq != in_flight_->commit_seq) return std::nullopt;
  std::optional<PresentReport> result;
  if (event.presented) {
    ++counters_.presented_frames;
    result = PresentReport{in_flight_->shown, in_flight_->zero_copy};
    for (auto [feedback, zero_copy] : in_flight_->feedback) {
      wlr_presentation_event e;
      wlr_presentation_event_from_output(&e, &event);
      if (zero_copy) e.flags |= WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY;
      wlr_presentation_feedback_send_presented(feedback, &e);
    }
  }
  discard_in_flight();
  return result;
}

bool OutputFrame::commit_state(const wlr_output_state& state, bool test_only) {
  if (copy_) return copy_->commit_state(state, test_only);
  return test_only ? wlr_output_test_state(output_, &state) : wlr_output_commit_state(output_, &state);
}

void OutputFrame::refresh_model() {
  wlr_output* o = output_;
  model_ = scanout::OutputPlanes{};
  crtc_id_ = 0;
  model_.output = o->name;
  model_.width = o->width;
  model_.height = o->height;
  if (!wlr_output_is_drm(o)) return;  // nested and headless outputs have no planes
  int fd = wlr_backend_get_drm_fd(o->backend);
  model_.kms_device = scanout::drm_fd_device(fd);
  int render_fd = devices_.renderer ? wlr_renderer_get_drm_fd(devices_.renderer) : -1;
  // A card node and its render node are one device.
  model_.other_device = render_fd >= 0 && !scanout::same_drm_device(render_fd, fd);
  // Unless the display device imports the render device's buffers.
  if (copy_) model_.other_device = copy_->choose() != copy::Path::ZeroCopy;
  model_.overlays_supported = devices_.overlay_planes;
  if (!o->enabled) return;
  auto planes = scanout::read_kms_planes(fd, wlr_drm_connector_get_id(o));
  if (!planes) {
    RLOG(WLR_ERROR, "output %s: cannot read its KMS planes: %s", o->name, planes.error().c_str());
    return;
  }
  model_.planes = std::move(*planes);
  crtc_id_ = scanout::connector_crtc(fd, wlr_drm_connector_get_id(o)).value_or(0);
}

// Everything the scene draws on this output, bottom to top, in output-buffer
// coordinates (what KMS plane rectangles use).
void OutputFrame::collect(wlr_scene_output* so, std::vector<Candidate>& candidates, std::vector<Element>& elements) {
  wlr_output* o = output_;
  int width = 0, height = 0;
  wlr_output_effective_resolution(o, &width, &height);
  const wlr_box logical{so->x, so->y, width, height};
  int trans_width = o->width, trans_height = o->height;
  if (o->transform & WL_OUTPUT_TRANSFORM_90) std::swap(trans_width, trans_height);

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
        c.surface_id = devices_.surface_id(surface->surface);
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
  visit(visit, &devices_.scene->tree.node, 0, 0);
}

bool OutputFrame::frame_due(wlr_scene_output* so) {
  return so && wlr_scene_output_needs_frame(so);  // the output asked, or the scene has damage
}

std::optional<FrameReport> OutputFrame::commit(wlr_scene_output* so, const FrameSettings& settings) {
  wlr_output* o = output_;
  if (!frame_due(so)) return std::nullopt;
  settings_ = settings;
  // Mode changes by output management or a nested host come here unannounced.
  if (model_.width != o->width || model_.height != o->height) refresh_model();

  std::vector<Candidate> candidates;
  std::vector<Element> elements;
  collect(so, candidates, elements);
  // On another device, planes are candidates only while the display device
  // takes the render device's buffers (zero-copy).
  CopyChain* copier = copy_.get();
  std::optional<copy::Path> copy_path;
  if (copier) copy_path = copier->choose();
  if (copier) model_.other_device = copy_path != copy::Path::ZeroCopy;

  scanout::PlannerConfig config = settings.planner;
  // How often each buffer changes, for the cost-aware overlay policy; only
  // where overlays could be used at all.
  if (config.overlays && config.overlay_min_updates > 0 && model_.overlays_supported && !model_.planes.empty()) {
    int64_t now = monotonic_now();
    for (size_t i = 0; i < candidates.size(); ++i) {
      Candidate& c = candidates[i];
      if (!elements[i].surface) continue;
      update_rates_.observe(c.surface_id, elements[i].surface->current.seq, now);
      c.updates_per_second = update_rates_.per_second(c.surface_id, now);
      c.was_overlay = matches(confirmed_, c);
    }
    update_rates_.expire(now);
  }
  // A screen capture or a software cursor reads or draws into the composited
  // frame: then nothing may bypass it.
  std::optional<Reason> locked;
  if (!wlr_output_is_direct_scanout_allowed(o))
    locked = o->attach_render_locks > 0 ? Reason::ScreenCapture : Reason::SoftwareCursor;
  if (locked) config.direct_scanout = config.overlays = false;
  Plan plan = scanout::plan_output(model_, candidates, config);
  auto shown = [&](bool copied) -> std::optional<FrameReport> {
    count_frame(plan);
    return report(plan, candidates, elements, copied);
  };
  // Everything composited, then copied to the display device.
  if (copy_path && *copy_path != copy::Path::ZeroCopy) {
    if (!copier->commit_frame(so, *copy_path)) return std::nullopt;
    return shown(true);
  }
  // An overlay the driver refused stays composited for a while rather than
  // costing a failed test commit every frame.
  int64_t now = monotonic_now();
  std::erase_if(refused_, [&](const auto& r) { return r.until <= now; });
  for (size_t index : std::vector<size_t>(plan.overlays)) {
    const Candidate& c = candidates[index];
    if (matches(refused_, c) && plan.decisions[index].path == Path::Overlay)
      scanout::demote(plan, candidates, index, Reason::TestCommitFailed);
  }
  if (plan.primary && matches(refused_, candidates[*plan.primary]))
    scanout::demote(plan, candidates, *plan.primary, Reason::TestCommitFailed);
  if (locked) {
    // The lock, not the configuration, is why (unless the configuration also is).
    const scanout::PlannerConfig& configured = settings.planner;
    for (auto& decision : plan.decisions) {
      if (!decision.reasons.has(Reason::DisabledByConfig)) continue;
      if (configured.direct_scanout && configured.overlays) decision.reasons.remove(Reason::DisabledByConfig);
      decision.reasons.add(*locked);
    }
  }

  tearing_ = scanout::Tearing::NotRequested;  // only the scene's path asks for async flips
  bool committed = plan.overlays.empty() ? commit_through_scene(so, plan, candidates, elements)
                                         : commit_with_overlays(so, plan, candidates, elements);
  if (copier && committed) copier->zero_copy_succeeded();
  if (copier && !committed && copier->zero_copy_failed("the display device did not take the render device's buffer")) {
    // The same frame goes on by the next path: no blank, no frozen output.
    model_.other_device = true;
    plan = scanout::plan_output(model_, candidates, config);
    if (!copier->commit_frame(so, copier->choose())) return std::nullopt;
    return shown(true);
  }
  if (!committed) return std::nullopt;
  return shown(false);
}

// Whether the scene scanned `shown` out: the buffer itself or the client's own.
static bool scans_out(wlr_buffer* committed, wlr_buffer* shown) {
  return committed == shown || committed == own_buffer(shown);
}

// No overlays: wlr_scene composes, with its damage tracking, or scans the one
// fullscreen buffer out on the primary plane (testing it first).
bool OutputFrame::commit_through_scene(wlr_scene_output* so, Plan& plan, const std::vector<Candidate>& candidates,
                                       const std::vector<Element>& elements) {
  drop_layers();
  // Our composition shared the scene's damage ring and swapchain and drew
  // what the scene draws, but for the overlays it left out.
  damage_holes(so, holes_);
  holes_.clear();
  composed_ourselves_ = false;
  wlr_output_state state;
  wlr_output_state_init(&state);
  // The plan decides, not the scene: without a buffer for the primary plane
  // the scene must compose, though it would scan out on its own.
  bool compose = !plan.primary;
  // What the scene will redraw, at least (older swapchain buffers add the
  // damage of the frames since they were shown).
  uint64_t damaged = region_area(so->damage_ring.current);
  if (compose) wlr_output_lock_attach_render(output_, true);
  bool ok = wlr_scene_output_build_state(so, &state, nullptr);
  if (compose) wlr_output_lock_attach_render(output_, false);
  bool direct = false;
  if (ok && plan.primary) {
    wlr_scene_buffer* base = scene_buffer(elements[*plan.primary].node);
    direct = (state.committed & WLR_OUTPUT_STATE_BUFFER) && base && scans_out(state.buffer, base->buffer);
    if (!direct) {
      // Composited this frame already; not tried again for a while.
      ++counters_.test_commit_failures;
      remember_refusal(candidates[*plan.primary]);
      scanout::demote(plan, candidates, *plan.primary, Reason::TestCommitFailed);
    }
  }
  if (ok) request_tearing(state, plan, elements);
  ok = ok && wlr_output_commit_state(output_, &state);
  if (ok && !direct && (state.committed & WLR_OUTPUT_STATE_BUFFER)) counters_.composed_pixels += damaged;
  if (ok && state.tearing_page_flip) ++counters_.tearing_frames;
  wlr_output_state_finish(&state);
  return ok;
}

// tearing-control-v1: an asynchronous flip for the fullscreen buffer scanned
// out as is, when its client asked and the configuration and backend allow.
void OutputFrame::request_tearing(wlr_output_state& state, const Plan& plan, const std::vector<Element>& elements) {
  auto* manager = devices_.tearing_control;
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
  tearing_ = scanout::plan_tearing(hint, settings_.tearing_allowed, direct);
  if (tearing_ != scanout::Tearing::Async) return;
  state.tearing_page_flip = true;
  if (wlr_output_test_state(output_, &state)) return;
  state.tearing_page_flip = false;  // this frame waits for vblank
  tearing_ = scanout::Tearing::RefusedByDriver;
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
bool OutputFrame::commit_with_overlays(wlr_scene_output* so, Plan& plan, const std::vector<Candidate>& candidates,
                                       const std::vector<Element>& elements) {
  wlr_output* o = output_;
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
  std::vector<DrawItem> beneath;  // composited into the primary plane's buffer
  std::vector<Hole> holes;        // overlays left out of it
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (draw[i]) beneath.push_back({elements[i].node, elements[i].surface, candidates[i].dst, candidates[i].opaque});
    else if (plan.decisions[i].path == Path::Overlay) holes.push_back({candidates[i].dst, candidates[i].opaque});
  }

  wlr_output_state state;
  wlr_output_state_init(&state);
  // Layer i shows overlay candidate tried[i], though demotions change plan.overlays.
  const std::vector<size_t> tried = plan.overlays;
  std::vector<wlr_output_layer_state> layer_states(layers_.size());
  auto set_layer = [&](size_t i, bool enabled) {
    layer_states[i] = {};
    layer_states[i].layer = layers_[i];
    if (!enabled) return;  // a layer without a buffer is disabled
    size_t index = tried[i];
    wlr_scene_buffer* buffer = scene_buffer(elements[index].node);
    const auto& dst = candidates[index].dst;
    layer_states[i].buffer = own_buffer(buffer->buffer);
    layer_states[i].src_box = buffer->src_box;
    layer_states[i].dst_box = {dst.x, dst.y, dst.width, dst.height};
  };
  for (size_t i = 0; i < layers_.size(); ++i) set_layer(i, i < tried.size());
  wlr_output_state_set_layers(&state, layer_states.data(), layer_states.size());
  bool composed = true;
  if (scan_base) {
    wlr_output_state_set_buffer(&state, own_buffer(scene_buffer(elements[*plan.primary].node)->buffer));
  } else {
    composed = compose_beneath(so, state, beneath, holes);
  }
  ++counters_.test_commits;
  bool ok = composed && wlr_output_test_state(o, &state);
  RLOG(WLR_DEBUG, "output %s: %zu overlay(s)%s: %s", o->name, plan.overlays.size(),
       scan_base ? " over a scanned-out buffer" : "",
       !composed ? "composition failed" : ok ? "test commit passed" : "test commit refused");
  if (!ok && composed && !scan_base) {
    // The overlays new this frame are drawn beneath as well: the same
    // composition can go out with any of them left off their planes.
    std::vector<bool> known_good(tried.size());
    for (size_t i = 0; i < tried.size(); ++i) known_good[i] = !draw[tried[i]];
    auto kept = scanout::settle_overlays(known_good, [&](const std::vector<bool>& enabled) {
      for (size_t i = 0; i < enabled.size(); ++i) set_layer(i, enabled[i]);
      ++counters_.test_commits;
      return wlr_output_test_state(o, &state);
    });
    if (kept) {
      for (size_t i = 0; i < kept->size(); ++i) set_layer(i, (*kept)[i]);
      for (size_t i = 0; i < kept->size(); ++i) {
        if ((*kept)[i]) continue;
        const Candidate& c = candidates[tried[i]];
        RLOG(WLR_DEBUG, "output %s: the driver refused surface %llu on an overlay plane", o->name,
             static_cast<unsigned long long>(c.surface_id));
        ++counters_.test_commit_failures;
        remember_refusal(c);
        if (plan.decisions[tried[i]].path == Path::Overlay)
          scanout::demote(plan, candidates, tried[i], Reason::TestCommitFailed);
      }
      ok = true;
    }
  }
  if (!ok) {
    wlr_output_state_finish(&state);
    for (size_t index : tried) {
      ++counters_.test_commit_failures;
      remember_refusal(candidates[index]);
      if (plan.decisions[index].path == Path::Overlay)
        scanout::demote(plan, candidates, index, Reason::TestCommitFailed);
    }
    if (plan.primary && !scan_base) scanout::demote(plan, candidates, *plan.primary, Reason::TestCommitFailed);
    return commit_through_scene(so, plan, candidates, elements);
  }
  ok = wlr_output_commit_state(o, &state);
  composed_ourselves_ = true;
  if (ok) {
    // What the commit put on planes; the rest is composited from the next
    // frame on (and was already drawn beneath, unless it had been confirmed).
    std::vector<Refusal> next_confirmed;
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
      RLOG(WLR_DEBUG, "output %s: the driver left surface %llu off its plane", o->name,
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

// Composes what the planes do not show, redrawing only the damage: the
// scene's (its ring accounts for every swapchain buffer, whoever drew it),
// and where the set of holes changed. Opaque holes that stay are not redrawn:
// a frame where only overlaid windows changed composes nothing.
bool OutputFrame::compose_beneath(wlr_scene_output* so, wlr_output_state& state, const std::vector<DrawItem>& beneath,
                                  const std::vector<Hole>& holes) {
  if (holes != holes_) {
    damage_holes(so, holes_);
    damage_holes(so, holes);
  }
  pixman_region32_t hidden;
  pixman_region32_init(&hidden);
  for (const Hole& hole : holes)
    if (hole.opaque && std::ranges::find(holes_, hole) != holes_.end())
      pixman_region32_union_rect(&hidden, &hidden, hole.dst.x, hole.dst.y, hole.dst.width, hole.dst.height);
  Damage damage{.ring = &so->damage_ring, .hidden = &hidden};
  bool ok = compose(devices_.renderer, output_, state, beneath, damage);
  pixman_region32_fini(&hidden);
  holes_ = holes;
  if (ok) counters_.composed_pixels += damage.drawn_pixels;
  return ok;
}

void OutputFrame::damage_holes(wlr_scene_output* so, const std::vector<Hole>& holes) {
  for (const Hole& hole : holes) {
    wlr_box box{hole.dst.x, hole.dst.y, hole.dst.width, hole.dst.height};
    wlr_damage_ring_add_box(&so->damage_ring, &box);
  }
}

bool OutputFrame::matches(const std::vector<Refusal>& list, const Candidate& c) {
  return std::ranges::any_of(list, [&](const Refusal& r) {
    return r.surface_id == c.surface_id && r.dst == c.dst && r.format == c.format && r.modifier == c.modifier;
  });
}

void OutputFrame::remember_refusal(const Candidate& c) {
  refused_.push_back({c.surface_id, c.dst, c.format, c.modifier, monotonic_now() + kRefusalMemory});
}

void OutputFrame::drop_layers() {
  // Destroying a layer frees its plane on the next commit.
  for (auto* layer : layers_) wlr_output_layer_destroy(layer);
  layers_.clear();
  confirmed_.clear();
}

void OutputFrame::count_frame(const Plan& plan) {
  ++counters_.frames;
  ++(plan.primary ? counters_.frames_primary : counters_.frames_composited);
  if (plan.primary) ++counters_.primary_assignments;
  counters_.overlay_assignments += plan.overlays.size();
  if (!plan.overlays.empty()) ++counters_.frames_with_overlays;
  if (output_->hardware_cursor) ++counters_.cursor_plane_frames;
}

// After a commit: what it showed, for explain and feedback, and what its
// present event will count.
FrameReport OutputFrame::report(const Plan& plan, const std::vector<Candidate>& candidates,
                                const std::vector<Element>& elements, bool copied) {
  FrameReport result{.path = copied ? Path::Copied : plan.primary ? Path::Primary : Path::Composited,
                     .overlays = plan.overlays.size(),
                     .tearing = tearing_};
  on_planes_.clear();
  discard_in_flight();  // a commit whose present event never came (the output was disabled)
  InFlight frame{.commit_seq = output_->commit_seq};
  for (size_t i = 0; i < candidates.size(); ++i) {
    wlr_surface* surface = elements[i].surface;
    if (!surface) continue;
    const auto& decision = plan.decisions[i];
    bool on_plane = !copied && (decision.path == Path::Primary || decision.path == Path::Overlay);
    if (on_plane) on_planes_.push_back({candidates[i].surface_id, candidates[i].dst});
    result.shown.push_back({surface, candidates[i], decision});
    if (decision.path == Path::Hidden) continue;
    frame.shown.push_back(candidates[i].surface_id);
    if (on_plane) frame.zero_copy.push_back(candidates[i].surface_id);
    // Our own composition: the scene sampled nothing.
    if (composed_ourselves_)
      if (auto* feedback = wlr_presentation_surface_sampled(surface)) frame.feedback.push_back({feedback, on_plane});
  }
  in_flight_ = std::move(frame);
  last_report_ = FrameReport{result.path, result.overlays, result.tearing, {}};  // no surface outlives its frame here
  return result;
}

// Which KMS plane shows a buffer at `dst` now. The planner only proposes;
// with libliftoff the plane is libliftoff's choice, so ask KMS: the plane on
// our CRTC (an overlay may serve another CRTC meanwhile) whose framebuffer
// has that size at that place.
std::optional<uint32_t> OutputFrame::kms_plane_showing(const scanout::Rect& dst) const {
  for (const auto& p : model_.planes)
    if (kms_plane_shows(p.id, dst)) return p.id;
  return std::nullopt;
}

bool OutputFrame::kms_plane_shows(uint32_t plane_id, const scanout::Rect& dst) const {
  wlr_output* o = output_;
  if (!wlr_output_is_drm(o)) return false;
  int fd = wlr_backend_get_drm_fd(o->backend);
  // The atomic properties: legacy GETPLANE does not report positions.
  scanout::Properties props = scanout::read_properties(fd, plane_id, DRM_MODE_OBJECT_PLANE, &property_names_);
  auto is = [&](std::string_view name, int64_t want) { return static_cast<int64_t>(props.get(name).value_or(0)) == want; };
  return props.get("FB_ID").value_or(0) != 0 && is("CRTC_ID", crtc_id_) && is("CRTC_X", dst.x) &&
         is("CRTC_Y", dst.y) && is("CRTC_W", dst.width) && is("CRTC_H", dst.height);
}

ipc::json OutputFrame::describe() const {
  std::map<uint32_t, uint64_t> users;  // plane id -> surface id, as KMS shows it
  for (const auto& [surface_id, dst] : on_planes_)
    if (auto id = kms_plane_showing(dst)) users[*id] = surface_id;
  ipc::json planes = ipc::json::array();
  for (const auto& plane : model_.planes) {
    ipc::json j{{"id", plane.id}, {"type", scanout::plane_type_name(plane.type)}, {"formats", plane.formats.size()}};
    j["surface"] = users.contains(plane.id) ? ipc::json(users[plane.id]) : ipc::json(nullptr);
    planes.push_back(j);
  }
  wlr_output* o = output_;
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
          {"frame", {{"path", scanout::path_name(last_report_.path)},
                     {"overlays", last_report_.overlays},
                     {"tearing", scanout::tearing_name(last_report_.tearing)}}},
          {"cursor", cursor},
          {"copy", copy_ ? copy_->describe() : ipc::json(nullptr)}};
}

ipc::json OutputFrame::stats() const {
  const auto& c = counters_;
  return {{"frames", c.frames},
          {"frames_primary", c.frames_primary},
          {"frames_composited", c.frames_composited},
          {"frames_with_overlays", c.frames_with_overlays},
          {"primary_assignments", c.primary_assignments},
          {"overlay_assignments", c.overlay_assignments},
          {"cursor_plane_frames", c.cursor_plane_frames},
          {"test_commits", c.test_commits},
          {"test_commit_failures", c.test_commit_failures},
          {"composed_pixels", c.composed_pixels},
          {"presented_frames", c.presented_frames},
          {"tearing_frames", c.tearing_frames},
          {"tearing_refused", c.tearing_refused},
          {"copy", copy_ ? copy_->describe_paths() : ipc::json(nullptr)}};
}

}  // namespace tranche::render
