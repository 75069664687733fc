// IPC requests: every line gets exactly one reply line, a JSON object with a
// boolean "ok", from the dispatcher alone and through the socket server (which
// also frames: partial lines, several per read, over-long ones, a vanishing
// client). The first input byte chooses the write chunk size.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <wayland-server-core.h>

#include "fuzz.hpp"
#include "ipc/ipc.hpp"

namespace {

using tranche::ipc::Dispatcher;
using tranche::ipc::json;

struct World {
  Dispatcher dispatcher;
  wl_event_loop* loop = nullptr;
  std::unique_ptr<tranche::ipc::Server> server;
  std::filesystem::path dir;
};

World* world = nullptr;

void check_reply(std::string_view reply) {
  FUZZ_CHECK(reply.find('\n') == std::string_view::npos);
  json r = json::parse(reply, nullptr, false);
  FUZZ_CHECK(!r.is_discarded());
  FUZZ_CHECK(r.is_object());
  FUZZ_CHECK(r.contains("ok") && r["ok"].is_boolean());
  if (!r["ok"].get<bool>()) FUZZ_CHECK(r.contains("error") && r["error"].is_string());
}

int connect_to(const std::filesystem::path& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  FUZZ_CHECK(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  return fd;
}

// Reads what the server has sent so far into `replies`; false once it closed.
bool drain(int fd, std::string& replies) {
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      replies.append(buf, static_cast<size_t>(n));
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  world = new World;
  world->dispatcher.add("echo", "args back", [](const json& args) -> std::expected<json, std::string> { return args; });
  world->dispatcher.add("fail", "an error",
                        [](const json&) -> std::expected<json, std::string> { return std::unexpected("no"); });
  world->dispatcher.add("throw", "throws", [](const json& args) -> std::expected<json, std::string> {
    return args.at("missing");  // nlohmann throws: the dispatcher must turn it into an error reply
  });
  world->loop = wl_event_loop_create();
  char tmpl[] = "/tmp/tranche-fuzz-ipc-XXXXXX";
  FUZZ_CHECK(mkdtemp(tmpl) != nullptr);
  world->dir = tmpl;
  auto server = tranche::ipc::Server::create(world->loop, world->dir / "ipc", world->dispatcher);
  FUZZ_CHECK(server.has_value());
  world->server = std::move(*server);
  std::atexit([] {
    world->server.reset();
    wl_event_loop_destroy(world->loop);
    std::filesystem::remove_all(world->dir);
    delete world;
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!world) LLVMFuzzerInitialize(nullptr, nullptr);
  if (size == 0) return 0;
  size_t chunk = 1 + data[0] % 64 * 97;  // 1 .. 6112 bytes per write
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  // The dispatcher, line by line; the server answers the same lines but the
  // blank ones, and at end of input the unterminated rest, if not blank.
  auto blank = [](std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; };
  size_t requests = 0, start = 0;
  for (size_t end; (end = input.find('\n', start)) != std::string_view::npos; start = end + 1) {
    std::string_view line = input.substr(start, end - start);
    check_reply(world->dispatcher.handle_line(line));
    if (!blank(line)) ++requests;
  }
  if (!blank(input.substr(start))) ++requests;

  // The socket server, fed in chunks, then end of input: it answers and closes.
  // Bounded, so a stuck server is a failure.
  int fd = connect_to(world->server->path());
  std::string replies;
  bool open = true, shut = false;
  size_t sent = 0;
  for (int round = 0; round < 100000 && open; ++round) {
    if (sent < input.size()) {
      ssize_t n = send(fd, input.data() + sent, std::min(chunk, input.size() - sent), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) sent += static_cast<size_t>(n);
    } else if (!shut) {
      shutdown(fd, SHUT_WR);
      shut = true;
    }
    wl_event_loop_dispatch(world->loop, 0);
    open = drain(fd, replies);
  }
  FUZZ_CHECK(!open);
  size_t reply_lines = 0;
  bool rejected = false;
  for (size_t from = 0, end; (end = replies.find('\n', from)) != std::string::npos; from = end + 1) {
    std::string_view reply = std::string_view(replies).substr(from, end - from);
    check_reply(reply);
    rejected |= reply.find("request too long") != std::string_view::npos;
    ++reply_lines;
  }
  FUZZ_CHECK(replies.empty() || replies.back() == '\n');
  if (!rejected) FUZZ_CHECK(reply_lines == requests);
  close(fd);
  for (int i = 0; i < 100 && world->server->client_count() > 0; ++i) wl_event_loop_dispatch(world->loop, 0);
  FUZZ_CHECK(world->server->client_count() == 0);
  return 0;
}
