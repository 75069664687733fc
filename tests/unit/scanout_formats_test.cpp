#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "scanout/kms_planes.hpp"
#include "scanout/reasons.hpp"
#include "scanout_test_util.hpp"

using namespace scanout_test;

TEST(FormatSet, AddHasAndSize) {
  FormatSet s;
  EXPECT_TRUE(s.empty());
  s.add(kXR24, kModifierLinear);
  s.add(kXR24, kModTiled);
  s.add(kXR24, kModifierLinear);
  s.add(kNV12, kModifierInvalid);
  EXPECT_FALSE(s.empty());
  EXPECT_EQ(s.size(), 3u);
  EXPECT_TRUE(s.has(kXR24, kModTiled));
  EXPECT_FALSE(s.has(kXR24, kModifierInvalid));
  EXPECT_FALSE(s.has(kAR24, kModifierLinear));
  EXPECT_TRUE(s.has_format(kNV12));
  EXPECT_FALSE(s.has_format(kAR24));
}

TEST(FormatSet, IntersectUniteMinus) {
  FormatSet a, b;
  a.add(kXR24, kModifierLinear);
  a.add(kXR24, kModTiled);
  a.add(kAR24, kModifierLinear);
  b.add(kXR24, kModTiled);
  b.add(kNV12, kModifierLinear);

  FormatSet i = a.intersect(b);
  EXPECT_EQ(i.size(), 1u);
  EXPECT_TRUE(i.has(kXR24, kModTiled));

  FormatSet u = a.unite(b);
  EXPECT_EQ(u.size(), 4u);
  EXPECT_TRUE(u.has(kNV12, kModifierLinear));

  FormatSet m = a.minus(b);
  EXPECT_EQ(m.size(), 2u);
  EXPECT_TRUE(m.has(kXR24, kModifierLinear));
  EXPECT_TRUE(m.has(kAR24, kModifierLinear));
  // A format whose modifiers are all removed leaves no empty entry behind.
  EXPECT_FALSE(b.minus(a).has_format(kXR24));
  EXPECT_TRUE(a.minus(a).empty());
  EXPECT_EQ(a.minus(a), FormatSet{});
}

TEST(Formats, Names) {
  EXPECT_EQ(fourcc_name(kXR24), "XR24");
  EXPECT_EQ(fourcc_name(kNV12), "NV12");
  EXPECT_EQ(fourcc_name(1), "0x00000001");
  EXPECT_EQ(modifier_name(kModifierLinear), "0x0");
  EXPECT_EQ(modifier_name(kModifierInvalid), "0xffffffffffffff");
  EXPECT_EQ(modifier_name(kModTiled), "0x100000000000001");
  EXPECT_EQ(fourcc_from_name("XR24"), kXR24);
  EXPECT_EQ(fourcc_from_name(fourcc_name(kAR24)), kAR24);
  EXPECT_EQ(fourcc_from_name("XR2"), 0u);
  EXPECT_EQ(fourcc_from_name("XR245"), 0u);
  EXPECT_EQ(fourcc_from_name(std::string("XR2\n")), 0u);
}

TEST(Rect, IntersectsNeedsACommonArea) {
  Rect a{0, 0, 100, 100};
  EXPECT_TRUE(a.intersects({99, 99, 10, 10}));
  EXPECT_TRUE(a.intersects({-10, -10, 20, 20}));
  EXPECT_FALSE(a.intersects({100, 0, 10, 10}));  // touching edges
  EXPECT_FALSE(a.intersects({0, 100, 10, 10}));
  EXPECT_FALSE(a.intersects({50, 50, 0, 10}));  // empty
  EXPECT_FALSE((Rect{}).intersects(a));
}

TEST(Rect, Contains) {
  Rect a{0, 0, 100, 100};
  EXPECT_TRUE(a.contains(a));
  EXPECT_TRUE(a.contains({10, 10, 90, 90}));
  EXPECT_FALSE(a.contains({10, 10, 91, 90}));
  EXPECT_FALSE(a.contains({-1, 0, 50, 50}));
  EXPECT_TRUE((Rect{-10, -10, 200, 200}).contains(a));
  EXPECT_FALSE(a.contains({10, 10, 0, 0}));
}

TEST(OutputPlanes, PrimaryOverlaysAndTheirFormats) {
  OutputPlanes out = vkms_output(2);
  out.planes[2].formats.add(kNV12, kModifierLinear);
  ASSERT_NE(out.primary(), nullptr);
  EXPECT_EQ(out.primary()->id, kPrimaryId);
  auto overlays = out.overlays();
  ASSERT_EQ(overlays.size(), 2u);
  EXPECT_EQ(overlays[0]->id, 40u);
  EXPECT_EQ(overlays[1]->id, 41u);
  FormatSet f = out.overlay_formats();
  EXPECT_EQ(f.size(), 3u);
  EXPECT_TRUE(f.has(kNV12, kModifierLinear));
  EXPECT_FALSE(f.has(kNV12, kModifierInvalid));

  OutputPlanes nested;
  EXPECT_EQ(nested.primary(), nullptr);
  EXPECT_TRUE(nested.overlays().empty());
  EXPECT_TRUE(nested.overlay_formats().empty());
}

TEST(OutputPlanes, PlaneTypeNames) {
  EXPECT_STREQ(plane_type_name(PlaneType::Primary), "primary");
  EXPECT_STREQ(plane_type_name(PlaneType::Overlay), "overlay");
  EXPECT_STREQ(plane_type_name(PlaneType::Cursor), "cursor");
}

TEST(Reasons, NamesAreStableSnakeCase) {
  const char* expected[] = {"not_dmabuf", "format_unsupported", "modifier_unsupported", "scaled",
                            "transformed", "occluded", "not_fullscreen", "no_free_plane",
                            "test_commit_failed", "other_device", "disabled_by_config",
                            "overlays_unavailable", "needs_blending", "screen_capture",
                            "software_cursor", "not_worth_it"};
  ASSERT_EQ(std::size(expected), static_cast<size_t>(Reason::Count));
  std::set<std::string> texts;
  for (size_t i = 0; i < std::size(expected); ++i) {
    Reason r = static_cast<Reason>(i);
    EXPECT_STREQ(reason_name(r), expected[i]);
    std::string text = reason_text(r);
    EXPECT_GT(text.size(), 10u) << expected[i];
    EXPECT_EQ(text.back(), '.') << expected[i];
    texts.insert(text);
  }
  EXPECT_EQ(texts.size(), std::size(expected));  // each says something of its own
}

TEST(Reasons, ListIsInEnumOrder) {
  Reasons r{Reason::NeedsBlending, Reason::NotDmabuf, Reason::Occluded};
  EXPECT_EQ(r.list(), (std::vector{Reason::NotDmabuf, Reason::Occluded, Reason::NeedsBlending}));
  r.remove(Reason::Occluded);
  EXPECT_EQ(r.list(), (std::vector{Reason::NotDmabuf, Reason::NeedsBlending}));
  EXPECT_TRUE(Reasons{}.list().empty());
}

TEST(Reasons, ReallocationWouldHelp) {
  using R = Reason;
  EXPECT_TRUE(reallocation_would_help({R::FormatUnsupported}));
  EXPECT_TRUE(reallocation_would_help({R::ModifierUnsupported}));
  EXPECT_TRUE(reallocation_would_help({R::FormatUnsupported, R::NotFullscreen}));
  EXPECT_TRUE(reallocation_would_help({R::FormatUnsupported, R::ModifierUnsupported}));
  EXPECT_FALSE(reallocation_would_help({}));
  EXPECT_FALSE(reallocation_would_help({R::NotFullscreen}));
  EXPECT_FALSE(reallocation_would_help({R::ModifierUnsupported, R::Scaled}));
  EXPECT_FALSE(reallocation_would_help({R::FormatUnsupported, R::NotDmabuf}));
  EXPECT_FALSE(reallocation_would_help({R::FormatUnsupported, R::Occluded}));
  EXPECT_FALSE(reallocation_would_help({R::NoFreePlane, R::NotFullscreen}));
  EXPECT_FALSE(reallocation_would_help({R::FormatUnsupported, R::ScreenCapture}));
}

// Without a DRM device only the error paths can run here; the VM tier covers
// the rest on vkms.
TEST(KmsPlanes, ANonDrmFdIsAnErrorNotACrash) {
  int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto planes = read_kms_planes(fd, 1);
  EXPECT_FALSE(planes.has_value());
  if (!planes) {
    EXPECT_FALSE(planes.error().empty());
  }
  EXPECT_EQ(drm_fd_device(fd), static_cast<uint64_t>(makedev(1, 3)));  // /dev/null
  close(fd);
  EXPECT_EQ(drm_fd_device(-1), 0u);
}

TEST(KmsPlanes, DevicePathOfAnUnknownDeviceIsEmpty) {
  EXPECT_EQ(drm_device_path(0), "");
  EXPECT_EQ(drm_device_path(makedev(1, 3)), "");  // /dev/null is not under /dev/dri
}

TEST(KmsPlanes, SameDeviceFallsBackToTheDeviceNumber) {
  int null_a = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int null_b = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(null_a, 0);
  ASSERT_GE(null_b, 0);
  ASSERT_GE(zero, 0);
  EXPECT_TRUE(same_drm_device(null_a, null_b));
  EXPECT_FALSE(same_drm_device(null_a, zero));
  EXPECT_FALSE(same_drm_device(-1, -1));
  close(null_a);
  close(null_b);
  close(zero);
}

TEST(FormatInfo, KnowsPlanesAlphaAndSize) {
  const tranche::scanout::FormatInfo* argb = tranche::scanout::format_info(DRM_FORMAT_ARGB8888);
  ASSERT_NE(argb, nullptr);
  EXPECT_EQ(argb->planes, 1);
  EXPECT_TRUE(argb->alpha);
  EXPECT_EQ(argb->bytes_per_pixel, 4);
  const tranche::scanout::FormatInfo* xrgb = tranche::scanout::format_info(DRM_FORMAT_XRGB8888);
  ASSERT_NE(xrgb, nullptr);
  EXPECT_FALSE(xrgb->alpha);
  const tranche::scanout::FormatInfo* nv12 = tranche::scanout::format_info(DRM_FORMAT_NV12);
  ASSERT_NE(nv12, nullptr);
  EXPECT_EQ(nv12->planes, 2);
  EXPECT_EQ(nv12->bytes_per_pixel, 1);
  EXPECT_EQ(tranche::scanout::format_info(DRM_FORMAT_RGB565)->bytes_per_pixel, 2);
  EXPECT_EQ(tranche::scanout::format_info(DRM_FORMAT_ABGR16161616F)->bytes_per_pixel, 8);
  EXPECT_EQ(tranche::scanout::format_info(tranche::scanout::fourcc_from_name("ZZZZ")), nullptr);
}
