// When a content update may apply: fifo-v1 barriers and commit-timing-v1
// target times, for one surface. Plain C++; protocols/surface_timing.cpp is the
// wlroots glue, tests/unit drives this with made-up clocks.
//
// fifo: an update with set_barrier sets the surface's barrier when it applies;
// the barrier clears right after the next latch (the composition that showed
// it), or on the invisible-surface tick. An update with wait_barrier does not
// apply while the barrier is set. commit-timing: an update with a target time
// applies only for a frame presented at or after it. Held updates apply in
// commit order: the first that must wait holds every later one.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace tranche::sync {

struct TimedUpdate {
  uint32_t seq = 0;                  // what the glue needs to release it (wlroots' cached-state seq)
  bool set_barrier = false;
  bool wait_barrier = false;
  std::optional<int64_t> target_ns;  // CLOCK_MONOTONIC
};

class TimingQueue {
 public:
  // An update committed. `present_ns` is the earliest the next latch can be
  // presented. true: hold it (release it when take_ready() names it); false: it
  // applies now, and its barrier, if any, is set.
  bool commit(const TimedUpdate& update, int64_t present_ns);
  // The latch after the barrier's update has passed (or the surface is not
  // shown anywhere and its refresh tick came): the barrier is gone.
  void clear_barrier() { barrier_ = false; }
  // The held updates that may apply for a frame presented at `present_ns`, in
  // order, taken out of the queue; each one's barrier is set as it applies.
  std::vector<uint32_t> take_ready(int64_t present_ns);
  // The surface is gone: its updates go with it, unapplied.
  void drop() { held_.clear(); barrier_ = false; }

  bool barrier() const { return barrier_; }
  // The update that set the barrier: released here, it may still wait for
  // something else (an explicit-sync acquire point), and the barrier must not
  // clear before a latch has shown it.
  uint32_t barrier_seq() const { return barrier_seq_; }
  size_t held() const { return held_.size(); }
  // The head's reason to wait, for the glue's timers and frames.
  bool head_waits_for_barrier() const;
  std::optional<int64_t> head_target() const;

 private:
  bool may_apply(const TimedUpdate& update, int64_t present_ns) const;
  void raise_barrier(uint32_t seq) {
    barrier_ = true;
    barrier_seq_ = seq;
  }
  std::deque<TimedUpdate> held_;
  bool barrier_ = false;
  uint32_t barrier_seq_ = 0;
};

}  // namespace tranche::sync
