#include "scanout/tearing.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace tranche::scanout;

TEST(Tearing, OnlyAnAsyncHintAsks) {
  EXPECT_EQ(plan_tearing(false, true, true), Tearing::NotRequested);
  EXPECT_EQ(plan_tearing(false, false, false), Tearing::NotRequested);
}

TEST(Tearing, TheConfigurationComesFirst) {
  EXPECT_EQ(plan_tearing(true, false, true), Tearing::DisabledByConfig);
  EXPECT_EQ(plan_tearing(true, false, false), Tearing::DisabledByConfig);
}

TEST(Tearing, OnlyADirectlyScannedOutBufferTears) {
  EXPECT_EQ(plan_tearing(true, true, false), Tearing::NotScannedOut);
  EXPECT_EQ(plan_tearing(true, true, true), Tearing::Async);
}

TEST(Tearing, NamesAreDistinct) {
  std::string names[] = {tearing_name(Tearing::NotRequested), tearing_name(Tearing::Async),
                         tearing_name(Tearing::DisabledByConfig), tearing_name(Tearing::NotScannedOut),
                         tearing_name(Tearing::RefusedByDriver)};
  for (size_t i = 0; i < std::size(names); ++i)
    for (size_t j = i + 1; j < std::size(names); ++j) EXPECT_NE(names[i], names[j]);
}
