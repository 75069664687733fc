// When to composite an output and when to tell clients to draw.
//
// Sending frame callbacks right after composition (what most wlroots compositors
// do) makes a client's commit wait almost a whole refresh before it is shown.
// Instead we send frame callbacks just early enough for clients to draw, and
// composite just early enough to make the deadline, with budgets that adapt to
// how long clients and composition really take. Plain C++: unit tests drive it.
#pragma once

#include <array>
#include <cstdint>

namespace tranche {

class FrameScheduler {
 public:
  using Nanos = int64_t;  // CLOCK_MONOTONIC nanoseconds

  enum class Mode {
    // Presented at the next vblank after the commit (DRM): composite late in the
    // refresh, just before the vblank.
    Vblank,
    // Presented when committed, next frame event one period later (headless).
    PresentOnCommit,
    // The host paces us (nested): composite at once, frame callbacks right after.
    Immediate,
  };

  struct Plan {
    Nanos composite_at;
    Nanos frame_done_at;  // may be earlier than now: send at once
    // The frame event came while a composition was already planned: its frame
    // callbacks are armed or sent already, and one batch per frame is enough
    // (a second would have clients draw twice per refresh, once for nothing).
    bool already_planned = false;
  };

  static constexpr Nanos kMillisecond = 1'000'000;
  static constexpr Nanos kRenderMargin = kMillisecond;  // slack for the commit to reach KMS
  static constexpr Nanos kClientMargin = kMillisecond;  // slack for clients' own jitter
  static constexpr int kWindow = 30;                    // frames of history the budgets follow
  static constexpr int kClientOutliers = 2;             // slowest client frames the budget ignores

  FrameScheduler(Mode mode, Nanos period);

  void set_period(Nanos period) { period_ = period > 0 ? period : 16'666'667; }
  Mode mode() const { return mode_; }
  Nanos period() const { return period_; }

  // The output is ready for a new frame (page flip done, or headless frame tick).
  // A frame event while a composition is already planned (wlroots sends idle
  // frame events whenever a client commits between flips) keeps the planned
  // time: pushing it back each time would let a fast client starve the output.
  Plan on_frame(Nanos now);
  // The planned composition runs at `now` (call before composing). How late
  // its timer woke counts with the composition's duration: both come out of
  // the render budget.
  void composition_started(Nanos now) {
    wake_lateness_ = composite_due_ >= 0 && now > composite_due_ ? now - composite_due_ : 0;
    composite_due_ = -1;
  }

  // PresentOnCommit: a commit at `committed_at` starts the next period, so the
  // clients' callbacks go one period later, less the client budget.
  Nanos frame_done_after_commit(Nanos committed_at) const { return committed_at + period_ - client_budget(); }

  // Vblank: a frame was presented at `when`, the next refresh `refresh` later
  // (the present event's; 0: unknown, the period is used).
  void presented(Nanos when, Nanos refresh) {
    last_vblank_ = when;
    if (refresh > 0) vblank_period_ = refresh;
  }
  // The earliest a frame composed from `now` can be presented: the first vblank
  // after now (now itself before any presentation, and in the other modes).
  // What timed updates (commit-timing targets) are released against: a lower
  // bound, so that a composition quicker than its budget cannot show an update
  // a refresh before its target.
  Nanos earliest_present(Nanos now) const;

  // Measurements feeding the budgets.
  void composited(Nanos duration);       // how long one composition took
  void frame_done_sent(Nanos at);        // frame callbacks went out
  void client_committed(Nanos at);       // a client on this output committed

  // Frame callbacks go out at most about once per refresh: a client that commits
  // no damage must not be called back in a busy loop. This is the earliest time
  // the next batch may go (0 before the first).
  Nanos earliest_frame_done() const { return frame_done_at_ < 0 ? 0 : frame_done_at_ + period_ / 2; }

  // Time reserved for composition before the deadline, and for clients to draw
  // after their frame callback.
  Nanos render_budget() const;
  Nanos client_budget() const;

 private:
  static Nanos window_max(const std::array<Nanos, kWindow>& window);
  // The largest value once the kClientOutliers largest are set aside.
  static Nanos window_high(const std::array<Nanos, kWindow>& window);

  Mode mode_;
  Nanos period_;
  std::array<Nanos, kWindow> render_{};  // recent composition durations
  std::array<Nanos, kWindow> client_{};  // recent frame-callback-to-commit delays
  Nanos client_high_ = 0;                // window_high(client_)
  int render_next_ = 0;
  int client_next_ = 0;
  Nanos frame_done_at_ = -1;
  Nanos latest_commit_delay_ = -1;  // within the current frame-callback interval
  Nanos composite_due_ = -1;        // a planned composition that has not run yet
  Nanos wake_lateness_ = 0;         // the running composition started this late
  Nanos last_vblank_ = -1;          // the latest presentation (Vblank)
  Nanos vblank_period_ = 0;         // its refresh as the backend reported it; 0: period_
};

}  // namespace tranche
