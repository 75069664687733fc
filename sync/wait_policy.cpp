#include "sync/wait_policy.hpp"

#include <algorithm>
#include <format>
#include <set>

namespace tranche::sync {
namespace {
double to_ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }
}  // namespace

WaitQueue::Begun WaitQueue::begin(WaitInfo info, int64_t now) {
  WaitId id = next_id_++;
  auto& queue = by_surface_[info.surface];
  queue.push_back(id);
  waits_.emplace(id, Wait{.info = std::move(info), .since = now});
  return {id, queue.size() == 1};
}

bool WaitQueue::has_waits(SurfaceKey surface) const { return by_surface_.contains(surface); }

bool WaitQueue::is_head(WaitId id) const {
  const WaitInfo* info = find(id);
  return info && by_surface_.at(info->surface).front() == id;
}

const WaitInfo* WaitQueue::find(WaitId id) const {
  auto it = waits_.find(id);
  return it == waits_.end() ? nullptr : &it->second.info;
}

void WaitQueue::forget(WaitId id) {
  auto it = waits_.find(id);
  SurfaceKey surface = it->second.info.surface;
  waits_.erase(it);
  auto& queue = by_surface_[surface];
  std::erase(queue, id);
  if (queue.empty()) by_surface_.erase(surface);
  // The stall episode ends when none of the surface's waits is stalled any more.
  bool still_stalled = std::ranges::any_of(waits_, [&](const auto& entry) {
    return entry.second.info.surface == surface && entry.second.stalled;
  });
  if (!still_stalled) stall_reported_.erase(surface);
}

std::optional<WaitId> WaitQueue::signalled(WaitId id, int64_t now) {
  auto it = waits_.find(id);
  if (it == waits_.end()) return std::nullopt;
  double waited = to_ms(std::max<int64_t>(now - it->second.since, 0));
  counters_.commits_waited++;
  counters_.total_wait_ms += waited;
  counters_.max_wait_ms = std::max(counters_.max_wait_ms, waited);
  SurfaceKey surface = it->second.info.surface;
  bool was_head = is_head(id);
  forget(id);
  if (!was_head || !by_surface_.contains(surface)) return std::nullopt;
  return by_surface_.at(surface).front();
}

std::vector<WaitId> WaitQueue::drop_surface(SurfaceKey surface) {
  auto it = by_surface_.find(surface);
  if (it == by_surface_.end()) return {};
  std::vector<WaitId> ids = it->second;
  for (WaitId id : ids) {
    waits_.erase(id);
    counters_.waits_dropped++;
  }
  by_surface_.erase(surface);
  stall_reported_.erase(surface);
  return ids;
}

WaitQueue::Due WaitQueue::due(int64_t now, const StallSettings& settings) {
  Due due;
  std::set<ClientKey> disconnecting;
  for (auto& [id, wait] : waits_) {
    int64_t waited = now - wait.since;
    if (settings.warn_after_ns > 0 && !wait.stalled && waited >= settings.warn_after_ns) {
      wait.stalled = true;
      if (!stall_reported_[wait.info.surface]) {
        stall_reported_[wait.info.surface] = true;
        counters_.stalls++;
        due.stalled.push_back(id);
      }
    }
    if (settings.disconnect_after_ns > 0 && !wait.disconnect_requested &&
        waited >= settings.disconnect_after_ns) {
      wait.disconnect_requested = true;
      wait.stalled = true;
      if (disconnecting.insert(wait.info.client).second) {
        counters_.disconnects++;
        due.disconnect.push_back(id);
      }
    }
  }
  return due;
}

std::optional<int64_t> WaitQueue::next_deadline(const StallSettings& settings) const {
  std::optional<int64_t> next;
  auto consider = [&](int64_t when) { next = next ? std::min(*next, when) : when; };
  for (const auto& [id, wait] : waits_) {
    if (settings.warn_after_ns > 0 && !wait.stalled) consider(wait.since + settings.warn_after_ns);
    if (settings.disconnect_after_ns > 0 && !wait.disconnect_requested)
      consider(wait.since + settings.disconnect_after_ns);
  }
  return next;
}

nlohmann::json WaitQueue::describe(int64_t now) const {
  auto waiting = nlohmann::json::array();
  for (const auto& [id, wait] : waits_) {
    waiting.push_back({
        {"id", id},
        {"surface", wait.info.surface_name},
        {"surface_ptr", std::format("{:#x}", wait.info.surface)},
        {"client_pid", wait.info.client_pid},
        {"acquire_point", wait.info.point},
        {"waiting_ms", to_ms(now - wait.since)},
        {"stalled", wait.stalled},
        {"head", by_surface_.at(wait.info.surface).front() == id},
    });
  }
  return {
      {"waiting", std::move(waiting)},
      {"counters",
       {{"commits_waited", counters_.commits_waited},
        {"total_wait_ms", counters_.total_wait_ms},
        {"max_wait_ms", counters_.max_wait_ms},
        {"stalls", counters_.stalls},
        {"disconnects", counters_.disconnects},
        {"waits_dropped", counters_.waits_dropped}}},
  };
}

}  // namespace tranche::sync
