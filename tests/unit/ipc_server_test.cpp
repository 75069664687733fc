// The IPC server over a real Unix socket, driven in-process by a wl_event_loop;
// and tranchectl run as a child against such a server.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wayland-server-core.h>

#include "ipc/ipc.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using tranche::ipc::Dispatcher;
using tranche::ipc::json;
using tranche::ipc::kMaxClients;
using tranche::ipc::kMaxRequestBytes;
using tranche::ipc::Server;
using Result = std::expected<json, std::string>;

sockaddr_un address_of(const fs::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  return addr;
}

// A socket bound at `path`; listening or not.
int bind_raw(const fs::path& path, bool listening) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto addr = address_of(path);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
  if (listening) {
    EXPECT_EQ(listen(fd, 4), 0);
  }
  return fd;
}

// One non-blocking client connection and what it has received so far.
struct TestClient {
  explicit TestClient(const fs::path& path) {
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    auto addr = address_of(path);
    connected = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~TestClient() { close_now(); }
  TestClient(const TestClient&) = delete;

  void close_now() {
    if (fd >= 0) close(fd);
    fd = -1;
  }

  // Takes whatever is readable; notes end of stream.
  void drain() {
    char chunk[64 * 1024];
    for (ssize_t n; fd >= 0 && (n = recv(fd, chunk, sizeof chunk, MSG_DONTWAIT)) != 0;) {
      if (n < 0) {
        if (errno != EINTR) return;
        continue;
      }
      received.append(chunk, size_t(n));
    }
    eof = true;
  }

  int fd = -1;
  bool connected = false;
  bool eof = false;
  std::string received;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tranche-ipc-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    path = dir / "ipc.sock";
    loop = wl_event_loop_create();
    d.add("echo", "Return the args", [](const json& args) -> Result { return args; });
    d.add("big", "A string of args.size bytes",
          [](const json& args) -> Result { return std::string(args.value("size", 0u), 'b'); });
  }

  void TearDown() override {
    server.reset();
    wl_event_loop_destroy(loop);
    fs::remove_all(dir);
  }

  void start() {
    auto created = Server::create(loop, path, d);
    ASSERT_TRUE(created) << created.error();
    server = std::move(*created);
  }

  // Runs the loop until pred() holds or the time is up; returns pred().
  bool pump_until(const std::function<bool()>& pred, int timeout_ms = 3000) {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) return false;
      wl_event_loop_dispatch(loop, 5);
    }
    return true;
  }

  void pump_for(int ms) {
    pump_until([] { return false; }, ms);
  }

  // Sends everything, running the loop whenever the socket buffer is full.
  void send_all(TestClient& c, std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(c.fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        data.remove_prefix(size_t(n));
      } else if (errno == EAGAIN) {
        wl_event_loop_dispatch(loop, 5);
      } else {
        return;  // the server hung up (expected in some tests)
      }
    }
  }

  // The next reply line, unparsed; nullopt on timeout or end of stream.
  std::optional<std::string> read_line(TestClient& c) {
    pump_until([&] {
      c.drain();
      return c.received.find('\n') != std::string::npos || c.eof;
    });
    auto nl = c.received.find('\n');
    if (nl == std::string::npos) return std::nullopt;
    auto line = c.received.substr(0, nl);
    c.received.erase(0, nl + 1);
    return line;
  }

  std::optional<json> read_reply(TestClient& c) {
    auto text = read_line(c);
    if (!text) return std::nullopt;
    return json::parse(*text);
  }

  // Big replies are compared as text: parsing megabytes of JSON is slow in a debug build.
  static json big_request(size_t size) { return {{"command", "big"}, {"args", {{"size", size}}}}; }
  static std::string big_reply(size_t size) { return R"({"ok":true,"result":")" + std::string(size, 'b') + "\"}"; }

  bool closed_by_server(TestClient& c) {
    return pump_until([&] {
      c.drain();
      return c.eof;
    });
  }

  json echo_request(int id) { return {{"command", "echo"}, {"args", {{"id", id}}}}; }
  std::string line(const json& request) { return request.dump() + "\n"; }

  void expect_echo(TestClient& c, int id) {
    send_all(c, line(echo_request(id)));
    auto reply = read_reply(c);
    ASSERT_TRUE(reply);
    EXPECT_EQ(*reply, json({{"ok", true}, {"result", {{"id", id}}}}));
  }

  fs::path dir, path;
  wl_event_loop* loop = nullptr;
  Dispatcher d;
  std::unique_ptr<Server> server;
};

TEST_F(ServerTest, ServesARequest) {
  start();
  TestClient c(path);
  ASSERT_TRUE(c.connected);
  expect_echo(c, 1);
  expect_echo(c, 2);
  EXPECT_EQ(server->client_count(), 1u);
  EXPECT_EQ(server->path(), path);
}

TEST_F(ServerTest, SocketIsPrivate) {
  start();
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0077, 0u);
}

TEST_F(ServerTest, PipelinedRequestsAnsweredInOrder) {
  start();
  TestClient c(path);
  send_all(c, line(echo_request(1)) + line(echo_request(2)) + line(echo_request(3)));
  for (int id = 1; id <= 3; ++id) {
    auto reply = read_reply(c);
    ASSERT_TRUE(reply);
    EXPECT_EQ((*reply)["result"]["id"], id);
  }
}

TEST_F(ServerTest, SplitRequestIsReassembled) {
  start();
  TestClient c(path);
  auto request = line(echo_request(7));
  send_all(c, request.substr(0, 10));
  pump_for(50);
  c.drain();
  EXPECT_TRUE(c.received.empty());
  send_all(c, request.substr(10));
  auto reply = read_reply(c);
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["result"]["id"], 7);
}

TEST_F(ServerTest, ByteByByteRequest) {
  start();
  TestClient c(path);
  for (char ch : line(echo_request(8))) {
    send_all(c, std::string_view(&ch, 1));
    wl_event_loop_dispatch(loop, 0);
  }
  auto reply = read_reply(c);
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["result"]["id"], 8);
}

TEST_F(ServerTest, MalformedRequestKeepsConnection) {
  start();
  TestClient c(path);
  send_all(c, "this is not json\n[1]\n{\"command\": \"nope\"}\n");
  for (int i = 0; i < 3; ++i) {
    auto reply = read_reply(c);
    ASSERT_TRUE(reply);
    EXPECT_EQ((*reply)["ok"], false);
  }
  expect_echo(c, 1);
}

TEST_F(ServerTest, BlankLinesAreIgnored) {
  start();
  TestClient c(path);
  send_all(c, "\n \r\n");
  expect_echo(c, 1);
  pump_for(20);
  c.drain();
  EXPECT_TRUE(c.received.empty());
}

TEST_F(ServerTest, RequestAtTheLimitIsServed) {
  start();
  TestClient c(path);
  auto request = echo_request(1).dump();
  request.append(kMaxRequestBytes - request.size(), ' ');  // JSON allows trailing blanks
  send_all(c, request);
  pump_for(20);
  send_all(c, "\n");
  auto reply = read_reply(c);
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["ok"], true);
}

TEST_F(ServerTest, OverlongRequestGetsErrorAndDisconnect) {
  start();
  TestClient c(path);
  send_all(c, std::string(kMaxRequestBytes + 1, 'x'));
  auto reply = read_reply(c);
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["ok"], false);
  EXPECT_NE((*reply)["error"].get<std::string>().find("too long"), std::string::npos);
  EXPECT_TRUE(closed_by_server(c));
  EXPECT_EQ(server->client_count(), 0u);
}

TEST_F(ServerTest, LargeReplyIsBuffered) {
  start();
  TestClient c(path);
  const size_t size = 2 << 20;  // far beyond a socket buffer: needs WL_EVENT_WRITABLE
  send_all(c, line(big_request(size)));
  EXPECT_EQ(read_line(c), big_reply(size));
  expect_echo(c, 1);
}

TEST_F(ServerTest, ClientThatReadsLateIsServedInFull) {
  start();
  TestClient c(path);
  const size_t size = 512 << 10, count = 10;  // more than the server buffers before it stops reading
  std::string requests;
  for (size_t i = 0; i < count; ++i) requests += line(big_request(size));
  send_all(c, requests);
  pump_for(50);
  send_all(c, line(echo_request(99)));  // sits unread until the client catches up
  pump_for(50);
  for (size_t i = 0; i < count; ++i) ASSERT_EQ(read_line(c), big_reply(size)) << i;
  auto reply = read_reply(c);
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["result"]["id"], 99);
}

TEST_F(ServerTest, ClientClosingBeforeItsReplyIsHarmless) {
  start();
  {
    TestClient c(path);
    send_all(c, line(big_request(1 << 20)));
  }  // closed without reading: the server's send fails (SIGPIPE would kill the test)
  EXPECT_TRUE(pump_until([&] { return server->client_count() == 0; }));
  TestClient next(path);
  expect_echo(next, 1);
}

TEST_F(ServerTest, ClientClosingMidReplyIsHarmless) {
  start();
  {
    TestClient c(path);
    send_all(c, line(big_request(2 << 20)));
    ASSERT_TRUE(pump_until([&] {
      c.drain();
      return c.received.size() > 1000;
    }));
  }
  EXPECT_TRUE(pump_until([&] { return server->client_count() == 0; }));
  TestClient next(path);
  expect_echo(next, 1);
}

TEST_F(ServerTest, HalfClosedClientGetsItsLastReply) {
  start();
  TestClient c(path);
  send_all(c, echo_request(5).dump());  // no newline: end of stream ends the request
  shutdown(c.fd, SHUT_WR);
  auto reply = read_reply(c);
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["result"]["id"], 5);
  EXPECT_TRUE(closed_by_server(c));
}

TEST_F(ServerTest, FullTableMakesRoomByClosingTheLongestIdle) {
  start();
  std::deque<TestClient> clients;
  for (size_t i = 0; i < kMaxClients; ++i) {
    ASSERT_TRUE(clients.emplace_back(path).connected);
    ASSERT_TRUE(pump_until([&] { return server->client_count() == i + 1; }));
  }
  expect_echo(clients[0], 1);  // the first is no longer the longest idle: the second is
  TestClient extra(path);
  expect_echo(extra, 2);
  EXPECT_EQ(server->client_count(), kMaxClients);

  auto reply = read_reply(clients[1]);
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["ok"], false);
  EXPECT_NE((*reply)["error"].get<std::string>().find("longest idle"), std::string::npos) << *reply;
  EXPECT_TRUE(closed_by_server(clients[1]));
  expect_echo(clients[0], 3);  // the others still work
  expect_echo(clients[2], 4);
}

TEST_F(ServerTest, IdleClientIsClosed) {
  auto created = Server::create(loop, path, d, {.max_clients = kMaxClients, .idle_timeout = std::chrono::milliseconds(200)});
  ASSERT_TRUE(created) << created.error();
  server = std::move(*created);
  TestClient idle(path), busy(path), partial(path);
  ASSERT_TRUE(pump_until([&] { return server->client_count() == 3; }));
  send_all(partial, R"({"command": "ec)");  // an incomplete request is no activity
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500)) {
    expect_echo(busy, 1);
    pump_for(50);
  }
  auto reply = read_reply(idle);
  ASSERT_TRUE(reply);
  EXPECT_NE((*reply)["error"].get<std::string>().find("no complete request"), std::string::npos) << *reply;
  EXPECT_TRUE(closed_by_server(idle));
  EXPECT_TRUE(closed_by_server(partial));
  EXPECT_EQ(server->client_count(), 1u);
  expect_echo(busy, 2);
}

TEST_F(ServerTest, ZeroClientLimitRefusesEveryone) {
  auto created = Server::create(loop, path, d, {.max_clients = 0});
  ASSERT_TRUE(created) << created.error();
  server = std::move(*created);
  TestClient c(path);
  auto reply = read_reply(c);
  ASSERT_TRUE(reply);
  EXPECT_NE((*reply)["error"].get<std::string>().find("too many"), std::string::npos);
  EXPECT_TRUE(closed_by_server(c));
}

TEST_F(ServerTest, OutOfDescriptorsDoesNotSpin) {
  start();
  TestClient c(path);  // waits in the backlog
  int lowest_free = open("/dev/null", O_RDONLY | O_CLOEXEC);
  close(lowest_free);
  rlimit saved;
  getrlimit(RLIMIT_NOFILE, &saved);
  rlimit tight = saved;
  tight.rlim_cur = rlim_t(lowest_free);  // accept() now fails with EMFILE
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
  int dispatches = 0;
  pump_until([&] { return ++dispatches < 0; }, 100);
  setrlimit(RLIMIT_NOFILE, &saved);
  EXPECT_LT(dispatches, 200) << "the loop spun on the unacceptable connection";
  EXPECT_EQ(server->client_count(), 0u);
  ASSERT_TRUE(pump_until([&] { return server->client_count() == 1; }));
  expect_echo(c, 1);
}

TEST_F(ServerTest, StaleSocketIsReplaced) {
  close(bind_raw(path, /*listening=*/true));  // a crashed compositor's leftover
  ASSERT_TRUE(fs::exists(path));
  start();
  TestClient c(path);
  expect_echo(c, 1);
}

TEST_F(ServerTest, LiveSocketIsRefused) {
  start();
  auto second = Server::create(loop, path, d);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().find(path.string()), std::string::npos) << second.error();
  EXPECT_NE(second.error().find("already"), std::string::npos) << second.error();
  TestClient c(path);  // the first one is untouched
  expect_echo(c, 1);
}

TEST_F(ServerTest, OtherFileIsNotReplaced) {
  std::ofstream(path) << "precious";
  auto created = Server::create(loop, path, d);
  ASSERT_FALSE(created);
  EXPECT_NE(created.error().find("not a socket"), std::string::npos) << created.error();
  std::ifstream in(path);
  std::string content;
  in >> content;
  EXPECT_EQ(content, "precious");
}

TEST_F(ServerTest, BadPathsAreRefused) {
  EXPECT_FALSE(Server::create(loop, "", d));
  EXPECT_FALSE(Server::create(loop, dir / std::string(200, 'x'), d));
  EXPECT_FALSE(Server::create(loop, dir / "missing-dir" / "ipc.sock", d));
}

TEST_F(ServerTest, DestructionClosesClientsAndUnlinks) {
  start();
  TestClient c(path);
  ASSERT_TRUE(pump_until([&] { return server->client_count() == 1; }));
  server.reset();
  EXPECT_FALSE(fs::exists(path));
  c.drain();
  EXPECT_TRUE(c.eof);
}

TEST_F(ServerTest, DestructionLeavesASuccessorsSocket) {
  start();
  fs::remove(path);
  int successor = bind_raw(path, /*listening=*/true);
  server.reset();
  EXPECT_TRUE(fs::exists(path));
  close(successor);
}

// ---- tranchectl, run as a child process against an in-process server ----

struct Outcome {
  int status = -1;
  std::string out, err;
};

class TranchectlTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    // Built next to this test: <build>/tests/unit/ → <build>/tranchectl/tranchectl.
    const char* override_path = std::getenv("TRANCHECTL");
    binary = override_path ? fs::path(override_path)
                           : fs::read_symlink("/proc/self/exe").parent_path() / "../../tranchectl/tranchectl";
    if (!fs::exists(binary)) GTEST_SKIP() << "tranchectl not built at " << binary;
    d.add("outputs", "Outputs", [](const json&) -> Result {
      return json::parse(R"([
        {"name": "HEADLESS-1", "description": "Headless output 1", "make": "wlroots", "model": "headless",
         "enabled": true, "width": 1920, "height": 1080, "refresh_mhz": 60000, "scale": 1.0,
         "transform": "normal", "x": 0, "y": 0, "backend": "headless"},
        {"name": "HEADLESS-2", "description": null, "make": null, "model": null,
         "enabled": false, "width": 480, "height": 853, "mode_width": 1280, "mode_height": 720,
         "refresh_mhz": 59940, "scale": 1.5, "transform": "90", "x": 1920, "y": -10, "backend": "headless"}])");
    });
    d.add("surfaces", "Surfaces", [](const json&) -> Result {
      return json::parse(R"([
        {"id": 3, "kind": "xdg_toplevel", "app_id": "foot", "title": "foot", "pid": 0, "output": "HEADLESS-1",
         "x": 100, "y": 80, "width": 800, "height": 600, "focused": true, "fullscreen": true, "maximized": false,
         "popups": [{"x": 10, "y": 20, "width": 200, "height": 100}]},
        {"id": 4, "kind": "layer", "layer": "top", "namespace": "bar", "app_id": null, "title": null,
         "pid": 42, "output": null,
         "x": 0, "y": 0, "width": 1920, "height": 30, "focused": false, "fullscreen": false, "maximized": false,
         "popups": []}])");
    });
    d.add("fail", "Fails", [](const json&) -> Result { return std::unexpected("no can do"); });
    d.add("nothing", "Returns null", [](const json&) -> Result { return nullptr; });
    d.add("reload", "Acknowledges", [](const json&) -> Result { return json{{"reloaded", true}}; });
    start();
  }

  // Runs tranchectl, serving the loop meanwhile; `env` entries are added to ours.
  Outcome tranchectl(std::vector<std::string> args, std::vector<std::string> env = {}) {
    auto out = dir / "out", err = dir / "err";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    args.insert(args.begin(), binary.string());
    for (char** e = environ; *e; ++e)
      if (!std::string_view(*e).starts_with("TRANCHE_IPC_SOCKET=")) env.push_back(*e);
    auto argv = c_array(args), envp = c_array(env);
    pid_t pid;
    Outcome result;
    EXPECT_EQ(posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
    bool exited = pump_until([&] { return waitpid(pid, &result.status, WNOHANG) == pid; }, 10000);
    if (!exited) {
      kill(pid, SIGKILL);
      waitpid(pid, &result.status, 0);
      ADD_FAILURE() << "tranchectl did not exit";
    }
    result.status = WIFEXITED(result.status) ? WEXITSTATUS(result.status) : -1;
    result.out = slurp(out);
    result.err = slurp(err);
    return result;
  }

  static std::vector<char*> c_array(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
  }

  static std::string slurp(const fs::path& p) {
    std::ostringstream s;
    s << std::ifstream(p).rdbuf();
    return s.str();
  }

  fs::path binary;
};

TEST_F(TranchectlTest, Outputs) {
  auto r = tranchectl({"--socket", path, "outputs"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "HEADLESS-1 \"Headless output 1\"\n"
            "  mode: 1920x1080 @ 60.000 Hz\n"
            "  position: 0,0\n"
            "  scale: 1.00\n"
            "  transform: normal\n"
            "  model: wlroots headless\n"
            "  backend: headless\n"
            "\n"
            "HEADLESS-2\n"
            "  mode: 1280x720 @ 59.940 Hz\n"
            "  position: 1920,-10\n"
            "  scale: 1.50\n"
            "  transform: 90\n"
            "  backend: headless\n"
            "  (disabled)\n");
}

TEST_F(TranchectlTest, Surfaces) {
  auto r = tranchectl({"--socket", path, "surfaces"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "#3 xdg_toplevel \"foot\" app_id=foot 800x600 at 100,80 on HEADLESS-1 [focused] [fullscreen]\n"
            "  popup 200x100 at 10,20\n"
            "#4 layer namespace=bar layer=top pid=42 1920x30 at 0,0\n");
}

TEST_F(TranchectlTest, JsonAndArgs) {
  auto r = tranchectl({"--socket", path, "--json", "echo", "a=1", "b=hello", "c=true", "d=[1,2]", "e="});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), json::parse(R"({"a": 1, "b": "hello", "c": true, "d": [1, 2], "e": ""})"));
  EXPECT_NE(r.out.find("\n  \"a\": 1"), std::string::npos) << "pretty-printed: " << r.out;
}

TEST_F(TranchectlTest, SocketFromEnvironment) {
  auto r = tranchectl({"nothing"}, {"TRANCHE_IPC_SOCKET=" + path.string()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
}

TEST_F(TranchectlTest, AcknowledgementsPrintOk) {
  EXPECT_EQ(tranchectl({"--socket", path, "reload"}).out, "ok\n");
  EXPECT_EQ(tranchectl({"--socket", path, "echo", "a=1"}).out, "{\n  \"a\": 1\n}\n");
  EXPECT_EQ(tranchectl({"--socket", path, "echo", "a=false"}).out, "{\n  \"a\": false\n}\n");
}

TEST_F(TranchectlTest, HelpListsServerCommands) {
  auto r = tranchectl({"--socket", path, "help"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("  surfaces  Surfaces\n"), std::string::npos) << r.out;
}

TEST_F(TranchectlTest, CommandErrorExitsOne) {
  auto r = tranchectl({"--socket", path, "fail"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "tranchectl: error: no can do\n");
  r = tranchectl({"--socket", path, "no-such-command"});  // passed through; the server refuses
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("unknown command"), std::string::npos) << r.err;
}

TEST_F(TranchectlTest, UsageErrorExitsTwo) {
  EXPECT_EQ(tranchectl({"--socket", path, "echo", "not-key-value"}).status, 2);
  EXPECT_EQ(tranchectl({"--socket", path}).status, 2);
  EXPECT_EQ(tranchectl({"--socket", path, "--bogus", "outputs"}).status, 2);
  EXPECT_EQ(tranchectl({"--version"}).status, 0);
}

TEST_F(TranchectlTest, NoServerExitsThree) {
  auto missing = dir / "missing.sock";
  auto r = tranchectl({"--socket", missing, "outputs"});
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.err.find(missing.string()), std::string::npos) << r.err;
}

TEST_F(TranchectlTest, SilentServerTimesOut) {
  auto silent = dir / "silent.sock";
  int fd = bind_raw(silent, /*listening=*/true);  // accepts into the backlog, never answers
  auto r = tranchectl({"--socket", silent, "--timeout", "0.3", "outputs"});
  close(fd);
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.err.find("timed out"), std::string::npos) << r.err;
}

}  // namespace
