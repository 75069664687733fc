#include "scanout/update_rate.hpp"

#include <gtest/gtest.h>

using tranche::scanout::UpdateRates;

namespace {
constexpr int64_t ms = 1'000'000;
}

TEST(UpdateRates, CountsNewContentsInTheLastSecond) {
  UpdateRates rates;
  // 60 frames over one second, each with a new commit.
  for (uint32_t i = 0; i < 60; ++i) rates.observe(7, i, 1000 * ms + i * 16 * ms);
  EXPECT_EQ(rates.per_second(7, 1000 * ms + 59 * 16 * ms), 59u);  // the first sight is no change
  // A second later without new commits: nothing is recent.
  EXPECT_EQ(rates.per_second(7, 3000 * ms), 0u);
}

TEST(UpdateRates, ShownAgainWithoutACommitIsNoUpdate) {
  UpdateRates rates;
  for (int i = 0; i < 30; ++i) rates.observe(1, 5, i * 16 * ms);
  EXPECT_EQ(rates.per_second(1, 29 * 16 * ms), 0u);
  rates.observe(1, 6, 30 * 16 * ms);
  EXPECT_EQ(rates.per_second(1, 30 * 16 * ms), 1u);
}

TEST(UpdateRates, SurfacesAreCountedApartAndForgotten) {
  UpdateRates rates;
  rates.observe(1, 0, 0);
  rates.observe(2, 0, 0);
  rates.observe(1, 1, 10 * ms);
  EXPECT_EQ(rates.per_second(1, 10 * ms), 1u);
  EXPECT_EQ(rates.per_second(2, 10 * ms), 0u);
  rates.observe(2, 1, 1500 * ms);
  rates.expire(1500 * ms);  // 1 was last seen 1.49 s ago
  EXPECT_EQ(rates.per_second(1, 1500 * ms), 0u);
  EXPECT_EQ(rates.per_second(2, 1500 * ms), 1u);
  rates.observe(1, 2, 1600 * ms);  // seen again: a first sight, not a change
  EXPECT_EQ(rates.per_second(1, 1600 * ms), 0u);
}
