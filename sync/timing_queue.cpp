#include "sync/timing_queue.hpp"

namespace tranche::sync {

bool TimingQueue::may_apply(const TimedUpdate& update, int64_t present_ns) const {
  if (update.wait_barrier && barrier_) return false;
  if (update.target_ns && *update.target_ns > present_ns) return false;
  return true;
}

bool TimingQueue::commit(const TimedUpdate& update, int64_t present_ns) {
  if (held_.empty() && may_apply(update, present_ns)) {
    if (update.set_barrier) raise_barrier(update.seq);
    return false;
  }
  held_.push_back(update);
  return true;
}

std::vector<uint32_t> TimingQueue::take_ready(int64_t present_ns) {
  std::vector<uint32_t> ready;
  while (!held_.empty() && may_apply(held_.front(), present_ns)) {
    if (held_.front().set_barrier) raise_barrier(held_.front().seq);
    ready.push_back(held_.front().seq);
    held_.pop_front();
  }
  return ready;
}

bool TimingQueue::head_waits_for_barrier() const {
  return !held_.empty() && held_.front().wait_barrier && barrier_;
}

std::optional<int64_t> TimingQueue::head_target() const {
  if (held_.empty()) return std::nullopt;
  return held_.front().target_ns;
}

}  // namespace tranche::sync
