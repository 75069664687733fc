#include <gtest/gtest.h>

#include "copy/path_selector.hpp"

using namespace tranche::copy;

namespace {
constexpr int64_t kSecond = 1'000'000'000;

TEST(CopyPath, NamesRoundTrip) {
  for (Path path : kPaths) EXPECT_EQ(parse_path(path_name(path)), path);
  EXPECT_EQ(parse_path("zero_copy"), std::nullopt);
  EXPECT_EQ(parse_mode("auto"), std::optional<Forced>(Forced{}));
  EXPECT_EQ(parse_mode("sysram"), std::optional<Forced>(Forced{Path::Sysram}));
  EXPECT_EQ(parse_mode("fast"), std::nullopt);
}

TEST(PathSelector, StartsWithZeroCopy) {
  PathSelector s;
  EXPECT_EQ(s.choose(0), Path::ZeroCopy);
  EXPECT_EQ(s.current(), std::nullopt);
}

TEST(PathSelector, FailureFallsBackInTheSameFrame) {
  PathSelector s;
  EXPECT_EQ(s.failed(Path::ZeroCopy, 0, "import refused"), Path::GpuCopy);
  EXPECT_EQ(s.failed(Path::GpuCopy, 0, "import refused"), Path::Sysram);
  EXPECT_EQ(s.failed(Path::Sysram, 0, "no memory"), std::nullopt);
  EXPECT_EQ(s.stats(Path::GpuCopy).failures, 1u);
  EXPECT_EQ(s.stats(Path::GpuCopy).last_error, "import refused");
}

TEST(PathSelector, RemembersWhatWorked) {
  PathSelector s;
  s.failed(Path::ZeroCopy, 0, "refused");
  s.succeeded(Path::GpuCopy, 100, 5);
  EXPECT_EQ(s.current(), Path::GpuCopy);
  EXPECT_EQ(s.choose(1 * kSecond), Path::GpuCopy);
  EXPECT_EQ(s.choose(PathSelector::kFirstBackoff - 1), Path::GpuCopy);
}

TEST(PathSelector, RetriesAFailedPathAfterItsBackoffAndDoublesIt) {
  PathSelector s;
  s.failed(Path::ZeroCopy, 0, "refused");
  s.succeeded(Path::GpuCopy, 0, 0);
  int64_t t = PathSelector::kFirstBackoff;
  EXPECT_EQ(s.choose(t), Path::ZeroCopy);  // due again
  s.failed(Path::ZeroCopy, t, "refused again");
  EXPECT_EQ(s.retry_at(Path::ZeroCopy), t + 2 * PathSelector::kFirstBackoff);
  EXPECT_EQ(s.choose(t + PathSelector::kFirstBackoff), Path::GpuCopy);
  // The backoff stops growing at its maximum.
  for (int i = 0; i < 20; ++i) s.failed(Path::ZeroCopy, t, "refused");
  EXPECT_EQ(s.retry_at(Path::ZeroCopy), t + PathSelector::kMaxBackoff);
  // A success resets it.
  s.succeeded(Path::ZeroCopy, 0, 0);
  EXPECT_EQ(s.retry_at(Path::ZeroCopy), std::nullopt);
  s.failed(Path::ZeroCopy, t, "refused");
  EXPECT_EQ(s.retry_at(Path::ZeroCopy), t + PathSelector::kFirstBackoff);
}

TEST(PathSelector, FallbackSkipsAFailingPathThatIsNotDue) {
  PathSelector s;
  s.failed(Path::GpuCopy, 0, "refused");
  EXPECT_EQ(s.failed(Path::ZeroCopy, kSecond, "refused"), Path::Sysram);
  EXPECT_EQ(s.failed(Path::ZeroCopy, PathSelector::kFirstBackoff + kSecond, "refused"), Path::GpuCopy);
}

TEST(PathSelector, ForcedPathIsTheOnlyOne) {
  PathSelector s(Path::GpuCopy);
  EXPECT_EQ(s.choose(0), Path::GpuCopy);
  EXPECT_EQ(s.failed(Path::GpuCopy, 0, "refused"), std::nullopt);
  EXPECT_EQ(s.choose(kSecond), Path::GpuCopy);
}

TEST(PathSelector, AllFailingChoosesSysram) {
  PathSelector s;
  for (Path p : kPaths) s.failed(p, 0, "x");
  EXPECT_EQ(s.choose(kSecond), Path::Sysram);
}

TEST(PathSelector, ResetForgetsFailures) {
  PathSelector s;
  s.failed(Path::ZeroCopy, 0, "x");
  s.reset();
  EXPECT_EQ(s.choose(kSecond), Path::ZeroCopy);
}

TEST(PathSelector, CountsFramesBytesAndTime) {
  PathSelector s;
  s.succeeded(Path::Sysram, 1000, 20);
  s.succeeded(Path::Sysram, 500, 10);
  const PathStats& st = s.stats(Path::Sysram);
  EXPECT_EQ(st.frames, 2u);
  EXPECT_EQ(st.bytes, 1500u);
  EXPECT_EQ(st.copy_ns, 30);
  EXPECT_EQ(st.last_bytes, 500u);
  EXPECT_EQ(st.last_copy_ns, 10);
  EXPECT_EQ(s.current(), Path::Sysram);
  s.failed(Path::Sysram, 0, "x");
  EXPECT_EQ(s.current(), std::nullopt);
}
}  // namespace

namespace {
TEST(CopyPathSpec, OneModeForEveryOutput) {
  auto r = forced_by_spec("sysram", "DP-1");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, std::optional<Forced>(Forced{Path::Sysram}));
  auto a = forced_by_spec("auto", "DP-1");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(*a, std::optional<Forced>(Forced{}));
}

TEST(CopyPathSpec, PerOutput) {
  auto dp = forced_by_spec("DP-1=gpu-copy,HDMI-A-1=sysram", "HDMI-A-1");
  ASSERT_TRUE(dp.has_value());
  EXPECT_EQ(*dp, std::optional<Forced>(Forced{Path::Sysram}));
  auto other = forced_by_spec("DP-1=gpu-copy", "Virtual-1");
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(*other, std::nullopt);
}

TEST(CopyPathSpec, MalformedSpecsAreErrors) {
  EXPECT_FALSE(forced_by_spec("fast", "DP-1").has_value());
  EXPECT_FALSE(forced_by_spec("DP-1=fast", "DP-1").has_value());
  EXPECT_FALSE(forced_by_spec("DP-1=sysram,junk", "DP-1").has_value());
  EXPECT_FALSE(forced_by_spec("=sysram", "DP-1").has_value());
  auto e = forced_by_spec("DP-1=fast", "X");
  ASSERT_FALSE(e.has_value());
  EXPECT_NE(e.error().find("fast"), std::string::npos);
}
}  // namespace

namespace {
TEST(PathSelector, SoftwareOrderTriesSysramBeforeGpuCopy) {
  PathSelector s({}, PathSelector::kSoftwareOrder);
  EXPECT_EQ(s.choose(0), Path::ZeroCopy);
  EXPECT_EQ(s.failed(Path::ZeroCopy, 0, "refused"), Path::Sysram);
  EXPECT_EQ(s.failed(Path::Sysram, 0, "no memory"), Path::GpuCopy);
  EXPECT_EQ(s.failed(Path::GpuCopy, 0, "refused"), std::nullopt);
  EXPECT_EQ(s.choose(PathSelector::kFirstBackoff), Path::ZeroCopy);
}

TEST(PathSelector, ChoosesInOrderSkippingFailures) {
  PathSelector s({}, PathSelector::kSoftwareOrder);
  s.failed(Path::ZeroCopy, 0, "refused");
  EXPECT_EQ(s.choose(1), Path::Sysram);
  s.failed(Path::Sysram, 0, "refused");
  EXPECT_EQ(s.choose(1), Path::GpuCopy);
}
}  // namespace

namespace {
TEST(PathSelector, SetForcedKeepsCountersAndForgetsFailures) {
  PathSelector s;
  s.failed(Path::ZeroCopy, 0, "refused");
  s.succeeded(Path::GpuCopy, 10, 1);
  s.set_forced(Path::Sysram);
  EXPECT_EQ(s.choose(1), Path::Sysram);
  s.set_forced({});
  EXPECT_EQ(s.choose(1), Path::ZeroCopy);
  EXPECT_EQ(s.stats(Path::GpuCopy).frames, 1u);
  EXPECT_EQ(s.stats(Path::ZeroCopy).failures, 1u);
}
}  // namespace
