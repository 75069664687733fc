// Explicit sync's release points: signalled once a buffer is no longer read,
// never before, never forgotten.
#include <gtest/gtest.h>

#include "sync/release_tracker.hpp"

namespace tranche::sync {
namespace {

TEST(ReleaseTracker, NothingIsReleasedBeforeTheBufferIs) {
  ReleaseTracker t;
  EXPECT_TRUE(t.track(1, {.timeline = 10, .point = 2}));
  EXPECT_TRUE(t.watching(1));
  EXPECT_TRUE(t.released(2).empty()) << "another buffer's release does not signal buffer 1's point";
  EXPECT_EQ(t.pending(), 1u);
  EXPECT_EQ(t.signalled(), 0u);
}

TEST(ReleaseTracker, ReleaseSignalsThePointOnce) {
  ReleaseTracker t;
  t.track(1, {10, 2});
  EXPECT_EQ(t.released(1), (std::vector<ReleasePoint>{{10, 2}}));
  EXPECT_FALSE(t.watching(1));
  EXPECT_TRUE(t.released(1).empty()) << "a second release (a later commit's) finds nothing to signal";
  EXPECT_EQ(t.signalled(), 1u);
  EXPECT_EQ(t.pending(), 0u);
}

TEST(ReleaseTracker, ABufferCommittedTwiceReleasesBothPointsWhenTheLastUseEnds) {
  ReleaseTracker t;
  EXPECT_TRUE(t.track(1, {10, 2}));
  EXPECT_FALSE(t.track(1, {11, 5})) << "already watched: no second listener";
  EXPECT_EQ(t.released(1), (std::vector<ReleasePoint>{{10, 2}, {11, 5}}));
}

TEST(ReleaseTracker, ATrackedBufferAfterReleaseIsWatchedAgain) {
  ReleaseTracker t;
  t.track(1, {10, 2});
  t.released(1);
  EXPECT_TRUE(t.track(1, {10, 4}));
  EXPECT_EQ(t.released(1), (std::vector<ReleasePoint>{{10, 4}}));
}

TEST(ReleaseTracker, BuffersAreIndependent) {
  ReleaseTracker t;
  t.track(1, {10, 2});
  t.track(2, {20, 2});
  EXPECT_EQ(t.released(2), (std::vector<ReleasePoint>{{20, 2}}));
  EXPECT_TRUE(t.watching(1));
  EXPECT_EQ(t.pending(), 1u);
}

TEST(ReleaseTracker, ReleaseAllForgetsNothing) {
  ReleaseTracker t;
  t.track(1, {10, 2});
  t.track(2, {20, 3});
  t.track(2, {20, 5});
  auto all = t.release_all();
  EXPECT_EQ(all.size(), 3u);
  EXPECT_EQ(t.pending(), 0u);
  EXPECT_EQ(t.signalled(), 3u);
  EXPECT_FALSE(t.watching(1));
}

TEST(ReleaseTracker, Describe) {
  ReleaseTracker t;
  t.track(1, {10, 2});
  t.track(1, {10, 3});
  t.track(2, {20, 3});
  t.released(2);
  auto j = t.describe();
  EXPECT_EQ(j["releases_pending"], 2);
  EXPECT_EQ(j["releases_signalled"], 1);
  EXPECT_EQ(j["buffers_watched"], 1);
}

}  // namespace
}  // namespace tranche::sync
