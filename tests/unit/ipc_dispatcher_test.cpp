// The dispatcher alone: every way a request line can be wrong, help, args, errors.
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

#include "ipc/ipc.hpp"

namespace {

using tranche::ipc::Dispatcher;
using tranche::ipc::json;

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d.add("echo", "Return the args", [](const json& args) -> std::expected<json, std::string> { return args; });
    d.add("fail", "Always fails",
          [](const json&) -> std::expected<json, std::string> { return std::unexpected("no can do"); });
    d.add("throw", "Throws", [](const json&) -> std::expected<json, std::string> {
      throw std::runtime_error("boom");
    });
    d.add("throw_int", "Throws a non-exception", [](const json&) -> std::expected<json, std::string> { throw 42; });
  }

  // Parses a reply and checks the envelope every reply must have.
  json reply(std::string_view line) {
    std::string text = d.handle_line(line);
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
    json r = json::parse(text);
    EXPECT_TRUE(r.is_object());
    EXPECT_TRUE(r["ok"].is_boolean());
    return r;
  }

  // The error text of a request that must fail.
  std::string error_of(std::string_view line) {
    json r = reply(line);
    EXPECT_EQ(r["ok"], false) << line;
    EXPECT_TRUE(r["error"].is_string()) << line;
    return r.value("error", "");
  }

  Dispatcher d;
};

TEST_F(DispatcherTest, ReturnsResult) {
  json r = reply(R"({"command": "echo", "args": {"a": 1}})");
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["result"], json({{"a", 1}}));
}

TEST_F(DispatcherTest, MissingArgsAreAnEmptyObject) {
  json r = reply(R"({"command": "echo"})");
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["result"], json::object());
}

TEST_F(DispatcherTest, MalformedJson) {
  EXPECT_NE(error_of(R"({"command": )").find("malformed"), std::string::npos);
  EXPECT_FALSE(error_of("").empty());
  EXPECT_FALSE(error_of("{} trailing").empty());
}

TEST_F(DispatcherTest, NonObjectRequest) {
  for (auto line : {R"(["echo"])", R"("echo")", "42", "null", "true"})
    EXPECT_NE(error_of(line).find("object"), std::string::npos) << line;
}

TEST_F(DispatcherTest, MissingCommand) {
  EXPECT_NE(error_of(R"({"args": {}})").find("command"), std::string::npos);
}

TEST_F(DispatcherTest, NonStringCommand) {
  for (auto line : {R"({"command": 1})", R"({"command": null})", R"({"command": ["echo"]})"})
    EXPECT_NE(error_of(line).find("string"), std::string::npos) << line;
}

TEST_F(DispatcherTest, UnknownCommand) {
  auto error = error_of(R"({"command": "nope"})");
  EXPECT_NE(error.find("unknown command"), std::string::npos);
  EXPECT_NE(error.find("nope"), std::string::npos);
}

TEST_F(DispatcherTest, ArgsMustBeAnObject) {
  for (auto line : {R"({"command": "echo", "args": [1]})", R"({"command": "echo", "args": "x"})",
                    R"({"command": "echo", "args": null})"})
    EXPECT_NE(error_of(line).find("args"), std::string::npos) << line;
}

TEST_F(DispatcherTest, CommandErrorIsReported) {
  EXPECT_EQ(error_of(R"({"command": "fail"})"), "no can do");
}

TEST_F(DispatcherTest, ThrowingCommandIsReported) {
  auto error = error_of(R"({"command": "throw"})");
  EXPECT_NE(error.find("boom"), std::string::npos);
  EXPECT_NE(error.find("throw"), std::string::npos);
  EXPECT_FALSE(error_of(R"({"command": "throw_int"})").empty());
  // Still usable afterwards.
  EXPECT_EQ(reply(R"({"command": "echo"})")["ok"], true);
}

TEST_F(DispatcherTest, HelpListsCommandsWithSummaries) {
  json r = reply(R"({"command": "help"})");
  ASSERT_EQ(r["ok"], true);
  ASSERT_TRUE(r["result"].is_array());
  std::map<std::string, std::string> listed;
  for (const auto& c : r["result"]) listed[c.at("name")] = c.at("summary");
  EXPECT_EQ(listed.size(), 5u);
  EXPECT_EQ(listed["echo"], "Return the args");
  EXPECT_EQ(listed["fail"], "Always fails");
  EXPECT_TRUE(listed.contains("help"));
  EXPECT_FALSE(listed["help"].empty());
}

TEST_F(DispatcherTest, HelpIsReserved) {
  EXPECT_THROW(d.add("help", "mine", [](const json&) -> std::expected<json, std::string> { return 1; }),
               std::invalid_argument);
  EXPECT_THROW(d.add("echo", "again", [](const json&) -> std::expected<json, std::string> { return 1; }),
               std::invalid_argument);
}

TEST_F(DispatcherTest, ReplyIsOneLineEvenWithNewlinesInResult) {
  json r = reply(R"({"command": "echo", "args": {"text": "a\nb"}})");
  EXPECT_EQ(r["result"]["text"], "a\nb");
}

TEST_F(DispatcherTest, InvalidUtf8InResultDoesNotThrow) {
  d.add("bad_utf8", "", [](const json&) -> std::expected<json, std::string> { return std::string("ti\xfftle"); });
  json r = reply(R"({"command": "bad_utf8"})");
  EXPECT_EQ(r["ok"], true);
  EXPECT_TRUE(r["result"].is_string());
}

TEST(SocketPathFor, UsesXdgRuntimeDir) {
  setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
  EXPECT_EQ(tranche::ipc::socket_path_for("wayland-1"), "/run/user/1000/tranche.wayland-1.ipc");
  EXPECT_EQ(tranche::ipc::socket_path_for("/run/user/1000/wayland-2"), "/run/user/1000/tranche.wayland-2.ipc");
  unsetenv("XDG_RUNTIME_DIR");
  EXPECT_TRUE(tranche::ipc::socket_path_for("wayland-1").empty());
}

}  // namespace
