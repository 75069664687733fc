#include "buffer_paths.hpp"

#include "output.hpp"
#include "scanout/kms_planes.hpp"
#include "server.hpp"

namespace tranche {

using ipc::json;

namespace {

json reasons_json(const scanout::Reasons& reasons) {
  json out = json::array();
  for (auto r : reasons.list()) out.push_back(scanout::reason_name(r));
  return out;
}

const char* buffer_kind_name(scanout::BufferKind kind) {
  switch (kind) {
    case scanout::BufferKind::Dmabuf: return "dmabuf";
    case scanout::BufferKind::Shm: return "shm";
    case scanout::BufferKind::Other: return "other";
  }
  return "other";
}

json feedback_json(const scanout::Feedback& feedback) {
  json tranches = json::array();
  for (const auto& t : feedback.tranches)
    tranches.push_back({{"kind", scanout::tranche_kind_name(t.kind)},
                        {"target_device", t.target_device},
                        {"scanout", t.scanout},
                        {"formats", t.formats.size()}});
  return {{"main_device", feedback.main_device}, {"tranches", tranches}};
}

// app_id/title of the toplevel (or namespace of the layer surface) a surface belongs to.
void describe_role(wlr_surface* surface, json& out) {
  wlr_surface* root = wlr_surface_get_root_surface(surface);
  if (auto* xdg = wlr_xdg_surface_try_from_wlr_surface(root)) {
    if (xdg->role == WLR_XDG_SURFACE_ROLE_POPUP && xdg->popup && xdg->popup->parent)
      root = wlr_surface_get_root_surface(xdg->popup->parent), xdg = wlr_xdg_surface_try_from_wlr_surface(root);
    if (xdg && xdg->role == WLR_XDG_SURFACE_ROLE_TOPLEVEL && xdg->toplevel) {
      out["role"] = surface == xdg->surface ? "toplevel" : "subsurface";
      out["app_id"] = xdg->toplevel->app_id ? json(xdg->toplevel->app_id) : json(nullptr);
      out["title"] = xdg->toplevel->title ? json(xdg->toplevel->title) : json(nullptr);
      return;
    }
    out["role"] = "popup";
  } else if (auto* layer = wlr_layer_surface_v1_try_from_wlr_surface(root)) {
    out["role"] = "layer";
    out["app_id"] = layer->namespace_ ? json(layer->namespace_) : json(nullptr);
  } else {
    out["role"] = "other";
  }
  if (!out.contains("app_id")) out["app_id"] = nullptr;
  if (!out.contains("title")) out["title"] = nullptr;
}

}  // namespace

BufferPaths::BufferPaths(Server& server)
    : server_(server), feedback_timer_(server.loop, [this] {
        int64_t now = monotonic_now();
        for (auto& [surface, record] : records_) update_feedback(*record, now);
        arm_feedback_timer();
      }) {
  apply_config(server.config().scanout);
}

BufferPaths::~BufferPaths() = default;

void BufferPaths::start() {
  dmabuf_ = DmabufImport::create(server_.display, server_.renderer, counters);
  if (dmabuf_) policy_.set_render(dmabuf_->main_device(), dmabuf_->render_formats());
}

void BufferPaths::apply_config(const config::ScanoutConfig& config) {
  planner_.direct_scanout = config.direct_scanout;
  planner_.overlays = config.overlays;
  planner_.overlay_min_updates = static_cast<uint32_t>(config.overlay_min_update_rate);
  tearing_ = config.tearing;
  policy_.set_hysteresis(int64_t{config.feedback_hysteresis_ms} * 1'000'000);
}

uint64_t BufferPaths::surface_id(wlr_surface* surface) {
  auto& record = records_[surface];
  if (!record) {
    record = std::make_unique<Record>();
    record->id = server_.surface_ids.of(surface);
    record->surface = surface;
    record->destroy.connect(&surface->events.destroy, [this, surface](void*) {
      policy_.forget(records_[surface]->id);
      records_.erase(surface);
    });
  }
  return record->id;
}

void BufferPaths::frame_planned(Output& output, const render::FrameReport& report) {
  using Shown = render::FrameReport::Shown;
  const std::vector<Shown>& shown = report.shown;
  int64_t now = monotonic_now();
  // Surfaces that were on this output and are not any more.
  for (auto& [surface, record] : records_) {
    bool still = std::ranges::any_of(shown, [&](const Shown& s) { return s.surface == surface; });
    if (!still && record->outputs.erase(&output)) update_feedback(*record, now);
  }
  for (const Shown& s : shown) {
    surface_id(s.surface);
    Record& record = *records_[s.surface];
    record.outputs[&output] = {s.candidate, s.decision};
    update_feedback(record, now);
  }
  arm_feedback_timer();
}

void BufferPaths::frame_presented(const render::PresentReport& report) {
  const auto& [shown, zero_copy] = report;
  for (auto& [surface, record] : records_) {
    if (std::ranges::find(shown, record->id) == shown.end()) continue;
    ++record->presented;
    ++counters.presentations;
    if (std::ranges::find(zero_copy, record->id) == zero_copy.end()) continue;
    ++record->zero_copy;
    ++counters.zero_copy_presentations;
  }
}

void BufferPaths::output_removed(Output& output) {
  int64_t now = monotonic_now();
  for (auto& [surface, record] : records_)
    if (record->outputs.erase(&output)) update_feedback(*record, now);
  arm_feedback_timer();
}

// The output showing most of the surface: its feedback follows that one.
Output* BufferPaths::main_output(const Record& record) {
  Output* best = nullptr;
  int64_t best_area = -1;
  for (const auto& [output, state] : record.outputs) {
    int64_t area = int64_t{state.candidate.dst.width} * state.candidate.dst.height;
    if (area > best_area) best = output, best_area = area;
  }
  return best;
}

void BufferPaths::update_feedback(Record& record, int64_t now) {
  if (!dmabuf_) return;
  Output* main = main_output(record);
  auto changed = main ? policy_.update(record.id, record.outputs.at(main).decision, &main->frame().model(), now)
                      : policy_.update(record.id, scanout::Decision{scanout::Path::Hidden}, nullptr, now);
  if (!changed) return;
  dmabuf_->send_surface_feedback(record.surface, *changed);
  ++counters.feedback_sends;
  TLOG(WLR_DEBUG, "surface %llu: feedback %s scanout tranches", static_cast<unsigned long long>(record.id),
       changed->has_scanout() ? "with" : "without");
}

void BufferPaths::arm_feedback_timer() {
  if (auto at = policy_.next_change_at()) feedback_timer_.arm_at(*at);
  else feedback_timer_.disarm();
}

// What the client said about its content: content-type, alpha-modifier,
// tearing-control (the last two change what the planner may do).
json BufferPaths::hints_json(wlr_surface* surface) const {
  const char* content = "none";
  if (server_.content_types) switch (wlr_surface_get_content_type_v1(server_.content_types, surface)) {
      case WP_CONTENT_TYPE_V1_TYPE_NONE: break;
      case WP_CONTENT_TYPE_V1_TYPE_PHOTO: content = "photo"; break;
      case WP_CONTENT_TYPE_V1_TYPE_VIDEO: content = "video"; break;
      case WP_CONTENT_TYPE_V1_TYPE_GAME: content = "game"; break;
    }
  const auto* alpha = wlr_alpha_modifier_v1_get_surface_state(surface);
  bool tearing = server_.tearing_control &&
                 wlr_tearing_control_manager_v1_surface_hint_from_surface(server_.tearing_control, surface) ==
                     WP_TEARING_CONTROL_V1_PRESENTATION_HINT_ASYNC;
  return {{"content_type", content},
          {"alpha", alpha ? alpha->multiplier : 1.0},
          {"presentation", tearing ? "async" : "vsync"}};
}

json BufferPaths::describe(const Record& record) const {
  json j{{"id", record.id}};
  describe_role(record.surface, j);
  json outputs = json::array();
  for (const auto& [output, state] : record.outputs) {
    const auto& c = state.candidate;
    json buffer{{"type", buffer_kind_name(c.kind)}, {"width", c.src_width}, {"height", c.src_height}};
    if (c.kind == scanout::BufferKind::Dmabuf) {
      buffer["format"] = scanout::fourcc_name(c.format);
      buffer["modifier"] = scanout::modifier_name(c.modifier);
    }
    // Measured only where overlays could be used (the cost-aware policy).
    if (planner_.overlays && planner_.overlay_min_updates > 0) buffer["updates_per_second"] = c.updates_per_second;
    // The plane KMS shows it on (libliftoff may pick another than planned).
    json plane = nullptr;
    if (state.decision.path == scanout::Path::Primary || state.decision.path == scanout::Path::Overlay)
      if (auto id = output->frame().kms_plane_showing(c.dst)) plane = *id;
    outputs.push_back({{"output", output->wlr->name},
                       {"path", scanout::path_name(state.decision.path)},
                       {"plane", plane},
                       {"reasons", reasons_json(state.decision.reasons)},
                       {"buffer", buffer},
                       {"x", c.dst.x}, {"y", c.dst.y}, {"width", c.dst.width}, {"height", c.dst.height}});
  }
  // The output that decides its feedback, flattened for scripts; all of them in "outputs".
  if (const Output* main = main_output(record)) {
    for (auto& o : outputs)
      if (o["output"] == main->wlr->name)
        for (const char* key : {"output", "path", "plane", "reasons", "buffer"}) j[key] = o[key];
  } else {
    j["output"] = nullptr;
    j["path"] = "hidden";
    j["plane"] = nullptr;
    j["reasons"] = json::array();
    j["buffer"] = nullptr;
  }
  j["outputs"] = outputs;
  j["hints"] = hints_json(record.surface);
  j["presentations"] = {{"presented", record.presented}, {"zero_copy", record.zero_copy}};
  if (dmabuf_) {
    const scanout::Feedback* sent = policy_.sent(record.id);
    j["feedback"] = feedback_json(sent ? *sent : policy_.default_feedback());
  } else {
    j["feedback"] = nullptr;
  }
  return j;
}

json BufferPaths::explain() const {
  json render = nullptr;
  if (dmabuf_) render = {{"dev", dmabuf_->main_device()}, {"path", scanout::drm_device_path(dmabuf_->main_device())}};
  json outputs = json::array();
  for (const auto& output : const_cast<Server&>(server_).outputs()) {
    json o = output->frame().describe();
    o["name"] = output->wlr->name;
    outputs.push_back(o);
  }
  json surfaces = json::array();
  std::vector<const Record*> sorted;
  for (const auto& [surface, record] : records_) sorted.push_back(record.get());
  std::ranges::sort(sorted, {}, &Record::id);
  for (const Record* record : sorted) surfaces.push_back(describe(*record));
  return {{"render_device", render},
          {"linux_dmabuf", dmabuf_ != nullptr},
          {"config", {{"direct_scanout", planner_.direct_scanout},
                      {"overlays", planner_.overlays},
                      {"overlay_min_update_rate", planner_.overlay_min_updates},
                      {"tearing", tearing_},
                      {"feedback_hysteresis_ms", policy_.hysteresis() / 1'000'000}}},
          {"outputs", outputs},
          {"surfaces", surfaces}};
}

json BufferPaths::stats() const {
  json outputs = json::array();
  for (const auto& output : const_cast<Server&>(server_).outputs()) {
    json o = output->frame().stats();
    o["name"] = output->wlr->name;
    const Output::Pacing& p = output->pacing;
    o["pacing"] = {{"frame_events", p.frame_events},
                   {"empty_compositions", p.empty_compositions},
                   {"commit_failures", p.commit_failures},
                   {"frame_callbacks", p.frame_callbacks}};
    outputs.push_back(o);
  }
  return {{"outputs", outputs},
          {"feedback_sends", counters.feedback_sends},
          {"presentations", {{"presented", counters.presentations}, {"zero_copy", counters.zero_copy_presentations}}},
          {"imports", {{"ok", counters.imports_ok}, {"failed", counters.imports_failed},
                       {"invalid_format", counters.imports_invalid_format}}}};
}

}  // namespace tranche
