#include "sync/release_tracker.hpp"

namespace tranche::sync {

bool ReleaseTracker::track(BufferKey buffer, ReleasePoint release) {
  auto [it, fresh] = pending_.try_emplace(buffer);
  it->second.push_back(release);
  return fresh;
}

std::vector<ReleasePoint> ReleaseTracker::released(BufferKey buffer) {
  auto node = pending_.extract(buffer);
  if (node.empty()) return {};
  signalled_ += node.mapped().size();
  return std::move(node.mapped());
}

std::vector<ReleasePoint> ReleaseTracker::release_all() {
  std::vector<ReleasePoint> all;
  for (auto& [buffer, points] : pending_) all.insert(all.end(), points.begin(), points.end());
  pending_.clear();
  signalled_ += all.size();
  return all;
}

size_t ReleaseTracker::pending() const {
  size_t count = 0;
  for (const auto& [buffer, points] : pending_) count += points.size();
  return count;
}

nlohmann::json ReleaseTracker::describe() const {
  return {{"releases_pending", pending()},
          {"releases_signalled", signalled_},
          {"buffers_watched", pending_.size()}};
}

}  // namespace tranche::sync
