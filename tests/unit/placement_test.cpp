#include "placement.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tranche::placement {
namespace {

const Rect kArea{0, 0, 1280, 720};

TEST(Placement, FirstWindowIsCentred) {
  EXPECT_EQ(place(kArea, 400, 300, {}), (Point{440, 210}));
}

TEST(Placement, CentredInAnAreaThatDoesNotStartAtTheOrigin) {
  Rect area{1280, 30, 1280, 690};  // second output, a panel on top
  EXPECT_EQ(place(area, 400, 300, {}), (Point{1720, 225}));
}

TEST(Placement, SecondWindowCoversNothingOfTheFirst) {
  std::vector<Rect> windows{{440, 210, 400, 300}};
  Point p = place(kArea, 400, 300, windows);
  EXPECT_EQ(overlap({p.x, p.y, 400, 300}, windows[0]), 0);
  // Inside the area.
  EXPECT_GE(p.x, 0);
  EXPECT_GE(p.y, 0);
  EXPECT_LE(p.x + 400, 1280);
  EXPECT_LE(p.y + 300, 720);
}

TEST(Placement, AmongFreePlacesTheOneNearestTheCentre) {
  // A window on the left half: the free places are on the right, and the
  // nearest to the centre is right against it, vertically centred.
  std::vector<Rect> windows{{0, 0, 640, 720}};
  EXPECT_EQ(place(kArea, 400, 300, windows), (Point{640, 210}));
}

TEST(Placement, WindowsOfAnotherOutputDoNotCount) {
  std::vector<Rect> windows{{1280 + 440, 210, 400, 300}};
  EXPECT_EQ(place(kArea, 400, 300, windows), (Point{440, 210}));
}

TEST(Placement, LeastCoverWhenNothingIsFree) {
  // Two windows leave a 200 px column free on the right: a 400 px wide window
  // covers least with its right edge on the area's.
  std::vector<Rect> windows{{0, 0, 540, 720}, {540, 0, 540, 720}};
  Point p = place(kArea, 400, 300, windows);
  EXPECT_EQ(p.x, 880);
  long long cover = overlap({p.x, p.y, 400, 300}, windows[0]) + overlap({p.x, p.y, 400, 300}, windows[1]);
  EXPECT_EQ(cover, 200LL * 300);
}

TEST(Placement, FullOutputCascadesFromTheTopmostWindow) {
  std::vector<Rect> windows{{100, 80, 1000, 600}, {0, 0, 1280, 720}};
  EXPECT_EQ(place(kArea, 800, 500, windows), (Point{100 + kCascadeStep, 80 + kCascadeStep}));
}

TEST(Placement, CascadeWrapsToTheCornerAtTheEdge) {
  std::vector<Rect> windows{{470, 210, 800, 500}, {0, 0, 1280, 720}};
  EXPECT_EQ(place(kArea, 800, 500, windows), (Point{0, 0}));
}

TEST(Placement, LargerThanTheAreaGoesToItsCorner) {
  EXPECT_EQ(place(kArea, 2000, 1000, {}), (Point{0, 0}));
}

TEST(Placement, DialogCentredOnItsParent) {
  EXPECT_EQ(centre_on({100, 100, 600, 400}, kArea, 200, 100), (Point{300, 250}));
}

TEST(Placement, DialogKeptInTheArea) {
  EXPECT_EQ(centre_on({1100, 600, 200, 100}, kArea, 400, 300), (Point{880, 420}));
}

TEST(Placement, Overlap) {
  EXPECT_EQ(overlap({0, 0, 10, 10}, {5, 5, 10, 10}), 25);
  EXPECT_EQ(overlap({0, 0, 10, 10}, {10, 0, 10, 10}), 0);
}

}  // namespace
}  // namespace tranche::placement
