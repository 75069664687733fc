#include "frame_scheduler.hpp"

#include <algorithm>
#include <functional>

namespace tranche {

FrameScheduler::FrameScheduler(Mode mode, Nanos period) : mode_(mode), period_(0) { set_period(period); }

FrameScheduler::Nanos FrameScheduler::window_max(const std::array<Nanos, kWindow>& window) {
  return *std::max_element(window.begin(), window.end());
}

FrameScheduler::Nanos FrameScheduler::window_high(const std::array<Nanos, kWindow>& window) {
  std::array<Nanos, kWindow> sorted = window;
  std::nth_element(sorted.begin(), sorted.begin() + kClientOutliers, sorted.end(), std::greater<>());
  return sorted[kClientOutliers];
}

FrameScheduler::Nanos FrameScheduler::render_budget() const {
  return std::clamp(window_max(render_) + kRenderMargin, kMillisecond, period_);
}

FrameScheduler::Nanos FrameScheduler::earliest_present(Nanos now) const {
  if (mode_ != Mode::Vblank || last_vblank_ < 0) return now;
  Nanos period = vblank_period_ > 0 ? vblank_period_ : period_;
  if (now < last_vblank_) return last_vblank_;
  return last_vblank_ + ((now - last_vblank_) / period + 1) * period;
}

FrameScheduler::Nanos FrameScheduler::client_budget() const {
  // Until clients have been seen, assume they need a couple of milliseconds.
  // The few slowest frames are ignored: waiting for them on every frame would
  // cost all frames latency to save those few one late frame each.
  Nanos seen = client_high_;
  Nanos budget = seen > 0 ? seen + kClientMargin : 2 * kMillisecond;
  return std::clamp(budget, kMillisecond, period_ - kMillisecond);
}

FrameScheduler::Plan FrameScheduler::on_frame(Nanos now) {
  switch (mode_) {
    case Mode::Vblank: {
      // The deadline is the next vblank, from the presentation timestamps
      // once known: the frame event itself can come late (a busy machine),
      // and a period counted from it would plan past that vblank.
      Nanos next = last_vblank_ >= 0 ? earliest_present(now) : now + period_;
      Nanos composite_at = std::max(now, next - render_budget());
      bool already_planned = composite_due_ >= 0;
      if (already_planned) composite_at = std::min(composite_at, composite_due_);
      composite_due_ = composite_at;
      return {composite_at, composite_at - client_budget(), already_planned};
    }
    case Mode::PresentOnCommit:
      // The next tick comes one period after this commit: have clients draw before it.
      return {now, now + period_ - client_budget()};
    case Mode::Immediate:
      break;
  }
  return {now, now};
}

void FrameScheduler::composited(Nanos duration) {
  render_[render_next_] = std::max<Nanos>(duration, 0) + wake_lateness_;
  render_next_ = (render_next_ + 1) % kWindow;
}

void FrameScheduler::frame_done_sent(Nanos at) {
  // Close the previous interval: its latest commit is one sample of client delay.
  if (frame_done_at_ >= 0) {
    client_[client_next_] = std::max<Nanos>(latest_commit_delay_, 0);
    client_next_ = (client_next_ + 1) % kWindow;
    client_high_ = window_high(client_);  // once per sample: the budget is asked for more often
  }
  frame_done_at_ = at;
  latest_commit_delay_ = -1;
}

void FrameScheduler::client_committed(Nanos at) {
  if (frame_done_at_ < 0) return;
  Nanos delay = at - frame_done_at_;
  // Commits a whole period late were not answering our callback (timer-driven
  // clients); they must not push the budget to its maximum.
  if (delay < 0 || delay >= period_) return;
  latest_commit_delay_ = std::max(latest_commit_delay_, delay);
}

}  // namespace tranche
