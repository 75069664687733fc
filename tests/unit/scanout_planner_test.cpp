#include <gtest/gtest.h>

#include <vector>

#include "scanout_test_util.hpp"

using namespace scanout_test;
using R = Reason;

namespace {

Plan plan(const OutputPlanes& out, const std::vector<Candidate>& cs, PlannerConfig config = {}) {
  return plan_output(out, cs, config);
}

const Rect kWindow{100, 100, 640, 480};
const Rect kPopup{200, 200, 300, 200};

}  // namespace

TEST(Planner, FullscreenDmabufGoesOnThePrimaryPlane) {
  std::vector cs{background(), dmabuf(1, full())};
  Plan p = plan(vkms_output(), cs);
  EXPECT_EQ(p.decisions[0].path, Path::Hidden);
  EXPECT_TRUE(p.decisions[0].reasons.empty());
  EXPECT_EQ(p.decisions[1].path, Path::Primary);
  EXPECT_TRUE(p.decisions[1].reasons.empty());
  EXPECT_EQ(p.primary, 1u);
  EXPECT_TRUE(p.overlays.empty());
}

TEST(Planner, FullscreenShmIsCompositedNotDmabuf) {
  std::vector cs{background(), shm(1, full())};
  Plan p = plan(vkms_output(), cs);
  EXPECT_EQ(p.decisions[1].path, Path::Composited);
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::NotDmabuf}));
  EXPECT_FALSE(p.primary);
}

TEST(Planner, DirectScanoutOffIsDisabledByConfig) {
  std::vector cs{dmabuf(1, full())};
  Plan p = plan(vkms_output(), cs, {.direct_scanout = false, .overlays = true});
  EXPECT_EQ(p.decisions[0].path, Path::Composited);
  EXPECT_EQ(p.decisions[0].reasons, (Reasons{R::DisabledByConfig}));
  EXPECT_FALSE(p.primary);
}

TEST(Planner, WindowedDmabufGoesOnTheHighestOverlay) {
  std::vector cs{background(), dmabuf(1, kWindow)};
  Plan p = plan(vkms_output(), cs);
  EXPECT_EQ(p.decisions[0].path, Path::Composited);  // the background is the base
  EXPECT_TRUE(p.decisions[0].reasons.empty());
  EXPECT_EQ(p.decisions[1].path, Path::Overlay);
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::NotFullscreen}));
  EXPECT_FALSE(p.primary);
  EXPECT_EQ(p.overlays, (std::vector<size_t>{1}));
}

TEST(Planner, DecorationAboveOverlappingOccludesTheWindow) {
  std::vector cs{background(), dmabuf(1, kWindow), decoration({100, 80, 640, 30})};
  Plan p = plan(vkms_output(), cs);
  EXPECT_EQ(p.decisions[1].path, Path::Composited);
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::Occluded, R::NotFullscreen}));
  EXPECT_EQ(p.decisions[2].path, Path::Composited);
  EXPECT_TRUE(p.decisions[2].reasons.empty());
  EXPECT_TRUE(p.overlays.empty());
}

TEST(Planner, DecorationTouchingOnlyTheEdgeDoesNotOcclude) {
  std::vector cs{background(), dmabuf(1, kWindow), decoration({100, 70, 640, 30})};
  Plan p = plan(vkms_output(), cs);
  EXPECT_EQ(p.decisions[1].path, Path::Overlay);
}

TEST(Planner, CompositedContentBelowAWindowDoesNotOcclude) {
  std::vector cs{background(), decoration({100, 80, 640, 30}), dmabuf(1, kWindow)};
  Plan p = plan(vkms_output(), cs);
  EXPECT_EQ(p.decisions[2].path, Path::Overlay);
}

TEST(Planner, MoreWindowsThanOverlaysLeavesTheLowestWithoutAPlane) {
  std::vector cs{background(), dmabuf(1, {0, 0, 100, 100}), dmabuf(2, {200, 0, 100, 100}),
                 dmabuf(3, {400, 0, 100, 100}), dmabuf(4, {600, 0, 100, 100})};
  Plan p = plan(vkms_output(3), cs);
  EXPECT_EQ(p.decisions[4].path, Path::Overlay);
  EXPECT_EQ(p.decisions[3].path, Path::Overlay);
  EXPECT_EQ(p.decisions[2].path, Path::Overlay);
  EXPECT_EQ(p.decisions[1].path, Path::Composited);
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::NoFreePlane, R::NotFullscreen}));
  EXPECT_EQ(p.overlays, (std::vector<size_t>{2, 3, 4}));
}

TEST(Planner, FormatUnsupportedWhenNoPlaneHasTheFormat) {
  std::vector cs{background(), dmabuf(1, kWindow, kNV12)};
  Plan p = plan(vkms_output(), cs);
  EXPECT_EQ(p.decisions[1].path, Path::Composited);
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::FormatUnsupported, R::NotFullscreen}));
}

TEST(Planner, ModifierUnsupportedWhenThePlaneHasTheFormatOnly) {
  std::vector cs{background(), dmabuf(1, kWindow, kXR24, kModTiled)};
  Plan p = plan(vkms_output(), cs);
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::ModifierUnsupported, R::NotFullscreen}));
}

TEST(Planner, ImplicitModifierNeedsAPlaneThatListsIt) {
  std::vector cs{background(), dmabuf(1, kWindow, kXR24, kModifierInvalid)};
  OutputPlanes out = vkms_output(1);
  EXPECT_EQ(plan(out, cs).decisions[1].reasons, (Reasons{R::ModifierUnsupported, R::NotFullscreen}));
  out.planes[1].formats.add(kXR24, kModifierInvalid);
  Plan p = plan(out, cs);
  EXPECT_EQ(p.decisions[1].path, Path::Overlay);
}

TEST(Planner, FullscreenFormatAndModifierAreCheckedAgainstThePrimaryPlane) {
  std::vector cs{dmabuf(1, full(), kNV12)};
  EXPECT_EQ(plan(vkms_output(), cs).decisions[0].reasons, (Reasons{R::FormatUnsupported}));
  cs = {dmabuf(1, full(), kXR24, kModTiled)};
  EXPECT_EQ(plan(vkms_output(), cs).decisions[0].reasons, (Reasons{R::ModifierUnsupported}));
  // An overlay plane with the format does not make the primary plane take it.
  OutputPlanes out = vkms_output();
  out.planes[1].formats.add(kNV12, kModifierLinear);
  cs = {dmabuf(1, full(), kNV12)};
  EXPECT_EQ(plan(out, cs).decisions[0].reasons, (Reasons{R::FormatUnsupported}));
}

TEST(Planner, ScaledBuffersAreComposited) {
  Candidate window = dmabuf(1, kWindow);
  window.src_width = 320;
  window.src_height = 240;
  Candidate fs = dmabuf(2, full());
  fs.src_width = 1280;
  fs.src_height = 720;
  std::vector cs{fs, window};
  Plan p = plan(vkms_output(), cs);
  EXPECT_EQ(p.decisions[1].path, Path::Composited);
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::Scaled, R::NotFullscreen}));
  EXPECT_EQ(p.decisions[0].path, Path::Composited);
  EXPECT_EQ(p.decisions[0].reasons, (Reasons{R::Scaled, R::Occluded}));
}

TEST(Planner, TransformedBuffersAreComposited) {
  Candidate window = dmabuf(1, kWindow);
  window.transformed = true;
  Candidate fs = dmabuf(2, full());
  fs.transformed = true;
  std::vector cs{fs};
  EXPECT_EQ(plan(vkms_output(), cs).decisions[0].reasons, (Reasons{R::Transformed}));
  cs = {background(), window};
  EXPECT_EQ(plan(vkms_output(), cs).decisions[1].reasons, (Reasons{R::Transformed, R::NotFullscreen}));
}

TEST(Planner, OverlaysOffByConfig) {
  std::vector cs{background(), dmabuf(1, kWindow)};
  Plan p = plan(vkms_output(), cs, {.direct_scanout = true, .overlays = false});
  EXPECT_EQ(p.decisions[1].path, Path::Composited);
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::DisabledByConfig, R::NotFullscreen}));
}

TEST(Planner, OverlaysUnsupportedByTheBackend) {
  OutputPlanes out = vkms_output();
  out.overlays_supported = false;
  std::vector cs{background(), dmabuf(1, kWindow)};
  Plan p = plan(out, cs);
  EXPECT_EQ(p.decisions[1].path, Path::Composited);
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::OverlaysUnavailable, R::NotFullscreen}));
  // Direct scanout does not need overlays.
  cs = {dmabuf(1, full())};
  EXPECT_EQ(plan(out, cs).decisions[0].path, Path::Primary);
}

TEST(Planner, OutputOnAnotherDeviceScansOutNothing) {
  OutputPlanes out = vkms_output();
  out.other_device = true;
  std::vector cs{dmabuf(1, full()), dmabuf(2, kPopup)};
  Plan p = plan(out, cs);
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::OtherDevice, R::NotFullscreen}));
  EXPECT_EQ(p.decisions[0].reasons, (Reasons{R::OtherDevice, R::Occluded}));
  EXPECT_FALSE(p.primary);
  EXPECT_TRUE(p.overlays.empty());
}

TEST(Planner, EverythingUnderAFullscreenOpaqueBufferIsHidden) {
  std::vector cs{background(), dmabuf(1, kWindow), shm(2, kPopup), decoration({0, 0, 10, 10}),
                 dmabuf(3, full())};
  Plan p = plan(vkms_output(), cs);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(p.decisions[i].path, Path::Hidden) << i;
    EXPECT_TRUE(p.decisions[i].reasons.empty()) << i;
  }
  EXPECT_EQ(p.decisions[4].path, Path::Primary);
  EXPECT_EQ(p.primary, 4u);
}

TEST(Planner, FullscreenWithADmabufPopupUsesPrimaryAndOverlay) {
  std::vector cs{background(), dmabuf(1, full()), dmabuf(2, kPopup, kAR24)};
  Plan p = plan(vkms_output(), cs);
  EXPECT_EQ(p.decisions[0].path, Path::Hidden);
  EXPECT_EQ(p.decisions[1].path, Path::Primary);
  EXPECT_EQ(p.decisions[2].path, Path::Overlay);
  EXPECT_EQ(p.decisions[2].reasons, (Reasons{R::NotFullscreen}));
  EXPECT_EQ(p.primary, 1u);
  EXPECT_EQ(p.overlays, (std::vector<size_t>{2}));
}

TEST(Planner, FullscreenWithAnShmPopupIsOccluded) {
  std::vector cs{dmabuf(1, full()), shm(2, kPopup)};
  Plan p = plan(vkms_output(), cs);
  EXPECT_EQ(p.decisions[1].path, Path::Composited);
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::NotDmabuf, R::NotFullscreen}));
  EXPECT_EQ(p.decisions[0].path, Path::Composited);
  EXPECT_EQ(p.decisions[0].reasons, (Reasons{R::Occluded}));
  EXPECT_FALSE(p.primary);
}

TEST(Planner, TranslucentFullscreenNeedsBlending) {
  Candidate fs = dmabuf(1, full(), kAR24);
  fs.opaque = false;
  std::vector cs{background(), fs};
  Plan p = plan(vkms_output(), cs);
  EXPECT_EQ(p.decisions[0].path, Path::Composited);  // the background is the base
  EXPECT_EQ(p.decisions[1].path, Path::Overlay);
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::NeedsBlending}));
  EXPECT_FALSE(p.primary);

  Candidate fs_shm = shm(1, full());
  fs_shm.opaque = false;
  cs = {background(), fs_shm};
  p = plan(vkms_output(), cs);
  EXPECT_EQ(p.decisions[1].path, Path::Composited);
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::NotDmabuf, R::NeedsBlending}));
}

// Also: a lone window prefers an overlay plane to a positioned primary plane.
TEST(Planner, NoBaseLeavesNothingHidden) {
  std::vector cs{dmabuf(1, kWindow)};
  Plan p = plan(vkms_output(), cs);
  EXPECT_EQ(p.decisions[0].path, Path::Overlay);
  EXPECT_FALSE(p.primary);
}

TEST(Planner, NoCandidatesGiveAnEmptyPlan) {
  Plan p = plan(vkms_output(), {});
  EXPECT_TRUE(p.decisions.empty());
  EXPECT_FALSE(p.primary);
  EXPECT_TRUE(p.overlays.empty());
}

// Overlay 40 (bottom) scans out XR24, overlay 41 (top) only NV12.
OutputPlanes mixed_output() {
  OutputPlanes out = vkms_output(0);
  out.planes.insert(out.planes.begin() + 1, {Plane{40, PlaneType::Overlay, formats({kXR24})},
                                             Plane{41, PlaneType::Overlay, formats({kNV12})}});
  return out;
}

TEST(Planner, OverlayPlanesFollowSceneOrder) {
  std::vector cs{background(), dmabuf(1, {0, 0, 100, 100}, kXR24), dmabuf(2, {200, 0, 100, 100}, kNV12)};
  Plan p = plan(mixed_output(), cs);
  EXPECT_EQ(p.decisions[2].path, Path::Overlay);
  EXPECT_EQ(p.decisions[1].path, Path::Overlay);
  EXPECT_EQ(p.overlays, (std::vector<size_t>{1, 2}));
}

TEST(Planner, ALowerBufferNeverTakesAPlaneAboveTheOnesTaken) {
  // The top window takes 40, the only XR24 plane; the NV12 window under it
  // would need 41, above 40, which would put it over the top window.
  std::vector cs{background(), dmabuf(1, {0, 0, 100, 100}, kNV12), dmabuf(2, {200, 0, 100, 100}, kXR24)};
  Plan p = plan(mixed_output(), cs);
  EXPECT_EQ(p.decisions[2].path, Path::Overlay);
  EXPECT_EQ(p.decisions[1].path, Path::Composited);
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::NoFreePlane, R::NotFullscreen}));
}

TEST(Planner, ACandidateThatCannotGoOnAPlaneDoesNotUseOne) {
  Candidate scaled = dmabuf(2, {200, 0, 100, 100});
  scaled.src_width = 50;
  std::vector cs{background(), dmabuf(1, {0, 0, 100, 100}), scaled};
  Plan p = plan(vkms_output(1), cs);
  EXPECT_EQ(p.decisions[2].reasons, (Reasons{R::Scaled, R::NotFullscreen}));
  EXPECT_EQ(p.decisions[1].path, Path::Overlay);
}

TEST(Planner, OccludedBaseWithAnOverlayAboveIt) {
  // A composited window between the base and an overlay: the base is occluded,
  // the overlay above is fine.
  std::vector cs{dmabuf(1, full()), shm(2, {0, 0, 300, 300}), dmabuf(3, {100, 100, 300, 300})};
  Plan p = plan(vkms_output(), cs);
  EXPECT_EQ(p.decisions[2].path, Path::Overlay);
  EXPECT_EQ(p.decisions[1].path, Path::Composited);
  EXPECT_EQ(p.decisions[0].reasons, (Reasons{R::Occluded}));
}

TEST(Demote, PrimaryBaseBecomesCompositedAndOverlaysStay) {
  std::vector cs{dmabuf(1, full()), dmabuf(2, kPopup)};
  Plan p = plan(vkms_output(), cs);
  ASSERT_EQ(p.primary, 0u);
  demote(p, cs, 0, R::TestCommitFailed);
  EXPECT_EQ(p.decisions[0].path, Path::Composited);
  EXPECT_EQ(p.decisions[0].reasons, (Reasons{R::TestCommitFailed}));
  EXPECT_EQ(p.decisions[1].path, Path::Overlay);
  EXPECT_FALSE(p.primary);
  EXPECT_EQ(p.overlays, (std::vector<size_t>{1}));
}

TEST(Demote, OverlayCascadesToOverlappingOverlaysBelowAndTheBase) {
  // Far is apart from everything; A overlaps B, B overlaps C, A and C do not meet.
  std::vector cs{dmabuf(1, full()),
                 dmabuf(2, {1500, 800, 100, 100}),  // far
                 dmabuf(3, {0, 0, 100, 100}),       // A
                 dmabuf(4, {50, 50, 100, 100}),     // B
                 dmabuf(5, {120, 120, 100, 100})};  // C
  Plan p = plan(vkms_output(4), cs);
  ASSERT_EQ(p.primary, 0u);
  ASSERT_EQ(p.overlays, (std::vector<size_t>{1, 2, 3, 4}));
  demote(p, cs, 4, R::TestCommitFailed);
  EXPECT_EQ(p.decisions[4].reasons, (Reasons{R::TestCommitFailed, R::NotFullscreen}));
  EXPECT_EQ(p.decisions[3].path, Path::Composited);
  EXPECT_EQ(p.decisions[3].reasons, (Reasons{R::Occluded, R::NotFullscreen}));
  EXPECT_EQ(p.decisions[2].path, Path::Composited);  // through B
  EXPECT_EQ(p.decisions[2].reasons, (Reasons{R::Occluded, R::NotFullscreen}));
  EXPECT_EQ(p.decisions[1].path, Path::Overlay);
  EXPECT_EQ(p.decisions[0].path, Path::Composited);
  EXPECT_EQ(p.decisions[0].reasons, (Reasons{R::Occluded}));
  EXPECT_FALSE(p.primary);
  EXPECT_EQ(p.overlays, (std::vector<size_t>{1}));
}

TEST(Demote, OverlaysAboveTheDemotedOneStay) {
  std::vector cs{background(), dmabuf(1, {0, 0, 100, 100}), dmabuf(2, {50, 50, 100, 100})};
  Plan p = plan(vkms_output(), cs);
  demote(p, cs, 1, R::TestCommitFailed);
  EXPECT_EQ(p.decisions[1].path, Path::Composited);
  EXPECT_EQ(p.decisions[2].path, Path::Overlay);
  EXPECT_EQ(p.overlays, (std::vector<size_t>{2}));
}

TEST(Demote, TranslucentFullscreenOverlayKeepsNeedsBlending) {
  Candidate fs = dmabuf(1, full(), kAR24);
  fs.opaque = false;
  std::vector cs{background(), fs};
  Plan p = plan(vkms_output(), cs);
  demote(p, cs, 1, R::TestCommitFailed);
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::TestCommitFailed, R::NeedsBlending}));
}

TEST(Names, PathNames) {
  EXPECT_STREQ(path_name(Path::Primary), "primary");
  EXPECT_STREQ(path_name(Path::Overlay), "overlay");
  EXPECT_STREQ(path_name(Path::Cursor), "cursor");
  EXPECT_STREQ(path_name(Path::Composited), "composited");
  EXPECT_STREQ(path_name(Path::Copied), "copied");
  EXPECT_STREQ(path_name(Path::Hidden), "hidden");
}

// A lone window over nothing (the background is black, so not drawn): the
// primary plane can show its buffer at its place, black around it.
TEST(Planner, LoneWindowGoesOnThePrimaryPlaneWithoutOverlays) {
  std::vector cs{dmabuf(1, kWindow)};
  Plan p = plan(vkms_output(), cs, {.direct_scanout = true, .overlays = false});
  EXPECT_EQ(p.decisions[0].path, Path::Primary);
  EXPECT_TRUE(p.decisions[0].reasons.empty());
  EXPECT_EQ(p.primary, 0u);
}

TEST(Planner, LoneWindowWithAnythingElseShownIsNotTheBase) {
  for (auto other : {background(), decoration({100, 80, 640, 30})}) {
    std::vector cs{other, dmabuf(1, kWindow)};
    Plan p = plan(vkms_output(), cs, {.direct_scanout = true, .overlays = false});
    EXPECT_EQ(p.decisions[1].path, Path::Composited);
    EXPECT_TRUE(p.decisions[1].reasons.has(R::NotFullscreen));
    EXPECT_FALSE(p.primary);
  }
}

TEST(Planner, LoneTranslucentWindowIsComposited) {
  std::vector cs{dmabuf(1, kWindow, kAR24)};
  cs[0].opaque = false;
  Plan p = plan(vkms_output(), cs, {.direct_scanout = true, .overlays = false});
  EXPECT_EQ(p.decisions[0].path, Path::Composited);
  EXPECT_FALSE(p.primary);
}

// Headless and nested outputs take any buffer their backend can show as the
// frame: shm too, with no plane formats to check.
TEST(Planner, NonKmsOutputTakesAShmBufferAsItsFrame) {
  OutputPlanes headless;
  headless.output = "HEADLESS-1";
  headless.width = kWidth;
  headless.height = kHeight;
  std::vector cs{shm(1, kWindow)};
  Plan p = plan(headless, cs);
  EXPECT_EQ(p.decisions[0].path, Path::Primary);
  EXPECT_TRUE(p.decisions[0].reasons.empty());
  // A KMS primary plane cannot read shm.
  p = plan(vkms_output(), cs, {.direct_scanout = true, .overlays = false});
  EXPECT_EQ(p.decisions[0].path, Path::Composited);
  EXPECT_EQ(p.decisions[0].reasons, (Reasons{R::NotDmabuf}));
  // Disabled by the configuration, on any output.
  p = plan(headless, cs, {.direct_scanout = false, .overlays = false});
  EXPECT_EQ(p.decisions[0].path, Path::Composited);
  EXPECT_EQ(p.decisions[0].reasons, (Reasons{R::DisabledByConfig}));
}

// Cost-aware overlays: a plane pays only for a buffer that changes often.
TEST(Planner, AStaticWindowIsNotWorthAnOverlay) {
  Candidate still = dmabuf(1, {0, 0, 400, 300});
  Candidate video = dmabuf(2, {500, 0, 640, 360});
  still.updates_per_second = 0;
  video.updates_per_second = 60;
  Plan p = plan(vkms_output(), {background(), still, video}, {.overlay_min_updates = 10});
  EXPECT_EQ(p.decisions[1].path, Path::Composited);
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::NotWorthIt, R::NotFullscreen}));
  EXPECT_EQ(p.decisions[2].path, Path::Overlay);
  EXPECT_EQ(p.overlays, (std::vector<size_t>{2}));
}

TEST(Planner, AnOverlayKeepsItsPlaneDownToHalfTheRate) {
  Candidate c = dmabuf(1, {0, 0, 400, 300});
  c.updates_per_second = 5;
  PlannerConfig config{.overlay_min_updates = 10};
  EXPECT_EQ(plan(vkms_output(), {background(), c}, config).decisions[1].path, Path::Composited);
  c.was_overlay = true;
  EXPECT_EQ(plan(vkms_output(), {background(), c}, config).decisions[1].path, Path::Overlay);
  c.updates_per_second = 4;
  EXPECT_EQ(plan(vkms_output(), {background(), c}, config).decisions[1].path, Path::Composited);
}

TEST(Planner, NotWorthItIsOnlySaidOfABufferAPlaneCouldTake) {
  Candidate c = shm(1, {0, 0, 400, 300});
  Plan p = plan(vkms_output(), {background(), c}, {.overlay_min_updates = 10});
  EXPECT_EQ(p.decisions[1].reasons, (Reasons{R::NotDmabuf, R::NotFullscreen}));
}

TEST(Planner, WithoutAMinimumEveryBufferIsWorthAPlane) {
  Plan p = plan(vkms_output(), {background(), dmabuf(1, {0, 0, 400, 300})});
  EXPECT_EQ(p.decisions[1].path, Path::Overlay);
}
