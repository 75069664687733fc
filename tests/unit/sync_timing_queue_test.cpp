// fifo barriers and commit-timing targets for one surface (sync/timing_queue).
#include <gtest/gtest.h>

#include "sync/timing_queue.hpp"

namespace tranche::sync {
namespace {

constexpr int64_t kMs = 1'000'000;

TimedUpdate fifo(uint32_t seq) { return {.seq = seq, .set_barrier = true, .wait_barrier = true}; }

TEST(TimingQueue, PlainUpdatesApplyAtOnce) {
  TimingQueue q;
  EXPECT_FALSE(q.commit({.seq = 1}, 0));
  EXPECT_FALSE(q.commit({.seq = 2}, 0));
  EXPECT_EQ(q.held(), 0u);
  EXPECT_FALSE(q.barrier());
}

TEST(TimingQueue, BarrierHoldsTheNextFifoUpdateUntilTheLatch) {
  TimingQueue q;
  EXPECT_FALSE(q.commit(fifo(1), 0));  // nothing set yet: applies, sets the barrier
  EXPECT_TRUE(q.barrier());
  EXPECT_TRUE(q.commit(fifo(2), 0));   // waits for it
  EXPECT_TRUE(q.commit(fifo(3), 0));
  EXPECT_TRUE(q.head_waits_for_barrier());
  EXPECT_TRUE(q.take_ready(0).empty());  // no latch yet
  q.clear_barrier();                     // the latch showed 1
  EXPECT_EQ(q.take_ready(0), std::vector<uint32_t>{2});  // one per latch: 2 sets the barrier again
  EXPECT_TRUE(q.barrier());
  q.clear_barrier();
  EXPECT_EQ(q.take_ready(0), std::vector<uint32_t>{3});
  EXPECT_EQ(q.held(), 0u);
}

TEST(TimingQueue, BarrierSeqNamesTheUpdateThatSetIt) {
  TimingQueue q;
  q.commit(fifo(1), 0);
  EXPECT_EQ(q.barrier_seq(), 1u);  // applied at commit
  q.commit(fifo(2), 0);
  EXPECT_EQ(q.barrier_seq(), 1u);  // held: not set by 2 yet
  q.clear_barrier();
  q.take_ready(0);
  EXPECT_EQ(q.barrier_seq(), 2u);  // released: the glue waits for it to apply
}

TEST(TimingQueue, WaitWithoutSetDoesNotBlockLaterOnes) {
  TimingQueue q;
  q.commit(fifo(1), 0);
  EXPECT_TRUE(q.commit({.seq = 2, .wait_barrier = true}, 0));
  EXPECT_TRUE(q.commit({.seq = 3}, 0));  // behind a held one: held too, never overtakes
  q.clear_barrier();
  EXPECT_EQ(q.take_ready(0), (std::vector<uint32_t>{2, 3}));  // 2 set no barrier
  EXPECT_FALSE(q.barrier());
}

TEST(TimingQueue, UpdateWithoutWaitIgnoresTheBarrier) {
  TimingQueue q;
  q.commit(fifo(1), 0);
  EXPECT_FALSE(q.commit({.seq = 2}, 0));  // no wait_barrier, nothing held: applies
  EXPECT_TRUE(q.barrier());               // the barrier of 1 stays
}

TEST(TimingQueue, TargetTimeIsNeverEarly) {
  TimingQueue q;
  EXPECT_TRUE(q.commit({.seq = 1, .target_ns = 100 * kMs}, 90 * kMs));
  EXPECT_EQ(q.head_target(), 100 * kMs);
  EXPECT_TRUE(q.take_ready(99 * kMs).empty());
  EXPECT_EQ(q.take_ready(100 * kMs), std::vector<uint32_t>{1});  // presented at the target: fine
}

TEST(TimingQueue, PastTargetAppliesAtOnce) {
  TimingQueue q;
  EXPECT_FALSE(q.commit({.seq = 1, .target_ns = 10 * kMs}, 16 * kMs));
}

TEST(TimingQueue, TargetAndBarrierBothMustHold) {
  TimingQueue q;
  q.commit(fifo(1), 0);
  EXPECT_TRUE(q.commit({.seq = 2, .wait_barrier = true, .target_ns = 50 * kMs}, 0));
  q.clear_barrier();
  EXPECT_TRUE(q.take_ready(40 * kMs).empty());  // barrier gone, target not reached
  EXPECT_EQ(q.take_ready(50 * kMs), std::vector<uint32_t>{2});
}

TEST(TimingQueue, LaterTargetsWaitBehindEarlierOnes) {
  TimingQueue q;
  EXPECT_TRUE(q.commit({.seq = 1, .target_ns = 50 * kMs}, 0));
  EXPECT_TRUE(q.commit({.seq = 2, .target_ns = 20 * kMs}, 0));  // earlier target, but committed later
  EXPECT_TRUE(q.take_ready(30 * kMs).empty());
  EXPECT_EQ(q.take_ready(50 * kMs), (std::vector<uint32_t>{1, 2}));
}

TEST(TimingQueue, DropForgetsEverything) {
  TimingQueue q;
  q.commit(fifo(1), 0);
  q.commit(fifo(2), 0);
  q.drop();
  EXPECT_EQ(q.held(), 0u);
  EXPECT_FALSE(q.barrier());
  EXPECT_FALSE(q.head_target());
}

}  // namespace
}  // namespace tranche::sync
