#include "update_rate.hpp"

#include <algorithm>

namespace tranche::scanout {

void UpdateRates::observe(uint64_t id, uint32_t seq, int64_t now) {
  auto [it, first] = entries_.try_emplace(id);
  Entry& e = it->second;
  // The first sight is no change: the content may be as old as the surface.
  if (!first && seq != e.seq) {
    e.changes.push_back(now);
    if (e.changes.size() > kMaxChanges) e.changes.pop_front();
  }
  e.seq = seq;
  e.last_seen = now;
  while (!e.changes.empty() && e.changes.front() <= now - kWindow) e.changes.pop_front();
}

uint32_t UpdateRates::per_second(uint64_t id, int64_t now) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) return 0;
  const auto& changes = it->second.changes;
  return static_cast<uint32_t>(std::ranges::count_if(changes, [&](int64_t t) { return t > now - kWindow; }));
}

void UpdateRates::expire(int64_t now) {
  std::erase_if(entries_, [&](const auto& entry) { return entry.second.last_seen <= now - kWindow; });
}

}  // namespace tranche::scanout
