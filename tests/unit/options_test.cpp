#include <gtest/gtest.h>

#include <vector>

#include "options.hpp"

using namespace tranche;

namespace {
std::variant<Options, ParseExit> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "tranche");
  return parse_options(static_cast<int>(args.size()), args.data());
}
}  // namespace

TEST(Options, Defaults) {
  auto result = parse({});
  ASSERT_TRUE(std::holds_alternative<Options>(result));
  const auto& o = std::get<Options>(result);
  EXPECT_EQ(o.backend, BackendChoice::Auto);
  EXPECT_EQ(o.headless_outputs, 1);
  EXPECT_EQ(o.output_width, 1920);
  EXPECT_EQ(o.output_height, 1080);
  EXPECT_FALSE(o.config_path);
  EXPECT_FALSE(o.socket);
  EXPECT_TRUE(o.startup.empty());
}

TEST(Options, EveryOption) {
  auto result = parse({"--backend", "headless", "--config", "/etc/t.toml", "--socket", "wl-x", "--headless-outputs",
                       "3", "--output-size", "1280x720", "--startup", "foot", "--startup", "weston-simple-shm -f",
                       "--log-level", "debug"});
  ASSERT_TRUE(std::holds_alternative<Options>(result));
  const auto& o = std::get<Options>(result);
  EXPECT_EQ(o.backend, BackendChoice::Headless);
  EXPECT_EQ(o.config_path, "/etc/t.toml");
  EXPECT_EQ(o.socket, "wl-x");
  EXPECT_EQ(o.headless_outputs, 3);
  EXPECT_EQ(o.output_width, 1280);
  EXPECT_EQ(o.output_height, 720);
  EXPECT_EQ(o.startup, (std::vector<std::string>{"foot", "weston-simple-shm -f"}));
  EXPECT_EQ(o.log_level, "debug");
}

TEST(Options, HelpExitsZeroWithUsage) {
  auto result = parse({"--help"});
  ASSERT_TRUE(std::holds_alternative<ParseExit>(result));
  const auto& e = std::get<ParseExit>(result);
  EXPECT_EQ(e.code, 0);
  EXPECT_NE(e.output.find("--backend"), std::string::npos);
  EXPECT_NE(e.output.find("--startup"), std::string::npos);
}

TEST(Options, VersionExitsZero) {
  auto result = parse({"--version"});
  ASSERT_TRUE(std::holds_alternative<ParseExit>(result));
  EXPECT_EQ(std::get<ParseExit>(result).code, 0);
  EXPECT_NE(std::get<ParseExit>(result).output.find("tranche"), std::string::npos);
}

class BadOptions : public testing::TestWithParam<std::vector<const char*>> {};

TEST_P(BadOptions, UsageAndExitTwo) {
  auto result = parse(GetParam());
  ASSERT_TRUE(std::holds_alternative<ParseExit>(result));
  const auto& e = std::get<ParseExit>(result);
  EXPECT_EQ(e.code, 2);
  EXPECT_NE(e.output.find("Usage"), std::string::npos) << e.output;
}

INSTANTIATE_TEST_SUITE_P(Options, BadOptions,
                         testing::Values(std::vector<const char*>{"--bogus"},
                                         std::vector<const char*>{"--backend", "vulkan"},
                                         std::vector<const char*>{"--headless-outputs", "0"},
                                         std::vector<const char*>{"--headless-outputs", "x"},
                                         std::vector<const char*>{"--output-size", "1920"},
                                         std::vector<const char*>{"--output-size", "0x100"},
                                         std::vector<const char*>{"--log-level", "loud"},
                                         std::vector<const char*>{"--socket"},
                                         std::vector<const char*>{"stray-argument"}));
