#include "input_method_policy.hpp"

#include <gtest/gtest.h>

namespace tranche::input_method {
namespace {

const Box kOutput{0, 0, 1280, 720};

TEST(InputPopup, BelowTheCursorLeftAligned) {
  EXPECT_EQ(place_popup({100, 200, 2, 16}, 300, 80, kOutput), std::make_pair(100, 216));
}

TEST(InputPopup, AboveWhenBelowLeavesTheOutput) {
  EXPECT_EQ(place_popup({100, 680, 2, 16}, 300, 80, kOutput), std::make_pair(100, 600));
}

TEST(InputPopup, ShiftedLeftAtTheRightEdge) {
  EXPECT_EQ(place_popup({1200, 100, 2, 16}, 300, 80, kOutput), std::make_pair(980, 116));
}

TEST(InputPopup, OnASecondOutput) {
  Box second{1280, 0, 1280, 720};
  EXPECT_EQ(place_popup({1290, 700, 2, 16}, 300, 80, second), std::make_pair(1290, 620));
}

TEST(InputPopup, LargerThanTheOutputKeepsItsTopLeftVisible) {
  EXPECT_EQ(place_popup({100, 100, 2, 16}, 2000, 1000, kOutput), std::make_pair(0, 0));
}

TEST(InputPopup, NeitherBelowNorAboveFitsStaysInside) {
  Box small{0, 0, 400, 100};
  EXPECT_EQ(place_popup({10, 40, 2, 16}, 50, 60, small), std::make_pair(10, 40));
}

TEST(GrabbedKeys, PressAndReleaseGoToTheGrab) {
  GrabbedKeys keys;
  int kb = 0;
  EXPECT_TRUE(keys.route(&kb, 30, true, true));
  EXPECT_TRUE(keys.route(&kb, 30, false, true));
  EXPECT_EQ(keys.size(), 0u);
}

TEST(GrabbedKeys, KeyPressedBeforeTheGrabIsReleasedToTheClient) {
  GrabbedKeys keys;
  int kb = 0;
  EXPECT_FALSE(keys.route(&kb, 30, true, false));
  EXPECT_FALSE(keys.route(&kb, 30, false, true));
}

TEST(GrabbedKeys, NoGrabNothingGrabbed) {
  GrabbedKeys keys;
  int kb = 0;
  EXPECT_FALSE(keys.route(&kb, 30, true, false));
  EXPECT_EQ(keys.size(), 0u);
}

TEST(GrabbedKeys, PerKeyboard) {
  GrabbedKeys keys;
  int a = 0, b = 0;
  EXPECT_TRUE(keys.route(&a, 30, true, true));
  EXPECT_FALSE(keys.route(&b, 30, false, true));  // b's key 30 was never grabbed
  keys.forget(&a);
  EXPECT_FALSE(keys.route(&a, 30, false, true));
}

}  // namespace
}  // namespace tranche::input_method
