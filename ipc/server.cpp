// The IPC socket on the compositor's event loop. Everything is non-blocking: a
// client that sends slowly, never reads, or vanishes mid-reply costs memory at most,
// never a stall of the compositor.
#include "ipc/ipc.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <list>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <wayland-server-core.h>

namespace tranche::ipc {
namespace {

constexpr size_t kReadChunk = 16 * 1024;
// A client that pipelines requests without reading replies is not read from while
// this much output waits for it; the kernel then pushes back on the client.
constexpr size_t kMaxPendingOutput = 4 * 1024 * 1024;
constexpr int kSendFlags = MSG_NOSIGNAL | MSG_DONTWAIT;  // no SIGPIPE from a vanished client

std::string error_line(std::string_view text) {
  return json{{"ok", false}, {"error", text}}.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string sys_error(std::string_view what, const std::filesystem::path& path) {
  return std::string(what) + " " + path.string() + ": " + std::strerror(errno);
}

using Clock = std::chrono::steady_clock;

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

struct Client {
  Server::Impl* server;
  int fd;
  wl_event_source* source = nullptr;
  std::string in, out;  // unparsed request bytes, unsent reply bytes
  bool closing = false;  // close once `out` is sent; read nothing more
  Clock::time_point active;  // connected, or its last complete request
};

}  // namespace

struct Server::Impl {
  wl_event_loop* loop;
  std::filesystem::path path;
  const Dispatcher& dispatcher;
  Limits limits;
  int listen_fd = -1;
  wl_event_source* listen_source = nullptr;
  wl_event_source* accept_retry = nullptr;  // timer, while out of descriptors
  wl_event_source* idle_timer = nullptr;    // the next idle client's deadline
  bool bound = false;
  struct stat bound_stat {};
  std::list<Client> clients;  // a list: event sources point at their Client

  Impl(wl_event_loop* l, std::filesystem::path p, const Dispatcher& d, Limits lim)
      : loop(l), path(std::move(p)), dispatcher(d), limits(lim) {}
  ~Impl();

  std::expected<void, std::string> listen();
  void accept_all();
  void pause_accepting();
  void add_client(int fd);
  void close_client(Client& c);
  void close_idle();
  std::list<Client>::iterator longest_idle() {
    return std::min_element(clients.begin(), clients.end(),
                            [](const Client& a, const Client& b) { return a.active < b.active; });
  }
  void arm_idle_timer();
  void say_and_close(Client& c, std::string_view text);
  void on_client(Client& c, uint32_t mask);
  bool read_from(Client& c);
  void handle_lines(Client& c);
  void finish_at_eof(Client& c);
  void reject(Client& c, std::string_view text);
  bool flush(Client& c);
};

namespace {

int on_listen_fd(int, uint32_t, void* data) {
  static_cast<Server::Impl*>(data)->accept_all();
  return 0;
}

// A socket file at `path` that nobody accepts on is left over from a crash: remove
// it. One with a listener belongs to a running compositor: refuse. Anything else
// (a regular file, say) is not ours to delete.
std::expected<void, std::string> clear_stale(const sockaddr_un& addr, const std::filesystem::path& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return std::unexpected(sys_error("cannot inspect", path));
  }
  if (!S_ISSOCK(st.st_mode)) return std::unexpected(path.string() + " exists and is not a socket; not replacing it");

  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (probe < 0) return std::unexpected(sys_error("cannot create a socket to probe", path));
  int rc = connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  int err = errno;
  close(probe);
  // EAGAIN: a full backlog, so someone is listening.
  if (rc == 0 || err == EAGAIN || err == EINPROGRESS)
    return std::unexpected("another compositor is already serving IPC on " + path.string());
  if (err != ECONNREFUSED) {
    errno = err;
    return std::unexpected(sys_error("cannot probe", path));
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return std::unexpected(sys_error("cannot remove stale socket", path));
  return {};
}

}  // namespace

std::expected<void, std::string> Server::Impl::listen() {
  if (path.empty()) return std::unexpected("no IPC socket path (is XDG_RUNTIME_DIR set?)");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.native().size() >= sizeof addr.sun_path) return std::unexpected("IPC socket path too long: " + path.string());
  std::memcpy(addr.sun_path, path.c_str(), path.native().size());

  if (auto cleared = clear_stale(addr, path); !cleared) return cleared;

  listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd < 0) return std::unexpected(sys_error("cannot create socket for", path));
  // Linux gives the socket file the socket inode's mode, so this closes the window
  // between bind and chmod; the chmod covers systems where it does not.
  fchmod(listen_fd, 0600);
  if (bind(listen_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return std::unexpected(sys_error("cannot bind", path));
  bound = stat(path.c_str(), &bound_stat) == 0;
  if (chmod(path.c_str(), 0600) != 0) return std::unexpected(sys_error("cannot chmod", path));
  if (::listen(listen_fd, 32) != 0) return std::unexpected(sys_error("cannot listen on", path));

  listen_source = wl_event_loop_add_fd(loop, listen_fd, WL_EVENT_READABLE, on_listen_fd, this);
  if (!listen_source) return std::unexpected(sys_error("cannot watch", path));
  accept_retry = wl_event_loop_add_timer(
      loop,
      [](void* data) {
        auto* self = static_cast<Impl*>(data);
        wl_event_source_fd_update(self->listen_source, WL_EVENT_READABLE);
        return 0;
      },
      this);
  if (!accept_retry) return std::unexpected(sys_error("cannot create a timer for", path));
  idle_timer = wl_event_loop_add_timer(
      loop,
      [](void* data) {
        static_cast<Impl*>(data)->close_idle();
        return 0;
      },
      this);
  if (!idle_timer) return std::unexpected(sys_error("cannot create a timer for", path));
  return {};
}

Server::Impl::~Impl() {
  while (!clients.empty()) close_client(clients.front());
  if (idle_timer) wl_event_source_remove(idle_timer);
  if (accept_retry) wl_event_source_remove(accept_retry);
  if (listen_source) wl_event_source_remove(listen_source);
  if (listen_fd >= 0) close(listen_fd);
  // Only unlink the file we bound: a successor may already have replaced it.
  struct stat st;
  if (bound && stat(path.c_str(), &st) == 0 && st.st_dev == bound_stat.st_dev && st.st_ino == bound_stat.st_ino)
    unlink(path.c_str());
}

void Server::Impl::accept_all() {
  for (;;) {
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) pause_accepting();
      return;  // EAGAIN: all accepted
    }
    if (clients.size() >= limits.max_clients) {
      // Full: the longest-idle connection makes room, so idle ones never lock a new one out.
      auto oldest = longest_idle();
      if (oldest == clients.end()) {  // a limit of 0: nobody gets in
        auto line = error_line("too many IPC clients (limit " + std::to_string(limits.max_clients) + ")");
        (void)send(fd, line.data(), line.size(), kSendFlags);
        close(fd);
        continue;
      }
      say_and_close(*oldest, "closed to make room for a new IPC connection (limit " +
                                 std::to_string(limits.max_clients) + "; this one was the longest idle)");
    }
    add_client(fd);
  }
}

// The connection we could not accept keeps the listener readable: stop watching
// it for a moment rather than spin the compositor at full CPU. (The timer exists
// from the start: creating one now would need a descriptor too.)
void Server::Impl::pause_accepting() {
  wl_event_source_fd_update(listen_source, 0);
  wl_event_source_timer_update(accept_retry, 200);
}

void Server::Impl::add_client(int fd) {
  Client& c = clients.emplace_back(Client{this, fd});
  c.active = Clock::now();
  // libwayland watches a dup of fd and passes `fd` back; we still own and close it.
  c.source = wl_event_loop_add_fd(
      loop, fd, WL_EVENT_READABLE,
      [](int, uint32_t mask, void* data) {
        auto* c = static_cast<Client*>(data);
        c->server->on_client(*c, mask);
        return 0;
      },
      &c);
  if (!c.source) {
    close(fd);
    clients.pop_back();
  }
  arm_idle_timer();
}

void Server::Impl::close_client(Client& c) {
  wl_event_source_remove(c.source);
  close(c.fd);
  clients.remove_if([&](const Client& other) { return &other == &c; });
}

// Best effort: an error line the socket buffer takes at once, then the connection is gone.
void Server::Impl::say_and_close(Client& c, std::string_view text) {
  auto line = error_line(text);
  (void)send(c.fd, line.data(), line.size(), kSendFlags);
  close_client(c);
}

void Server::Impl::close_idle() {
  auto now = Clock::now();
  for (auto it = clients.begin(); it != clients.end();) {
    Client& c = *it++;
    if (now - c.active >= limits.idle_timeout)
      say_and_close(c, "closed: no complete request for " +
                           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - c.active).count()) + " s");
  }
  arm_idle_timer();
}

void Server::Impl::arm_idle_timer() {
  if (clients.empty()) {
    wl_event_source_timer_update(idle_timer, 0);
    return;
  }
  auto oldest = longest_idle()->active;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(oldest + limits.idle_timeout - Clock::now()).count();
  wl_event_source_timer_update(idle_timer, int(std::clamp<long long>(left, 1, 1 << 30)));
}

void Server::Impl::on_client(Client& c, uint32_t mask) {
  // Each step returns false once it has closed (and freed) the client.
  if ((mask & WL_EVENT_READABLE) && !read_from(c)) return;
  if ((mask & WL_EVENT_WRITABLE) && !flush(c)) return;
  if (mask & (WL_EVENT_HANGUP | WL_EVENT_ERROR)) close_client(c);
}

bool Server::Impl::read_from(Client& c) {
  char buf[kReadChunk];
  // A bounded number of reads per wake-up so one chatty client cannot starve the
  // compositor; the level-triggered loop calls again for the rest.
  for (int i = 0; i < 16 && !c.closing && c.out.size() < kMaxPendingOutput; ++i) {
    ssize_t n = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      c.in.append(buf, size_t(n));
      handle_lines(c);
    } else if (n == 0) {
      finish_at_eof(c);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else if (errno != EINTR) {
      close_client(c);
      return false;
    }
  }
  return flush(c);
}

void Server::Impl::handle_lines(Client& c) {
  size_t start = 0;
  for (size_t nl; !c.closing && (nl = c.in.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(c.in.data() + start, nl - start);
    if (line.size() > kMaxRequestBytes) {
      reject(c, "request too long (limit " + std::to_string(kMaxRequestBytes) + " bytes)");
      return;
    }
    if (is_blank(line)) continue;
    c.out += dispatcher.handle_line(line);
    c.out += '\n';
    c.active = Clock::now();
  }
  c.in.erase(0, start);
  if (c.in.size() > kMaxRequestBytes) reject(c, "request too long (limit " + std::to_string(kMaxRequestBytes) + " bytes)");
}

// The client shut down its sending side: answer a last request sent without a
// newline (as `printf ... | nc -U` does), then close once the replies are out.
void Server::Impl::finish_at_eof(Client& c) {
  if (!is_blank(c.in)) {
    c.out += dispatcher.handle_line(c.in);
    c.out += '\n';
  }
  c.in.clear();
  c.closing = true;
}

void Server::Impl::reject(Client& c, std::string_view text) {
  c.out += error_line(text);
  c.in.clear();
  c.closing = true;
}

bool Server::Impl::flush(Client& c) {
  size_t sent = 0;
  while (sent < c.out.size()) {
    ssize_t n = send(c.fd, c.out.data() + sent, c.out.size() - sent, kSendFlags);
    if (n >= 0) {
      sent += size_t(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else if (errno != EINTR) {  // EPIPE, ECONNRESET: the client is gone
      close_client(c);
      return false;
    }
  }
  c.out.erase(0, sent);
  if (c.closing && c.out.empty()) {
    close_client(c);
    return false;
  }
  uint32_t mask = 0;
  if (!c.closing && c.out.size() < kMaxPendingOutput) mask |= WL_EVENT_READABLE;
  if (!c.out.empty()) mask |= WL_EVENT_WRITABLE;
  wl_event_source_fd_update(c.source, mask);
  return true;
}

std::expected<std::unique_ptr<Server>, std::string> Server::create(
    wl_event_loop* loop, std::filesystem::path path, const Dispatcher& dispatcher, Limits limits) {
  auto impl = std::make_unique<Impl>(loop, std::move(path), dispatcher, limits);
  if (auto ok = impl->listen(); !ok) return std::unexpected(ok.error());  // ~Impl cleans up
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

const std::filesystem::path& Server::path() const { return impl_->path; }
size_t Server::client_count() const { return impl_->clients.size(); }

}  // namespace tranche::ipc
