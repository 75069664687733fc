// Explicit sync's acquire wait queue: per-surface order, stall warnings once,
// disconnect deadlines, counters — driven with a fake clock.
#include <gtest/gtest.h>

#include "sync/wait_policy.hpp"

namespace tranche::sync {
namespace {

constexpr int64_t kMs = 1'000'000;

WaitInfo info(SurfaceKey surface, ClientKey client = 100, uint64_t point = 1) {
  return {.surface = surface, .client = client, .client_pid = 42,
          .surface_name = "wl_surface@" + std::to_string(surface), .point = point};
}

TEST(WaitQueue, FirstWaitOfASurfaceIsTheHead) {
  WaitQueue q;
  auto a = q.begin(info(1), 0);
  auto b = q.begin(info(1), 0);
  auto c = q.begin(info(2), 0);
  EXPECT_TRUE(a.head);
  EXPECT_FALSE(b.head);
  EXPECT_TRUE(c.head) << "another surface does not queue behind surface 1";
  EXPECT_TRUE(q.is_head(a.id));
  EXPECT_FALSE(q.is_head(b.id));
  EXPECT_EQ(q.size(), 3u);
}

TEST(WaitQueue, SignalledHeadHandsOverToTheNextCommitOfThatSurface) {
  WaitQueue q;
  auto a = q.begin(info(1), 0);
  auto b = q.begin(info(1), 0);
  auto other = q.begin(info(2), 0);
  EXPECT_EQ(q.signalled(a.id, 5 * kMs), b.id);
  EXPECT_TRUE(q.is_head(b.id));
  EXPECT_EQ(q.signalled(b.id, 6 * kMs), std::nullopt) << "the surface's queue is empty now";
  EXPECT_FALSE(q.has_waits(1));
  EXPECT_TRUE(q.has_waits(2));
  EXPECT_TRUE(q.is_head(other.id));
}

TEST(WaitQueue, SignalledNonHeadLeavesTheHeadAlone) {
  WaitQueue q;
  auto a = q.begin(info(1), 0);
  auto b = q.begin(info(1), 0);
  EXPECT_EQ(q.signalled(b.id, 1), std::nullopt);
  EXPECT_TRUE(q.is_head(a.id));
  EXPECT_EQ(q.signalled(b.id, 1), std::nullopt) << "twice is harmless";
  EXPECT_EQ(q.counters().commits_waited, 1u);
}

TEST(WaitQueue, CountsWaitTimes) {
  WaitQueue q;
  auto a = q.begin(info(1), 10 * kMs);
  auto b = q.begin(info(2), 10 * kMs);
  q.signalled(a.id, 14 * kMs);
  q.signalled(b.id, 30 * kMs);
  EXPECT_EQ(q.counters().commits_waited, 2u);
  EXPECT_DOUBLE_EQ(q.counters().total_wait_ms, 24.0);
  EXPECT_DOUBLE_EQ(q.counters().max_wait_ms, 20.0);
}

TEST(WaitQueue, DroppedSurfaceEndsItsWaitsUncounted) {
  WaitQueue q;
  auto a = q.begin(info(1), 0);
  auto b = q.begin(info(1), 0);
  auto c = q.begin(info(2), 0);
  auto dropped = q.drop_surface(1);
  EXPECT_EQ(dropped, (std::vector<WaitId>{a.id, b.id}));
  EXPECT_EQ(q.find(a.id), nullptr);
  EXPECT_NE(q.find(c.id), nullptr);
  EXPECT_EQ(q.counters().commits_waited, 0u);
  EXPECT_EQ(q.counters().waits_dropped, 2u);
  EXPECT_TRUE(q.drop_surface(1).empty());
  EXPECT_EQ(q.signalled(a.id, 1), std::nullopt) << "a late eventfd for a dropped wait is ignored";
}

TEST(WaitQueue, StallIsReportedOnceAfterTheWarningDeadline) {
  WaitQueue q;
  StallSettings s{.warn_after_ns = 1000 * kMs, .disconnect_after_ns = 0};
  auto a = q.begin(info(1), 0);
  EXPECT_EQ(q.next_deadline(s), 1000 * kMs);
  EXPECT_TRUE(q.due(999 * kMs, s).stalled.empty());
  auto due = q.due(1000 * kMs, s);
  EXPECT_EQ(due.stalled, (std::vector<WaitId>{a.id}));
  EXPECT_TRUE(due.disconnect.empty()) << "disconnect is off by default";
  EXPECT_TRUE(q.due(5000 * kMs, s).stalled.empty()) << "reported once";
  EXPECT_EQ(q.next_deadline(s), std::nullopt) << "nothing left to become due";
  EXPECT_EQ(q.counters().stalls, 1u);
}

TEST(WaitQueue, OneStallReportPerSurfaceUntilItRecovers) {
  WaitQueue q;
  StallSettings s{.warn_after_ns = 100 * kMs};
  auto a = q.begin(info(1), 0);
  auto b = q.begin(info(1), 50 * kMs);
  auto other = q.begin(info(2), 0);
  auto due = q.due(200 * kMs, s);
  EXPECT_EQ(due.stalled, (std::vector<WaitId>{a.id, other.id})) << "b stalls silently behind a";
  // Surface 1 recovers; a later stall is a new episode and is reported again.
  q.signalled(a.id, 210 * kMs);
  q.signalled(b.id, 210 * kMs);
  auto c = q.begin(info(1), 300 * kMs);
  EXPECT_EQ(q.due(400 * kMs, s).stalled, (std::vector<WaitId>{c.id}));
  EXPECT_EQ(q.counters().stalls, 3u);
}

TEST(WaitQueue, DisconnectsEachClientOnceAfterItsDeadline) {
  WaitQueue q;
  StallSettings s{.warn_after_ns = 100 * kMs, .disconnect_after_ns = 500 * kMs};
  auto a = q.begin(info(1, /*client=*/7), 0);
  q.begin(info(2, /*client=*/7), 0);  // same client, another surface
  auto c = q.begin(info(3, /*client=*/8), 100 * kMs);
  EXPECT_EQ(q.next_deadline(s), 100 * kMs);
  q.due(100 * kMs, s);
  EXPECT_EQ(q.next_deadline(s), 200 * kMs) << "c's warning";
  q.due(200 * kMs, s);
  EXPECT_EQ(q.next_deadline(s), 500 * kMs);
  auto due = q.due(500 * kMs, s);
  EXPECT_EQ(due.disconnect, (std::vector<WaitId>{a.id})) << "client 7 once; client 8 not yet";
  EXPECT_EQ(q.due(550 * kMs, s).disconnect.size(), 0u);
  EXPECT_EQ(q.due(600 * kMs, s).disconnect, (std::vector<WaitId>{c.id}));
  EXPECT_EQ(q.counters().disconnects, 2u);
}

TEST(WaitQueue, ZeroTurnsDeadlinesOff) {
  WaitQueue q;
  StallSettings off{.warn_after_ns = 0, .disconnect_after_ns = 0};
  q.begin(info(1), 0);
  EXPECT_EQ(q.next_deadline(off), std::nullopt);
  auto due = q.due(int64_t{1} << 60, off);
  EXPECT_TRUE(due.stalled.empty());
  EXPECT_TRUE(due.disconnect.empty());
}

TEST(WaitQueue, DescribeListsWaitsAndCounters) {
  WaitQueue q;
  auto a = q.begin(info(1, 100, 7), 0);
  q.begin(info(1, 100, 9), 0);
  q.due(2000 * kMs, {.warn_after_ns = 1000 * kMs});
  auto j = q.describe(2500 * kMs);
  ASSERT_EQ(j["waiting"].size(), 2u);
  EXPECT_EQ(j["waiting"][0]["id"], a.id);
  EXPECT_EQ(j["waiting"][0]["surface"], "wl_surface@1");
  EXPECT_EQ(j["waiting"][0]["client_pid"], 42);
  EXPECT_EQ(j["waiting"][0]["acquire_point"], 7);
  EXPECT_DOUBLE_EQ(j["waiting"][0]["waiting_ms"].get<double>(), 2500.0);
  EXPECT_EQ(j["waiting"][0]["stalled"], true);
  EXPECT_EQ(j["waiting"][0]["head"], true);
  EXPECT_EQ(j["waiting"][1]["head"], false);
  EXPECT_EQ(j["counters"]["stalls"], 1);
  EXPECT_EQ(j["counters"]["commits_waited"], 0);
}

}  // namespace
}  // namespace tranche::sync
