#include "path_selector.hpp"

#include <algorithm>

namespace tranche::copy {

Path PathSelector::choose(int64_t now) const {
  if (forced_) return *forced_;
  for (Path path : order_) {
    const State& s = state_[index(path)];
    if (!s.failing || now >= s.retry_at) return path;
  }
  // Everything failed recently: the sysram path needs the least from either
  // device, so it is the likeliest to work once the cause is gone.
  return Path::Sysram;
}

void PathSelector::succeeded(Path path, uint64_t bytes, int64_t copy_ns) {
  State& s = state_[index(path)];
  s.failing = false;
  s.backoff = kFirstBackoff;
  ++s.stats.frames;
  s.stats.bytes += bytes;
  s.stats.copy_ns += copy_ns;
  s.stats.last_bytes = bytes;
  s.stats.last_copy_ns = copy_ns;
  current_ = path;
}

std::optional<Path> PathSelector::failed(Path path, int64_t now, std::string why) {
  State& s = state_[index(path)];
  ++s.stats.failures;
  s.stats.last_error = std::move(why);
  if (s.failing) s.backoff = std::min(s.backoff * 2, kMaxBackoff);  // a retry failed again
  s.failing = true;
  s.retry_at = now + s.backoff;
  if (current_ == path) current_.reset();
  if (forced_) return std::nullopt;
  // The next path in the order, unless it is failing and not due.
  auto it = std::ranges::find(order_, path);
  for (++it; it != order_.end(); ++it) {
    const State& next = state_[index(*it)];
    if (!next.failing || now >= next.retry_at) return *it;
  }
  return std::nullopt;
}

void PathSelector::reset() {
  for (State& s : state_) {
    s.failing = false;
    s.backoff = kFirstBackoff;
  }
}

std::optional<int64_t> PathSelector::retry_at(Path path) const {
  const State& s = state_[index(path)];
  return s.failing ? std::optional<int64_t>(s.retry_at) : std::nullopt;
}

}  // namespace tranche::copy
