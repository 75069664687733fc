#include "scanout/settle.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace tranche::scanout;

namespace {

// A driver that takes at most `planes` overlays and never `refused`.
struct FakeDriver {
  size_t planes = 8;
  std::optional<size_t> refused;
  int tests = 0;
  bool operator()(const std::vector<bool>& enabled) {
    ++tests;
    if (refused && enabled[*refused]) return false;
    return static_cast<size_t>(std::ranges::count(enabled, true)) <= planes;
  }
};

std::function<bool(const std::vector<bool>&)> tester(FakeDriver& driver) {
  return [&driver](const std::vector<bool>& enabled) { return driver(enabled); };
}

}  // namespace

TEST(SettleOverlays, OneRefusedCandidateDropsOnlyItself) {
  FakeDriver driver{.refused = 1};
  auto kept = settle_overlays({false, false, false}, tester(driver));
  ASSERT_TRUE(kept);
  EXPECT_EQ(*kept, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(driver.tests, 4);  // the composition alone, then each new overlay
}

TEST(SettleOverlays, KnownGoodOverlaysStayAndAreTestedFirst) {
  FakeDriver driver{.planes = 2};
  auto kept = settle_overlays({false, true, false}, tester(driver));
  ASSERT_TRUE(kept);
  // Overlay 1 was on a plane already; of the new ones, the first fits.
  EXPECT_EQ(*kept, (std::vector<bool>{true, true, false}));
  EXPECT_EQ(driver.tests, 3);
}

TEST(SettleOverlays, RefusedKnownGoodGivesUp) {
  FakeDriver driver{.refused = 0};
  EXPECT_FALSE(settle_overlays({true, false}, tester(driver)));
  EXPECT_EQ(driver.tests, 1);
}

TEST(SettleOverlays, NoPlanesKeepsNothing) {
  FakeDriver driver{.planes = 0};
  auto kept = settle_overlays({false, false}, tester(driver));
  ASSERT_TRUE(kept);
  EXPECT_EQ(*kept, (std::vector<bool>{false, false}));
}
