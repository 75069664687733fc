#include <gtest/gtest.h>

#include "frame_scheduler.hpp"

using tranche::FrameScheduler;
using Mode = FrameScheduler::Mode;

namespace {
constexpr FrameScheduler::Nanos ms = FrameScheduler::kMillisecond;
constexpr FrameScheduler::Nanos kPeriod = 16'666'667;
}  // namespace

TEST(FrameScheduler, ImmediateCompositesAndCallsBackAtOnce) {
  FrameScheduler s(Mode::Immediate, kPeriod);
  auto plan = s.on_frame(1000 * ms);
  EXPECT_EQ(plan.composite_at, 1000 * ms);
  EXPECT_EQ(plan.frame_done_at, 1000 * ms);
}

TEST(FrameScheduler, VblankCompositesJustBeforeTheNextVblank) {
  FrameScheduler s(Mode::Vblank, kPeriod);
  for (int i = 0; i < 5; ++i) s.composited(3 * ms);
  auto plan = s.on_frame(0);
  EXPECT_EQ(s.render_budget(), 3 * ms + FrameScheduler::kRenderMargin);
  EXPECT_EQ(plan.composite_at, kPeriod - s.render_budget());
  EXPECT_EQ(plan.frame_done_at, plan.composite_at - s.client_budget());
  EXPECT_GT(plan.frame_done_at, 0);
}

TEST(FrameScheduler, AFrameEventBeforeThePlannedCompositionKeepsItsTime) {
  FrameScheduler s(Mode::Vblank, kPeriod);
  for (int i = 0; i < 5; ++i) s.composited(3 * ms);
  auto planned = s.on_frame(0);
  EXPECT_FALSE(planned.already_planned);
  // Idle frame events (a client committed between flips) must not push the
  // composition back, or a client committing every few ms starves the output.
  for (FrameScheduler::Nanos t = 2 * ms; t < planned.composite_at; t += 2 * ms) {
    auto again = s.on_frame(t);
    EXPECT_EQ(again.composite_at, planned.composite_at) << "at " << t;
    EXPECT_EQ(again.frame_done_at, planned.frame_done_at) << "at " << t;
    EXPECT_TRUE(again.already_planned) << "at " << t;  // no second batch of callbacks
  }
  // Once it ran, the next frame event plans afresh.
  s.composition_started(planned.composite_at);
  auto next = s.on_frame(20 * ms);
  EXPECT_EQ(next.composite_at, 20 * ms + kPeriod - s.render_budget());
  EXPECT_FALSE(next.already_planned);
}

TEST(FrameScheduler, RenderBudgetFollowsTheSlowestRecentFrameThenForgetsIt) {
  FrameScheduler s(Mode::Vblank, kPeriod);
  s.composited(9 * ms);
  for (int i = 0; i < FrameScheduler::kWindow - 1; ++i) s.composited(2 * ms);
  EXPECT_EQ(s.render_budget(), 9 * ms + FrameScheduler::kRenderMargin);
  s.composited(2 * ms);  // the slow frame leaves the window
  EXPECT_EQ(s.render_budget(), 2 * ms + FrameScheduler::kRenderMargin);
}

TEST(FrameScheduler, RenderBudgetNeverExceedsThePeriod) {
  FrameScheduler s(Mode::Vblank, kPeriod);
  s.composited(50 * ms);
  EXPECT_EQ(s.render_budget(), kPeriod);
  EXPECT_EQ(s.on_frame(0).composite_at, 0);  // no time to wait: composite now
}

TEST(FrameScheduler, PresentOnCommitCallsClientsBackBeforeTheNextTick) {
  FrameScheduler s(Mode::PresentOnCommit, kPeriod);
  auto plan = s.on_frame(100 * ms);
  EXPECT_EQ(plan.composite_at, 100 * ms);
  EXPECT_EQ(plan.frame_done_at, 100 * ms + kPeriod - s.client_budget());
}

TEST(FrameScheduler, PresentOnCommitCountsThePeriodFromTheCommit) {
  FrameScheduler s(Mode::PresentOnCommit, kPeriod);
  // Composition took 3 ms after the frame event: the next tick is 3 ms later too.
  EXPECT_EQ(s.frame_done_after_commit(103 * ms), 103 * ms + kPeriod - s.client_budget());
}

TEST(FrameScheduler, ClientBudgetLearnsHowLongClientsTakeToCommit) {
  FrameScheduler s(Mode::PresentOnCommit, kPeriod);
  FrameScheduler::Nanos t = 0;
  for (int frame = 0; frame < 5; ++frame) {
    s.frame_done_sent(t);
    s.client_committed(t + 1 * ms);
    s.client_committed(t + 4 * ms);  // the slowest client sets the pace
    t += kPeriod;
  }
  s.frame_done_sent(t);
  EXPECT_EQ(s.client_budget(), 4 * ms + FrameScheduler::kClientMargin);
}

TEST(FrameScheduler, ClientBudgetIgnoresTheRareSlowestFrames) {
  FrameScheduler s(Mode::PresentOnCommit, kPeriod);
  FrameScheduler::Nanos t = 0;
  auto frame = [&](FrameScheduler::Nanos delay) {
    s.frame_done_sent(t);
    s.client_committed(t + delay);
    t += kPeriod;
  };
  for (int i = 0; i < 20; ++i) frame(2 * ms);
  frame(9 * ms);
  frame(8 * ms);
  s.frame_done_sent(t);
  EXPECT_EQ(s.client_budget(), 2 * ms + FrameScheduler::kClientMargin);
  frame(7 * ms);  // a third slow frame is a pattern, not an outlier
  s.frame_done_sent(t);
  EXPECT_EQ(s.client_budget(), 7 * ms + FrameScheduler::kClientMargin);
}

TEST(FrameScheduler, CommitsUnrelatedToCallbacksDoNotInflateTheBudget) {
  FrameScheduler s(Mode::PresentOnCommit, kPeriod);
  FrameScheduler::Nanos t = 0;
  for (int frame = 0; frame < 5; ++frame) {
    s.frame_done_sent(t);
    s.client_committed(t - 5 * ms);           // before the callback
    s.client_committed(t + kPeriod + ms);     // more than a period later
    s.client_committed(t + 2 * ms);           // an answer to the callback
    t += kPeriod;
  }
  s.frame_done_sent(t);
  EXPECT_EQ(s.client_budget(), 2 * ms + FrameScheduler::kClientMargin);
}

TEST(FrameScheduler, ClientBudgetIsBounded) {
  FrameScheduler s(Mode::PresentOnCommit, kPeriod);
  EXPECT_GE(s.client_budget(), FrameScheduler::kMillisecond);
  FrameScheduler::Nanos t = 0;
  for (int frame = 0; frame < 5; ++frame) {
    s.frame_done_sent(t);
    s.client_committed(t + kPeriod - 1);
    t += kPeriod;
  }
  s.frame_done_sent(t);
  EXPECT_EQ(s.client_budget(), kPeriod - FrameScheduler::kMillisecond);
}

TEST(FrameScheduler, PeriodFollowsTheRefreshRate) {
  FrameScheduler s(Mode::Vblank, kPeriod);
  s.set_period(6'944'444);  // 144 Hz
  EXPECT_EQ(s.period(), 6'944'444);
  s.set_period(0);  // unknown refresh: assume 60 Hz
  EXPECT_EQ(s.period(), 16'666'667);
}

TEST(FrameScheduler, FrameCallbacksArePacedToTheRefresh) {
  FrameScheduler s(Mode::PresentOnCommit, kPeriod);
  EXPECT_EQ(s.earliest_frame_done(), 0);
  s.frame_done_sent(100 * ms);
  EXPECT_EQ(s.earliest_frame_done(), 100 * ms + kPeriod / 2);
}

TEST(FrameScheduler, EarliestPresentIsTheNextVblank) {
  FrameScheduler s(Mode::Vblank, kPeriod);
  EXPECT_EQ(s.earliest_present(5 * ms), 5 * ms);  // no presentation yet: at once
  s.presented(100 * ms, 16'665'555);             // vkms's refresh, not the mode's rounded one
  EXPECT_EQ(s.earliest_present(101 * ms), 100 * ms + 16'665'555);
  EXPECT_EQ(s.earliest_present(100 * ms + 16'665'555), 100 * ms + 2 * 16'665'555);  // that one is taken
  EXPECT_EQ(s.earliest_present(150 * ms), 100 * ms + 4 * 16'665'555);
  FrameScheduler headless(Mode::PresentOnCommit, kPeriod);
  headless.presented(100 * ms, 0);
  EXPECT_EQ(headless.earliest_present(101 * ms), 101 * ms);
}

TEST(FrameScheduler, ALateFrameEventStillCompositesBeforeTheNextVblank) {
  FrameScheduler s(Mode::Vblank, kPeriod);
  for (int i = 0; i < 5; ++i) s.composited(3 * ms);
  s.presented(100 * ms, kPeriod);
  // The flip's event reaches us 5 ms after its vblank: the deadline is still
  // the vblank after it, not a period after the event.
  auto plan = s.on_frame(105 * ms);
  EXPECT_EQ(plan.composite_at, 100 * ms + kPeriod - s.render_budget());
  // Too late for that vblank's budget: compose at once, for the one after.
  FrameScheduler late(Mode::Vblank, kPeriod);
  for (int i = 0; i < 5; ++i) late.composited(3 * ms);
  late.presented(100 * ms, kPeriod);
  late.composition_started(90 * ms);
  EXPECT_EQ(late.on_frame(114 * ms).composite_at, 114 * ms);
}

TEST(FrameScheduler, ALateWakeUpCountsInTheRenderBudget) {
  FrameScheduler s(Mode::Vblank, kPeriod);
  auto plan = s.on_frame(0);
  s.composition_started(plan.composite_at + 2 * ms);  // the timer woke 2 ms late
  s.composited(3 * ms);
  EXPECT_EQ(s.render_budget(), 5 * ms + FrameScheduler::kRenderMargin);
  s.composition_started(-1);  // unplanned (a frame event with the deadline passed): not late
  s.composited(4 * ms);
  EXPECT_EQ(s.render_budget(), 5 * ms + FrameScheduler::kRenderMargin);
}
