// tranchectl: send one IPC request to a running tranche and print the reply.
// Exit codes: 0 ok, 1 the compositor answered with an error, 2 usage error,
// 3 no connection / timeout / unreadable reply.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <format>
#include <iostream>
#include <string>
#include <vector>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cli_usage.hpp"
#include "ipc/ipc.hpp"

#ifndef TRANCHE_VERSION
#define TRANCHE_VERSION "unknown"
#endif

namespace {

using tranche::ipc::json;
using Clock = std::chrono::steady_clock;

enum Exit { kOk = 0, kCommandError = 1, kUsage = 2, kNoConnection = 3 };

struct Options {
  std::string socket;
  bool json = false;
  double timeout = 5;
  std::string command;
  std::vector<std::string> args;
};

struct Failure {
  int code;
  std::string message;
};

// ---- request ----

// key=value pairs; a value that parses as JSON (42, true, [1,2]) is sent as such.
std::expected<json, std::string> parse_args(const std::vector<std::string>& args) {
  json out = json::object();
  for (const auto& arg : args) {
    auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) return std::unexpected("argument '" + arg + "' is not of the form key=value");
    auto key = arg.substr(0, eq);
    if (out.contains(key)) return std::unexpected("argument '" + key + "' given twice");
    json value = json::parse(arg.substr(eq + 1), nullptr, false);
    out[key] = value.is_discarded() ? json(arg.substr(eq + 1)) : std::move(value);
  }
  return out;
}

std::filesystem::path resolve_socket(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv(tranche::ipc::kSocketEnv); env && *env) return env;
  const char* display = std::getenv("WAYLAND_DISPLAY");
  return tranche::ipc::socket_path_for(display && *display ? display : "wayland-0");
}

// ---- transport: one deadline bounds connect, send and reply ----

class Deadline {
 public:
  explicit Deadline(double seconds)
      : end_(Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds))) {}
  int remaining_ms() const {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(end_ - Clock::now()).count();
    return left > 0 ? int(left) : 0;
  }

 private:
  Clock::time_point end_;
};

// Waits for `events` on fd; false on timeout.
bool wait_for(int fd, short events, const Deadline& deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int rc = poll(&p, 1, deadline.remaining_ms());
    if (rc > 0) return true;
    if (rc == 0 || errno != EINTR) return false;
  }
}

class Connection {
 public:
  Connection(std::filesystem::path path, const Deadline& deadline) : path_(std::move(path)), deadline_(deadline) {}
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }

  std::expected<void, std::string> open();
  std::expected<void, std::string> send_line(std::string line);
  std::expected<std::string, std::string> read_line();

 private:
  std::string fail(std::string_view what, int err) const {
    return std::format("{} {}: {}", what, path_.string(), std::strerror(err));
  }
  std::string timed_out(std::string_view what) const {
    return std::format("timed out {} {}", what, path_.string());
  }

  std::filesystem::path path_;
  const Deadline& deadline_;
  int fd_ = -1;
};

std::expected<void, std::string> Connection::open() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.native().size() >= sizeof addr.sun_path) return std::unexpected("socket path too long: " + path_.string());
  std::memcpy(addr.sun_path, path_.c_str(), path_.native().size());

  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return std::unexpected(fail("cannot create a socket for", errno));
  // A Unix socket connects at once or, with a full backlog, says EAGAIN: retry then.
  while (connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == EINPROGRESS) break;
    if (errno != EAGAIN && errno != EINTR) return std::unexpected(fail("cannot connect to", errno) + " (is tranche running?)");
    if (deadline_.remaining_ms() == 0) return std::unexpected(timed_out("connecting to"));
    poll(nullptr, 0, 10);
  }
  if (!wait_for(fd_, POLLOUT, deadline_)) return std::unexpected(timed_out("connecting to"));
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return std::unexpected(fail("cannot connect to", err));
  return {};
}

std::expected<void, std::string> Connection::send_line(std::string line) {
  line += '\n';
  for (size_t sent = 0; sent < line.size();) {
    ssize_t n = send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += size_t(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait_for(fd_, POLLOUT, deadline_)) return std::unexpected(timed_out("sending to"));
    } else if (errno != EINTR) {
      return std::unexpected(fail("cannot send to", errno));
    }
  }
  return {};
}

std::expected<std::string, std::string> Connection::read_line() {
  std::string buf;
  char chunk[16 * 1024];
  for (;;) {
    if (auto nl = buf.find('\n'); nl != std::string::npos) return buf.substr(0, nl);
    if (!wait_for(fd_, POLLIN, deadline_)) return std::unexpected(timed_out("waiting for a reply from"));
    ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buf.append(chunk, size_t(n));
    } else if (n == 0) {
      return std::unexpected("connection closed by " + path_.string() + " before a complete reply");
    } else if (errno != EAGAIN && errno != EINTR) {
      return std::unexpected(fail("cannot read from", errno));
    }
  }
}

// Sends the request; the result on success, else exit code and message.
std::expected<json, Failure> call(const std::filesystem::path& path, const json& request, double timeout) {
  Deadline deadline(timeout);
  Connection conn(path, deadline);
  auto sent = conn.open().and_then([&] { return conn.send_line(request.dump()); });
  auto reply_line = sent.and_then([&] { return conn.read_line(); });
  if (!reply_line) return std::unexpected(Failure{kNoConnection, reply_line.error()});

  json reply = json::parse(*reply_line, nullptr, false);
  auto ok = reply.is_object() ? reply.find("ok") : reply.end();
  if (reply.is_discarded() || !reply.is_object() || ok == reply.end() || !ok->is_boolean())
    return std::unexpected(Failure{kNoConnection, "malformed reply from " + path.string()});
  if (ok->get<bool>()) return reply.value("result", json());
  auto error = reply.value("error", json("(no error text)"));
  return std::unexpected(Failure{kCommandError, error.is_string() ? error.get<std::string>() : error.dump()});
}

// ---- human-readable output; lenient about missing or odd fields ----

std::string dump(const json& value, int indent = -1) {
  return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string str(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

double num(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_number() ? it->get<double>() : 0.0;
}

long long integer(const json& o, const char* key) { return std::llround(num(o, key)); }

bool flag(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_boolean() && it->get<bool>();
}

std::string size_and_position(const json& o) {
  return std::format("{}x{} at {},{}", integer(o, "width"), integer(o, "height"), integer(o, "x"), integer(o, "y"));
}

// A string field, JSON-quoted; empty when absent or null.
std::string quoted(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? dump(*it) : "";
}

void print_output(const json& o) {
  std::cout << str(o, "name");
  if (auto description = quoted(o, "description"); !description.empty()) std::cout << ' ' << description;
  // tranche sends the mode as mode_width/mode_height, width/height being the
  // (scaled, transformed) box in the layout.
  bool has_mode = o.contains("mode_width");
  std::cout << std::format("\n  mode: {}x{}", integer(o, has_mode ? "mode_width" : "width"),
                           integer(o, has_mode ? "mode_height" : "height"));
  if (double mhz = num(o, "refresh_mhz"); mhz > 0) std::cout << std::format(" @ {:.3f} Hz", mhz / 1000);
  std::cout << std::format("\n  position: {},{}\n", integer(o, "x"), integer(o, "y"));
  std::cout << std::format("  scale: {:.2f}\n", num(o, "scale"));
  std::cout << "  transform: " << (str(o, "transform").empty() ? "normal" : str(o, "transform")) << '\n';
  auto make = str(o, "make"), model = str(o, "model");
  if (!make.empty() || !model.empty()) std::cout << "  model: " << make << (make.empty() || model.empty() ? "" : " ") << model << '\n';
  if (auto backend = str(o, "backend"); !backend.empty()) std::cout << "  backend: " << backend << '\n';
  if (auto e = o.find("enabled"); e != o.end() && *e == false) std::cout << "  (disabled)\n";
}

void print_surface(const json& s) {
  std::cout << '#' << integer(s, "id") << ' ' << str(s, "kind");
  if (auto title = quoted(s, "title"); !title.empty()) std::cout << ' ' << title;
  if (auto app_id = str(s, "app_id"); !app_id.empty()) std::cout << " app_id=" << app_id;
  if (auto ns = str(s, "namespace"); !ns.empty()) std::cout << " namespace=" << ns;
  if (auto layer = str(s, "layer"); !layer.empty()) std::cout << " layer=" << layer;
  if (auto pid = integer(s, "pid"); pid > 0) std::cout << " pid=" << pid;
  std::cout << ' ' << size_and_position(s);
  if (auto output = str(s, "output"); !output.empty()) std::cout << " on " << output;
  for (const char* f : {"focused", "fullscreen", "maximized", "modal"})
    if (flag(s, f)) std::cout << " [" << f << ']';
  if (auto parent = s.find("parent"); parent != s.end() && parent->is_number_integer())
    std::cout << " parent=#" << parent->get<int64_t>();
  if (auto icon = s.find("icon"); icon != s.end() && icon->is_object()) {
    if (auto name = str(*icon, "name"); !name.empty()) std::cout << " icon=" << name;
    else std::cout << " icon=(image)";
  }
  std::cout << '\n';
  if (auto popups = s.find("popups"); popups != s.end() && popups->is_array())
    for (const auto& p : *popups) std::cout << "  popup " << size_and_position(p) << '\n';
}

std::string joined(const json& list) {
  std::string out;
  if (list.is_array())
    for (const auto& item : list) out += (out.empty() ? "" : ", ") + (item.is_string() ? item.get<std::string>() : dump(item));
  return out;
}

// An output on another device: how its frames get there, and what each path cost.
void print_copy(const json& copy) {
  auto path = copy.find("path");
  std::cout << "  copied to " << str(copy, "display_device") << " by "
            << (path != copy.end() && path->is_string() ? path->get<std::string>() : "(none yet)") << " ("
            << str(copy, "mode") << ")\n";
  const json paths = copy.value("paths", json::object());
  for (const auto& [name, p] : paths.items()) {
    if (integer(p, "frames") == 0 && integer(p, "failures") == 0) continue;
    std::cout << std::format("    {}: {} frame(s)", name, integer(p, "frames"));
    if (p.contains("ms_per_frame") && name != "zero-copy")
      std::cout << std::format(", {:.2f} ms and {:.2f} MB a frame", num(p, "ms_per_frame"),
                               num(p, "bytes") / 1e6 / static_cast<double>(integer(p, "frames")));
    if (p.contains("mb_per_s")) std::cout << std::format(", {:.0f} MB/s", num(p, "mb_per_s"));
    if (integer(p, "failures") > 0) std::cout << ", " << integer(p, "failures") << " failure(s): " << str(p, "last_error");
    if (p.contains("retry_in_ms")) std::cout << ", retried in " << integer(p, "retry_in_ms") << " ms";
    std::cout << '\n';
  }
}

// `explain`: per output its planes and last frame, per surface its path and why.
void print_explain(const json& e) {
  if (auto render = e.find("render_device"); render != e.end() && render->is_object())
    std::cout << "render device: " << str(*render, "path") << " (dev " << integer(*render, "dev") << ")\n";
  else
    std::cout << "render device: none (no linux-dmabuf; clients use shared memory)\n";
  for (const auto& o : e.value("outputs", json::array())) {
    std::cout << "output " << str(o, "name");
    auto frame = o.value("frame", json::object());
    std::cout << ": frame " << str(frame, "path") << ", " << integer(frame, "overlays") << " overlay(s)";
    auto cursor = o.value("cursor", json::object());
    std::cout << ", cursor " << str(cursor, "path");
    if (auto why = joined(cursor.value("reasons", json::array())); !why.empty()) std::cout << " (" << why << ')';
    std::cout << '\n';
    if (auto copy = o.find("copy"); copy != o.end() && copy->is_object()) print_copy(*copy);
    for (const auto& p : o.value("planes", json::array())) {
      std::cout << std::format("  plane {} {}", integer(p, "id"), str(p, "type"));
      if (auto it = p.find("surface"); it != p.end() && it->is_number()) std::cout << " <- surface #" << it->get<long long>();
      std::cout << '\n';
    }
  }
  for (const auto& s : e.value("surfaces", json::array())) {
    std::cout << '#' << integer(s, "id") << ' ' << str(s, "role");
    if (auto app_id = str(s, "app_id"); !app_id.empty()) std::cout << " app_id=" << app_id;
    std::cout << ": " << str(s, "path");
    if (auto it = s.find("plane"); it != s.end() && it->is_number()) std::cout << " (plane " << it->get<long long>() << ')';
    if (auto output = str(s, "output"); !output.empty()) std::cout << " on " << output;
    std::cout << '\n';
    if (auto buffer = s.find("buffer"); buffer != s.end() && buffer->is_object()) {
      std::cout << "  buffer: " << str(*buffer, "type") << ' ' << integer(*buffer, "width") << 'x' << integer(*buffer, "height");
      if (auto format = str(*buffer, "format"); !format.empty()) std::cout << ' ' << format << " modifier " << str(*buffer, "modifier");
      std::cout << '\n';
    }
    if (auto why = joined(s.value("reasons", json::array())); !why.empty()) std::cout << "  not faster because: " << why << '\n';
    if (auto feedback = s.find("feedback"); feedback != s.end() && feedback->is_object()) {
      std::cout << "  feedback tranches:";
      for (const auto& t : feedback->value("tranches", json::array()))
        std::cout << ' ' << str(t, "kind") << (flag(t, "scanout") ? "(scanout)" : "") << '[' << integer(t, "formats") << ']';
      std::cout << '\n';
    }
  }
}

// `stats`: nested counters, one "key: value" line each, nesting indented;
// each element of a list starts with "-".
void print_tree(const json& value, int indent) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  auto scalar = [](const json& v) -> std::string {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null() || (v.is_structured() && v.empty())) return "none";
    return v.dump();
  };
  if (value.is_object()) {
    for (const auto& [key, v] : value.items()) {
      if (v.is_structured() && !v.empty()) {
        std::cout << pad << key << ":\n";
        print_tree(v, indent + 2);
      } else {
        std::cout << pad << key << ": " << scalar(v) << '\n';
      }
    }
  } else if (value.is_array()) {
    for (const auto& v : value) {
      if (v.is_structured() && !v.empty()) {
        std::cout << pad << "-\n";
        print_tree(v, indent + 2);
      } else {
        std::cout << pad << "- " << scalar(v) << '\n';
      }
    }
  } else {
    std::cout << pad << scalar(value) << '\n';
  }
}

void print_help(const json& list) {
  size_t width = 0;
  for (const auto& c : list) width = std::max(width, str(c, "name").size());
  for (const auto& c : list) std::cout << std::format("  {:<{}}  {}\n", str(c, "name"), width, str(c, "summary"));
}

// null, true, or an object of true flags only ({"reloaded": true}): nothing to show.
bool is_acknowledgement(const json& result) {
  if (result.is_null() || result == true) return true;
  if (!result.is_object() || result.empty()) return false;
  for (const auto& value : result) if (value != true) return false;
  return true;
}

// 'ab c' -> "'ab c'": one word for sh, whatever it contains.
std::string shell_quote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=@%+,") == std::string::npos)
    return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// `exec CMD...`: one word is a shell command line as is, several are quoted and joined.
std::string exec_command_line(const std::vector<std::string>& words) {
  if (words.size() == 1) return words[0];
  std::string line;
  for (const auto& word : words) line += (line.empty() ? "" : " ") + shell_quote(word);
  return line;
}

// `env`: assignments for `eval "$(tranchectl env)"`; an unset variable is unset.
void print_env(const json& env) {
  for (const auto& [name, value] : env.items()) {
    if (value.is_string())
      std::cout << "export " << name << '=' << shell_quote(value.get<std::string>()) << '\n';
    else
      std::cout << "unset " << name << '\n';
  }
}

void print_human(const std::string& command, const json& result) {
  if (result.is_array() && command == "outputs") {
    for (size_t i = 0; i < result.size(); ++i) {
      if (i > 0) std::cout << '\n';
      print_output(result[i]);
    }
  } else if (result.is_array() && command == "surfaces") {
    for (const auto& surface : result) print_surface(surface);
  } else if (result.is_object() && command == "explain") {
    print_explain(result);
  } else if (result.is_object() && command == "env") {
    print_env(result);
  } else if (result.is_object() && command == "stats") {
    print_tree(result, 0);
  } else if (result.is_array() && command == "help") {
    print_help(result);
  } else if (is_acknowledgement(result)) {
    std::cout << "ok\n";
  } else {
    std::cout << dump(result, 2) << '\n';
  }
}

// ---- command line ----

int run(const Options& opt) {
  if (opt.command == "exec" && opt.args.empty()) {
    std::cerr << "tranchectl: exec needs a command\nRun with --help for more information.\n";
    return kUsage;
  }
  auto args = opt.command == "exec" ? std::expected<json, std::string>(json{{"command", exec_command_line(opt.args)}})
                                    : parse_args(opt.args);
  if (!args) {
    std::cerr << "tranchectl: " << args.error() << "\nRun with --help for more information.\n";
    return kUsage;
  }
  auto path = resolve_socket(opt.socket);
  if (path.empty()) {
    std::cerr << "tranchectl: no IPC socket: XDG_RUNTIME_DIR is unset (use --socket or " << tranche::ipc::kSocketEnv << ")\n";
    return kNoConnection;
  }
  json request{{"command", opt.command}};
  if (!args->empty()) request["args"] = std::move(*args);

  auto result = call(path, request, opt.timeout);
  if (!result) {
    std::cerr << "tranchectl: " << (result.error().code == kCommandError ? "error: " : "") << result.error().message << '\n';
    return result.error().code;
  }
  if (opt.json)
    std::cout << dump(*result, 2) << '\n';
  else
    print_human(opt.command, *result);
  std::cout.flush();
  return std::cout ? kOk : kNoConnection;
}

}  // namespace

// Index of the first word that is not one of our options (the command), or argc.
int command_index(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") return i + 1;
    if (a == "--socket" || a == "--timeout") { ++i; continue; }
    if (a.starts_with("-")) continue;
    return i;
  }
  return argc;
}

int main(int argc, char** argv) {
  Options opt;
  // exec's words are the command's, options included: CLI11 never sees them.
  std::vector<std::string> exec_words;
  if (int i = command_index(argc, argv); i < argc && std::string_view(argv[i]) == "exec") {
    int first = i + 1 < argc && std::string_view(argv[i + 1]) == "--" ? i + 2 : i + 1;
    exec_words.assign(argv + first, argv + argc);
    argc = i + 1;
  }
  CLI::App app{"Query and control a running tranche compositor.", "tranchectl"};
  tranche::use_usage_formatter(app);
  app.set_version_flag("--version", "tranchectl " TRANCHE_VERSION);
  app.add_option("--socket", opt.socket, "IPC socket (default: $TRANCHE_IPC_SOCKET, else the one of $WAYLAND_DISPLAY)")
      ->type_name("PATH");
  app.add_flag("--json", opt.json, "Print the result as JSON");
  app.add_option("--timeout", opt.timeout, "Seconds to wait for the compositor")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();
  app.add_option("COMMAND", opt.command, "outputs, surfaces, explain, stats, env, exec, reload, quit, help, or any other command the compositor knows")
      ->required();
  app.add_option("ARGS", opt.args, "Arguments for the command, as key=value (value parsed as JSON if it is JSON)");
  app.footer("Commands: outputs, surfaces, explain, stats, env, exec CMD..., reload, quit, help (the compositor lists all with 'help').\n"
             "'tranchectl env' prints shell assignments (eval \"$(tranchectl env)\"); 'tranchectl exec CMD...' runs CMD detached in tranche's environment.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kOk : kUsage;
  }
  if (opt.command == "exec") opt.args = std::move(exec_words);
  return run(opt);
}
