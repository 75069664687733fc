#include <gtest/gtest.h>

#include "scanout/feedback_policy.hpp"
#include "scanout_test_util.hpp"

using namespace scanout_test;
using Kind = Tranche::Kind;

namespace tranche::scanout {
void PrintTo(const Feedback& f, std::ostream* os) {
  *os << "main " << f.main_device << ":";
  for (const Tranche& t : f.tranches) {
    *os << " [" << tranche_kind_name(t.kind) << " dev " << t.target_device << (t.scanout ? " scanout " : " ");
    PrintTo(t.formats, os);
    *os << "]";
  }
}
}  // namespace tranche::scanout

namespace {

constexpr int64_t ms = 1'000'000;
constexpr int64_t kHysteresis = 1000 * ms;
constexpr uint64_t kRenderDevice = 0xe280;  // renderD128

// The renderer reads XR24/AR24/NV12 linear and XR24 tiled; not implicit AR24.
FormatSet render_formats() {
  FormatSet f = formats({kXR24, kAR24, kNV12});
  f.add(kXR24, kModTiled);
  return f;
}

// Primary: XR24, AR24 linear + AR24 implicit (not renderable, so dropped).
// Overlays: XR24 linear (duplicate of the primary's) and NV12 linear.
OutputPlanes output() {
  OutputPlanes out = vkms_output(2);
  out.planes[0].formats.add(kAR24, kModifierInvalid);
  out.planes[2].formats = formats({kXR24, kNV12});
  return out;
}

FeedbackPolicy policy(int64_t hysteresis = kHysteresis) {
  FeedbackPolicy p(hysteresis);
  p.set_render(kRenderDevice, render_formats());
  return p;
}

Decision on_primary() { return {.path = Path::Primary, .reasons = {}}; }
Decision shm_composited() {
  return {.path = Path::Composited, .reasons = {Reason::NotDmabuf}};
}

}  // namespace

TEST(Feedback, DefaultIsTheRenderTrancheOnly) {
  Feedback f = policy().default_feedback();
  EXPECT_EQ(f.main_device, kRenderDevice);
  ASSERT_EQ(f.tranches.size(), 1u);
  EXPECT_EQ(f.tranches[0].kind, Kind::Render);
  EXPECT_EQ(f.tranches[0].target_device, kRenderDevice);
  EXPECT_FALSE(f.tranches[0].scanout);
  EXPECT_EQ(f.tranches[0].formats, render_formats());
  EXPECT_FALSE(f.has_scanout());
}

TEST(Feedback, ScanoutTranchesComeFirstAndIntersectWithRender) {
  Feedback f = policy().scanout_feedback(output());
  EXPECT_EQ(f.main_device, kRenderDevice);
  ASSERT_EQ(f.tranches.size(), 3u);
  EXPECT_EQ(f.tranches[0].kind, Kind::Primary);
  EXPECT_EQ(f.tranches[0].target_device, 0xe200u);
  EXPECT_TRUE(f.tranches[0].scanout);
  EXPECT_EQ(f.tranches[0].formats, formats({kXR24, kAR24}));  // AR24 implicit is not renderable

  EXPECT_EQ(f.tranches[1].kind, Kind::Overlay);
  EXPECT_EQ(f.tranches[1].target_device, 0xe200u);
  EXPECT_TRUE(f.tranches[1].scanout);
  EXPECT_EQ(f.tranches[1].formats, formats({kNV12}));  // XR24 is in the primary tranche already

  EXPECT_EQ(f.tranches[2].kind, Kind::Render);
  EXPECT_EQ(f.tranches[2].target_device, kRenderDevice);
  EXPECT_FALSE(f.tranches[2].scanout);
  EXPECT_EQ(f.tranches[2].formats, render_formats());
  EXPECT_TRUE(f.has_scanout());
}

TEST(Feedback, OverlayTrancheIsDroppedWhenItAddsNothing) {
  Feedback f = policy().scanout_feedback(vkms_output());  // overlays = primary formats
  ASSERT_EQ(f.tranches.size(), 2u);
  EXPECT_EQ(f.tranches[0].kind, Kind::Primary);
  EXPECT_EQ(f.tranches[1].kind, Kind::Render);
}

TEST(Feedback, NoOverlayTrancheWithoutOverlaySupport) {
  OutputPlanes out = output();
  out.overlays_supported = false;
  Feedback f = policy().scanout_feedback(out);
  ASSERT_EQ(f.tranches.size(), 2u);
  EXPECT_EQ(f.tranches[0].kind, Kind::Primary);
  EXPECT_EQ(f.tranches[1].kind, Kind::Render);
}

TEST(Feedback, PrimaryTrancheIsDroppedWhenEmpty) {
  OutputPlanes out = output();
  out.planes[0].formats = formats({kXR24}, kModTiled + 1);  // nothing the renderer reads
  Feedback f = policy().scanout_feedback(out);
  ASSERT_EQ(f.tranches.size(), 2u);
  EXPECT_EQ(f.tranches[0].kind, Kind::Overlay);
  EXPECT_EQ(f.tranches[0].formats, formats({kXR24, kAR24, kNV12}));
}

TEST(Feedback, OtherDeviceOrNoKmsDeviceGetsTheDefault) {
  FeedbackPolicy p = policy();
  OutputPlanes out = output();
  out.other_device = true;
  EXPECT_EQ(p.scanout_feedback(out), p.default_feedback());
  out = output();
  out.kms_device = 0;
  EXPECT_EQ(p.scanout_feedback(out), p.default_feedback());
}

TEST(Feedback, TrancheKindNames) {
  EXPECT_STREQ(tranche_kind_name(Kind::Primary), "primary");
  EXPECT_STREQ(tranche_kind_name(Kind::Overlay), "overlay");
  EXPECT_STREQ(tranche_kind_name(Kind::Render), "render");
}

TEST(Feedback, Candidates) {
  using R = Reason;
  EXPECT_TRUE(FeedbackPolicy::is_candidate(on_primary()));
  EXPECT_TRUE(FeedbackPolicy::is_candidate({.path = Path::Overlay, .reasons = {R::NotFullscreen}}));
  EXPECT_TRUE(FeedbackPolicy::is_candidate(
      {.path = Path::Composited, .reasons = {R::ModifierUnsupported, R::NotFullscreen}}));
  EXPECT_FALSE(FeedbackPolicy::is_candidate(shm_composited()));
  EXPECT_FALSE(FeedbackPolicy::is_candidate(
      {.path = Path::Composited, .reasons = {R::FormatUnsupported, R::Scaled}}));
  EXPECT_FALSE(FeedbackPolicy::is_candidate({.path = Path::Composited, .reasons = {}}));
  EXPECT_FALSE(FeedbackPolicy::is_candidate({.path = Path::Hidden, .reasons = {}}));
  EXPECT_FALSE(FeedbackPolicy::is_candidate({.path = Path::Copied, .reasons = {}}));
}

TEST(Feedback, TheFirstOfferIsSentAtOnce) {
  FeedbackPolicy p = policy();
  OutputPlanes out = output();
  EXPECT_EQ(p.update(1, shm_composited(), &out, 0), std::nullopt);  // the default it has
  auto sent = p.update(1, on_primary(), &out, 7 * ms);
  ASSERT_TRUE(sent);
  EXPECT_EQ(*sent, p.scanout_feedback(out));
  ASSERT_NE(p.sent(1), nullptr);
  EXPECT_EQ(*p.sent(1), *sent);
  EXPECT_EQ(p.next_change_at(), std::nullopt);
  // Nothing changes: nothing to send.
  EXPECT_EQ(p.update(1, on_primary(), &out, 5 * kHysteresis), std::nullopt);
}

TEST(Feedback, ScanoutIsWithdrawnAfterTheHysteresis) {
  FeedbackPolicy p = policy();
  OutputPlanes out = output();
  ASSERT_TRUE(p.update(1, on_primary(), &out, 0));
  const int64_t t = 10 * kHysteresis;
  EXPECT_EQ(p.update(1, shm_composited(), &out, t), std::nullopt);
  EXPECT_EQ(p.next_change_at(), t + kHysteresis);
  EXPECT_EQ(p.update(1, shm_composited(), &out, t + kHysteresis - 1), std::nullopt);
  EXPECT_TRUE(p.sent(1)->has_scanout());
  auto sent = p.update(1, shm_composited(), &out, t + kHysteresis);
  ASSERT_TRUE(sent);
  EXPECT_EQ(*sent, p.default_feedback());
  EXPECT_FALSE(p.sent(1)->has_scanout());
}

TEST(Feedback, AFlapShorterThanTheHysteresisSendsNothing) {
  FeedbackPolicy p = policy();
  OutputPlanes out = output();
  ASSERT_TRUE(p.update(1, on_primary(), &out, 0));
  const int64_t t = 10 * kHysteresis;
  EXPECT_EQ(p.update(1, shm_composited(), &out, t), std::nullopt);
  EXPECT_EQ(p.update(1, on_primary(), &out, t + 500 * ms), std::nullopt);  // back to what it has
  EXPECT_EQ(p.next_change_at(), std::nullopt);
  // A new withdrawal starts its own wait: not sent at the first one's deadline.
  EXPECT_EQ(p.update(1, shm_composited(), &out, t + 600 * ms), std::nullopt);
  EXPECT_EQ(p.update(1, shm_composited(), &out, t + kHysteresis), std::nullopt);
  EXPECT_EQ(p.next_change_at(), t + 600 * ms + kHysteresis);
  EXPECT_TRUE(p.update(1, shm_composited(), &out, t + 600 * ms + kHysteresis));
}

TEST(Feedback, AnOfferSoonAfterAChangeWaits) {
  // Offer at 0, withdrawn at 2H; the candidacy is back at once: the new offer
  // waits until the withdrawal has settled, so the client reallocates at most
  // twice per hysteresis.
  FeedbackPolicy p = policy();
  OutputPlanes out = output();
  ASSERT_TRUE(p.update(1, on_primary(), &out, 0));
  p.update(1, shm_composited(), &out, kHysteresis);
  ASSERT_TRUE(p.update(1, shm_composited(), &out, 2 * kHysteresis));
  EXPECT_EQ(p.update(1, on_primary(), &out, 2 * kHysteresis + 100 * ms), std::nullopt);
  EXPECT_EQ(p.next_change_at(), 3 * kHysteresis);
  EXPECT_EQ(p.update(1, on_primary(), &out, 3 * kHysteresis - 1), std::nullopt);
  auto sent = p.update(1, on_primary(), &out, 3 * kHysteresis);
  ASSERT_TRUE(sent);
  EXPECT_TRUE(sent->has_scanout());
}

TEST(Feedback, NotShownAnywhereWithdrawsScanout) {
  FeedbackPolicy p = policy(0);
  OutputPlanes out = output();
  ASSERT_TRUE(p.update(1, on_primary(), &out, 0));
  auto sent = p.update(1, on_primary(), nullptr, 1);
  ASSERT_TRUE(sent);
  EXPECT_EQ(*sent, p.default_feedback());
}

TEST(Feedback, ZeroHysteresisSendsAtOnce) {
  FeedbackPolicy p = policy(0);
  OutputPlanes out = output();
  auto sent = p.update(1, on_primary(), &out, 42);
  ASSERT_TRUE(sent);
  EXPECT_EQ(*sent, p.scanout_feedback(out));
  EXPECT_EQ(p.next_change_at(), std::nullopt);
  sent = p.update(1, shm_composited(), &out, 43);
  ASSERT_TRUE(sent);
  EXPECT_EQ(*sent, p.default_feedback());
}

TEST(Feedback, AChangeOfOutputWaitsForTheHysteresis) {
  FeedbackPolicy p = policy();
  OutputPlanes a = output();
  OutputPlanes b = output();
  b.kms_device = 0xe201;
  ASSERT_TRUE(p.update(1, on_primary(), &a, 0));
  EXPECT_EQ(p.update(1, on_primary(), &b, 400 * ms), std::nullopt);
  EXPECT_EQ(p.next_change_at(), 400 * ms + kHysteresis);
  EXPECT_EQ(p.update(1, on_primary(), &b, kHysteresis), std::nullopt);
  auto sent = p.update(1, on_primary(), &b, 400 * ms + kHysteresis);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->tranches[0].target_device, 0xe201u);
}

TEST(Feedback, NextChangeIsTheEarliestPendingOne) {
  FeedbackPolicy p = policy();
  OutputPlanes out = output();
  EXPECT_EQ(p.next_change_at(), std::nullopt);
  ASSERT_TRUE(p.update(1, on_primary(), &out, 0));
  ASSERT_TRUE(p.update(2, on_primary(), &out, 0));
  p.update(1, shm_composited(), &out, 300 * ms);
  p.update(2, shm_composited(), &out, 100 * ms);
  p.update(3, shm_composited(), &out, 0);  // wants the default it already has
  EXPECT_EQ(p.next_change_at(), 100 * ms + kHysteresis);
  p.forget(2);
  EXPECT_EQ(p.next_change_at(), 300 * ms + kHysteresis);
}

TEST(Feedback, ForgetDropsASurface) {
  FeedbackPolicy p = policy(0);
  OutputPlanes out = output();
  ASSERT_TRUE(p.update(7, on_primary(), &out, 0));
  ASSERT_NE(p.sent(7), nullptr);
  p.forget(7);
  EXPECT_EQ(p.sent(7), nullptr);
  // Forgotten: the same surface id starts over from the default.
  EXPECT_EQ(p.update(7, shm_composited(), &out, 1), std::nullopt);
  EXPECT_TRUE(p.update(7, on_primary(), &out, 2));
}

TEST(Feedback, ReallocationCandidateGetsScanoutTranches) {
  FeedbackPolicy p = policy(0);
  OutputPlanes out = output();
  Decision wrong_modifier{.path = Path::Composited,
                          .reasons = {Reason::ModifierUnsupported, Reason::NotFullscreen}};
  auto sent = p.update(1, wrong_modifier, &out, 0);
  ASSERT_TRUE(sent);
  EXPECT_TRUE(sent->has_scanout());
}

TEST(Feedback, PlannerDecisionsDriveTheFeedback) {
  // End to end: plan a frame, feed the decisions to the policy.
  FeedbackPolicy p = policy(0);
  OutputPlanes out = output();
  std::vector cs{background(), dmabuf(1, {0, 0, 100, 100}, kXR24, kModTiled), shm(2, {300, 0, 100, 100})};
  Plan plan = plan_output(out, cs, {});
  auto one = p.update(1, plan.decisions[1], &out, 0);
  ASSERT_TRUE(one);
  EXPECT_EQ(*one, p.scanout_feedback(out));
  EXPECT_EQ(p.update(2, plan.decisions[2], &out, 0), std::nullopt);
}

TEST(Feedback, ChangedPlaneFormatsChangeTheOffer) {
  // The policy remembers each output's tranches; a plane model with other
  // formats (a mode set or hot-plug rebuilt it) must not get the old ones.
  FeedbackPolicy p = policy(0);
  OutputPlanes out = output();
  auto first = p.update(1, on_primary(), &out, 0);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->tranches[0].formats.has(kAR24, kModifierLinear));
  out.planes[0].formats = formats({kXR24});
  auto second = p.update(1, on_primary(), &out, 1);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, p.scanout_feedback(out));
  EXPECT_FALSE(second->tranches[0].formats.has(kAR24, kModifierLinear));
  EXPECT_EQ(p.update(1, on_primary(), &out, 2), std::nullopt);
}
