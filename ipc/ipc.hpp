// tranche's IPC: a Unix socket per compositor instance speaking newline-delimited
// JSON. One request per line: {"command": "outputs", "args": {...}}; one reply per
// line: {"ok": true, "result": ...} or {"ok": false, "error": "..."}.
// Only libwayland's event loop is used (no wlroots), so tests drive it directly.
#pragma once

#include <chrono>
#include <expected>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

struct wl_event_loop;

namespace tranche::ipc {

using json = nlohmann::json;

// A command's implementation: args (an object, {} when absent) → result or error text.
using Command = std::function<std::expected<json, std::string>(const json& args)>;

// Maps command names to implementations. The compositor registers its commands;
// later subsystems (explain, stats) add theirs.
class Dispatcher {
 public:
  void add(std::string name, std::string summary, Command command);

  // One request line in, one reply line out (no newline). Never throws: malformed
  // JSON, a non-object, a missing/unknown command or a throwing command give
  // {"ok": false, "error": ...}. The built-in "help" lists the commands.
  std::string handle_line(std::string_view line) const;

 private:
  struct Entry {
    std::string summary;
    Command command;
  };
  std::map<std::string, Entry, std::less<>> commands_;
};

// Limits a client must respect; exceeding them gets an error reply and a disconnect.
inline constexpr size_t kMaxRequestBytes = 64 * 1024;
inline constexpr size_t kMaxClients = 64;
// A connection that sends no complete request for this long is closed.
inline constexpr std::chrono::milliseconds kIdleTimeout{30'000};

struct Limits {
  size_t max_clients = kMaxClients;
  std::chrono::milliseconds idle_timeout = kIdleTimeout;
};

// Listens on a Unix socket and serves a Dispatcher from a wl_event_loop.
// Non-blocking throughout: a slow or silent client never stalls the compositor,
// and idle ones cannot lock others out: they are closed after the idle timeout,
// and a new connection to a full table takes the place of the longest-idle one.
class Server {
 public:
  // Binds `path` (replacing a stale socket nobody listens on; refusing one that is
  // live) and registers with the loop.
  static std::expected<std::unique_ptr<Server>, std::string> create(
      wl_event_loop* loop, std::filesystem::path path, const Dispatcher& dispatcher, Limits limits = {});
  ~Server();  // closes every client, removes the socket file

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  const std::filesystem::path& path() const;
  size_t client_count() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// $XDG_RUNTIME_DIR/tranche.<wayland socket name>.ipc — one per compositor instance.
// Empty when XDG_RUNTIME_DIR is unset.
std::filesystem::path socket_path_for(std::string_view wayland_socket);

// The environment variable tranche sets for its children and tranchectl reads.
inline constexpr const char* kSocketEnv = "TRANCHE_IPC_SOCKET";

}  // namespace tranche::ipc
