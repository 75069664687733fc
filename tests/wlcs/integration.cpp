// WLCS integration: lets the Wayland Conformance Test Suite drive an in-process,
// headless tranche. Test-only; built as a loadable module, never installed.
//
// Threads. WLCS creates the display server on its test thread, then calls
// start_on_this_thread() on a thread of its own: that thread becomes tranche's
// thread, and every wlroots call happens on it. WLCS forwards the other hooks
// (client sockets, window placement, device creation and pointer events) through
// its own event loop, whose fd we add to tranche's loop, so they too arrive on
// tranche's thread. WLCS 1.7 calls the WlcsTouch down/move/up hooks directly
// from its test thread, though; those are handed to tranche's thread through
// ServerThread::run() below and the test thread waits for them.
//
// Shutdown. WLCS's stop() arrives on tranche's thread while the test fixture
// may still own pointers or touch devices, whose destruction WLCS forwards to
// this thread after stop() returned. So the loop keeps running after stop()
// until every device is gone (or a grace period ran out), then tranche is torn
// down on its own thread before start_on_this_thread() returns.
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <wayland-client-core.h>

#include "output.hpp"
#include "seat.hpp"
#include "server.hpp"
#include "timer.hpp"
#include "view.hpp"
#include "wlr.hpp"

// Device "backends" need wlroots' interface headers, which the compositor itself
// never does; they only declare init/finish for types wlr.hpp already has.
extern "C" {
#include <wlr/interfaces/wlr_keyboard.h>
#include <wlr/interfaces/wlr_pointer.h>
#include <wlr/interfaces/wlr_touch.h>
}

#include <wlcs/display_server.h>
#include <wlcs/pointer.h>
#include <wlcs/touch.h>

namespace {

using tranche::Server;

constexpr int kOutputWidth = 1280;
constexpr int kOutputHeight = 1024;
// A fast display: frame callbacks come within a few milliseconds. WLCS waits one
// 60 Hz period between commits and expects a frame callback in between.
constexpr int kRefreshMhz = 240'000;
// How long the loop outlives stop() waiting for WLCS to destroy its devices.
constexpr int kDeviceGraceMs = 5000;

uint32_t now_msec() { return static_cast<uint32_t>(tranche::monotonic_now() / 1'000'000); }

// One private runtime directory per process for the servers' sockets.
struct RuntimeDir {
  std::string path;
  RuntimeDir() {
    const char* base = getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/tranche-wlcs-XXXXXX";
    if (mkdtemp(pattern.data())) path = pattern;
  }
  ~RuntimeDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

// Runs functions on tranche's thread on behalf of other threads.
class ServerThread {
 public:
  ~ServerThread() { detach(); }

  void attach(wl_event_loop* loop) {
    fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    source_ = wl_event_loop_add_fd(loop, fd_, WL_EVENT_READABLE, &ServerThread::readable, this);
    std::lock_guard lock(mutex_);
    id_ = std::this_thread::get_id();
    running_ = true;
  }

  // Before the loop stops: later callers are refused instead of waiting forever.
  void detach() {
    {
      std::lock_guard lock(mutex_);
      running_ = false;
      id_ = {};
      for (Job* job : queue_) job->done = true;  // not run
      queue_.clear();
    }
    done_.notify_all();
    if (source_) wl_event_source_remove(source_);
    source_ = nullptr;
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  // Runs `fn` on tranche's thread and waits for it; false if the loop is gone.
  bool run(const std::function<void()>& fn) {
    std::unique_lock lock(mutex_);
    if (running_ && std::this_thread::get_id() == id_) {
      lock.unlock();
      fn();
      return true;
    }
    if (!running_) return false;
    Job job{fn};
    queue_.push_back(&job);
    uint64_t one = 1;
    if (write(fd_, &one, sizeof one) < 0) perror("tranche-wlcs: eventfd");
    done_.wait(lock, [&] { return job.done; });
    return job.ran;
  }

 private:
  struct Job {
    const std::function<void()>& fn;
    bool done = false;
    bool ran = false;
  };

  static int readable(int fd, uint32_t, void* data) {
    auto* self = static_cast<ServerThread*>(data);
    uint64_t count;
    if (read(fd, &count, sizeof count) < 0 && errno != EAGAIN) perror("tranche-wlcs: eventfd");
    for (;;) {
      Job* job;
      {
        std::lock_guard lock(self->mutex_);
        if (self->queue_.empty()) break;
        job = self->queue_.front();
        self->queue_.pop_front();
      }
      job->fn();
      {
        std::lock_guard lock(self->mutex_);
        job->ran = job->done = true;
      }
      self->done_.notify_all();
    }
    return 0;
  }

  std::thread::id id_;
  int fd_ = -1;
  wl_event_source* source_ = nullptr;
  std::mutex mutex_;
  std::condition_variable done_;
  std::deque<Job*> queue_;
  bool running_ = false;
};

struct Integration;

struct FakePointer {
  WlcsPointer wlcs;  // first: WLCS hands us back this address
  Integration* owner;
  wlr_pointer pointer;
};

struct FakeTouch {
  WlcsTouch wlcs;  // first, as above
  Integration* owner;
  wlr_touch touch;
  int32_t id;      // the contact this device is using
  bool down;
};

// The WlcsDisplayServer WLCS sees, with a way back to us.
struct DisplayServer {
  WlcsDisplayServer wlcs;  // first, as above
  Integration* self;
};

struct Integration {
  DisplayServer handle{};

  // Owned by tranche's thread while it runs.
  std::unique_ptr<Server> server;
  // The machine's own devices. WLCS 1.7 has no keyboard device, but its clients
  // need the keyboard capability to see keyboard focus. And its clients bind
  // wl_touch only when the seat has touch, so a touch device WLCS creates right
  // before touching would find them without one: the touchscreen is there from
  // the start, like a laptop's.
  wlr_keyboard keyboard{};
  wlr_touch touchscreen{};
  ServerThread thread;
  wl_event_source* wlcs_source = nullptr;
  wl_event_source* grace_timer = nullptr;
  std::map<int, wl_client*> clients;  // the client end's fd -> our wl_client
  int devices = 0;                    // pointers and touch devices WLCS still holds
  bool stopping = false;
  int32_t next_touch_id = 0;

  static Integration* from(WlcsDisplayServer* s) { return reinterpret_cast<DisplayServer*>(s)->self; }
  static Integration* from(const WlcsDisplayServer* s) {
    return reinterpret_cast<const DisplayServer*>(s)->self;
  }

  void run(wl_event_loop* wlcs_loop);
  int create_client_socket();
  void position_window(wl_display* client, wl_surface* surface, int x, int y);
  WlcsPointer* create_pointer();
  WlcsTouch* create_touch();
  void stop();
  void device_destroyed();
  void normalize(double x, double y, double* nx, double* ny) const;
};

// --- the process-wide parts -----------------------------------------------------

RuntimeDir& runtime_dir() {
  static RuntimeDir dir;
  return dir;
}

wlr_log_importance log_level() {
  const char* level = getenv("TRANCHE_WLCS_LOG");
  if (!level) return WLR_ERROR;
  std::string_view l = level;
  if (l == "debug") return WLR_DEBUG;
  if (l == "info") return WLR_INFO;
  if (l == "silent") return WLR_SILENT;
  return WLR_ERROR;
}

// Globals tranche offers, with their versions (compositor/server.cpp and
// seat.cpp create them). WLCS skips tests of extensions that are absent here and
// absent from the registry; one that is listed here but missing from the
// registry fails, so a lost global shows up. No linux-dmabuf: the suite runs on
// the pixman renderer, which has none.
const WlcsExtensionDescriptor kExtensions[] = {
    {"wl_compositor", 6},
    {"wl_subcompositor", 1},
    {"wl_shm", 2},
    {"wl_seat", 9},
    {"wl_output", 4},
    {"wl_data_device_manager", 3},
    {"zwp_primary_selection_device_manager_v1", 1},
    {"zwlr_data_control_manager_v1", 2},
    {"wp_viewporter", 1},
    {"wp_fractional_scale_manager_v1", 1},
    {"wp_single_pixel_buffer_manager_v1", 1},
    {"wp_presentation", 1},
    {"zxdg_output_manager_v1", 3},
    {"zwlr_screencopy_manager_v1", 3},
    {"zwlr_export_dmabuf_manager_v1", 1},
    {"zwlr_gamma_control_manager_v1", 1},
    {"zwlr_foreign_toplevel_manager_v1", 3},
    {"ext_idle_notifier_v1", 1},
    {"zwp_relative_pointer_manager_v1", 1},
    {"xdg_wm_base", 6},
    {"zwlr_layer_shell_v1", 4},
    {"zxdg_decoration_manager_v1", 1},
    {"xdg_activation_v1", 1},
    {"zwp_idle_inhibit_manager_v1", 1},
    {"zwp_pointer_constraints_v1", 1},
    {"zwp_virtual_keyboard_manager_v1", 1},
    {"zwlr_virtual_pointer_manager_v1", 2},
    {"zwlr_output_manager_v1", 4},
    {"zwlr_output_power_manager_v1", 1},
    {"wp_cursor_shape_manager_v1", 1},
    {"zwp_text_input_manager_v3", 1},
    {"zwp_input_method_manager_v2", 1},
};

const WlcsIntegrationDescriptor kDescriptor = {
    .version = 1,
    .num_extensions = sizeof kExtensions / sizeof kExtensions[0],
    .supported_extensions = kExtensions,
};

// --- running tranche --------------------------------------------------------------

void Integration::run(wl_event_loop* wlcs_loop) {
  static std::atomic<int> counter = 0;
  tranche::Options options;
  options.backend = tranche::BackendChoice::Headless;
  options.output_width = kOutputWidth;
  options.output_height = kOutputHeight;
  options.socket = "wlcs-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
  server = std::make_unique<Server>(options, tranche::config::defaults());
  if (auto started = server->start(); !started) {
    fprintf(stderr, "tranche-wlcs: cannot start tranche: %s\n", started.error().c_str());
    abort();  // WLCS would wait for us forever
  }
  // The headless output comes up within a few iterations.
  for (int i = 0; i < 100 && server->outputs().empty(); ++i) wl_event_loop_dispatch(server->loop, 1);
  if (server->outputs().empty()) {
    fprintf(stderr, "tranche-wlcs: the headless output did not appear\n");
    abort();
  }
  for (auto& output : server->outputs()) {
    wlr_output_state state;
    wlr_output_state_init(&state);
    wlr_output_state_set_custom_mode(&state, kOutputWidth, kOutputHeight, kRefreshMhz);
    if (!wlr_output_commit_state(output->wlr, &state)) fprintf(stderr, "tranche-wlcs: cannot set the output mode\n");
    wlr_output_state_finish(&state);
  }

  static const wlr_keyboard_impl keyboard_impl = {.name = "wlcs-keyboard", .led_update = nullptr};
  wlr_keyboard_init(&keyboard, &keyboard_impl, "wlcs-keyboard");
  server->seat->add_input_device(&keyboard.base);
  static const wlr_touch_impl touchscreen_impl = {.name = "wlcs-touchscreen"};
  wlr_touch_init(&touchscreen, &touchscreen_impl, "wlcs-touchscreen");
  server->seat->add_input_device(&touchscreen.base);
  // The cursor starts in the far corner, away from where tests put windows
  // (wlroots starts it at 100,100, inside a window placed at the origin).
  wlr_cursor_warp(server->seat->cursor, nullptr, kOutputWidth - 1, kOutputHeight - 1);

  thread.attach(server->loop);
  wlcs_source = wl_event_loop_add_fd(
      server->loop, wl_event_loop_get_fd(wlcs_loop), WL_EVENT_READABLE,
      [](int, uint32_t, void* data) {
        wl_event_loop_dispatch(static_cast<wl_event_loop*>(data), 0);
        return 0;
      },
      wlcs_loop);

  server->run();

  // Stopped: refuse further cross-thread work, drop what WLCS left behind.
  thread.detach();
  wl_event_source_remove(wlcs_source);
  wlcs_source = nullptr;
  if (grace_timer) wl_event_source_remove(grace_timer);
  grace_timer = nullptr;
  clients.clear();
  wlr_keyboard_finish(&keyboard);
  keyboard = {};
  wlr_touch_finish(&touchscreen);
  touchscreen = {};
  server.reset();
  stopping = false;
}

int Integration::create_client_socket() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return -1;
  wl_client* client = wl_client_create(server->display, fds[0]);
  if (!client) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  clients[fds[1]] = client;
  // Forget the client when it goes, so a reused fd number cannot find it.
  struct Forget {
    wl_listener listener;
    Integration* self;
    int fd;
  };
  auto* forget = new Forget{{}, this, fds[1]};
  forget->listener.notify = [](wl_listener* listener, void*) {
    Forget* f = wl_container_of(listener, f, listener);
    auto it = f->self->clients.find(f->fd);
    if (it != f->self->clients.end()) f->self->clients.erase(it);
    wl_list_remove(&f->listener.link);
    delete f;
  };
  wl_client_add_destroy_listener(client, &forget->listener);
  return fds[1];
}

void Integration::position_window(wl_display* display, wl_surface* proxy, int x, int y) {
  // WLCS gives us its client-side objects; the fd and the object id lead to ours.
  auto it = clients.find(wl_display_get_fd(display));
  if (it == clients.end()) {
    fprintf(stderr, "tranche-wlcs: position_window_absolute: unknown client\n");
    return;
  }
  wl_resource* resource = wl_client_get_object(it->second, wl_proxy_get_id(reinterpret_cast<wl_proxy*>(proxy)));
  if (!resource) {
    fprintf(stderr, "tranche-wlcs: position_window_absolute: unknown surface\n");
    return;
  }
  wlr_surface* surface = wlr_surface_from_resource(resource);
  if (wlr_xdg_toplevel* toplevel = wlr_xdg_toplevel_try_from_wlr_surface(surface)) {
    auto* content = static_cast<wlr_scene_tree*>(toplevel->base->data);
    if (content && content->node.parent) {
      auto* owner = static_cast<tranche::SceneObject*>(content->node.parent->node.data);
      if (auto* view = dynamic_cast<tranche::View*>(owner)) {
        view->move_to(x, y);
        return;
      }
    }
  }
  fprintf(stderr, "tranche-wlcs: position_window_absolute: surface %u (role %s) is not a window\n",
          wl_resource_get_id(resource), surface->role ? surface->role->name : "none");
}

// Layout coordinates to the 0..1 range wlroots' absolute events use.
void Integration::normalize(double x, double y, double* nx, double* ny) const {
  wlr_box box{};
  wlr_output_layout_get_box(server->output_layout, nullptr, &box);
  *nx = box.width > 0 ? (x - box.x) / box.width : 0;
  *ny = box.height > 0 ? (y - box.y) / box.height : 0;
}

// --- pointer ------------------------------------------------------------------

const wlr_pointer_impl kPointerImpl = {.name = "wlcs-pointer"};

FakePointer* pointer_of(WlcsPointer* p) { return reinterpret_cast<FakePointer*>(p); }

void pointer_frame(FakePointer* p) { wl_signal_emit_mutable(&p->pointer.events.frame, &p->pointer); }

void pointer_button(FakePointer* p, int button, wl_pointer_button_state state) {
  wlr_pointer_button_event event{
      .pointer = &p->pointer, .time_msec = now_msec(), .button = uint32_t(button), .state = state};
  wl_signal_emit_mutable(&p->pointer.events.button, &event);
  pointer_frame(p);
}

WlcsPointer* Integration::create_pointer() {
  auto* p = new FakePointer{};
  p->owner = this;
  p->wlcs.version = WLCS_POINTER_VERSION;
  p->wlcs.move_absolute = [](WlcsPointer* wp, wl_fixed_t x, wl_fixed_t y) {
    FakePointer* p = pointer_of(wp);
    p->owner->thread.run([&] {
      wlr_pointer_motion_absolute_event event{.pointer = &p->pointer, .time_msec = now_msec()};
      p->owner->normalize(wl_fixed_to_double(x), wl_fixed_to_double(y), &event.x, &event.y);
      wl_signal_emit_mutable(&p->pointer.events.motion_absolute, &event);
      pointer_frame(p);
    });
  };
  p->wlcs.move_relative = [](WlcsPointer* wp, wl_fixed_t dx, wl_fixed_t dy) {
    FakePointer* p = pointer_of(wp);
    p->owner->thread.run([&] {
      double x = wl_fixed_to_double(dx), y = wl_fixed_to_double(dy);
      wlr_pointer_motion_event event{.pointer = &p->pointer, .time_msec = now_msec(),
                                     .delta_x = x, .delta_y = y, .unaccel_dx = x, .unaccel_dy = y};
      wl_signal_emit_mutable(&p->pointer.events.motion, &event);
      pointer_frame(p);
    });
  };
  p->wlcs.button_down = [](WlcsPointer* wp, int button) {
    FakePointer* p = pointer_of(wp);
    p->owner->thread.run([&] { pointer_button(p, button, WL_POINTER_BUTTON_STATE_PRESSED); });
  };
  p->wlcs.button_up = [](WlcsPointer* wp, int button) {
    FakePointer* p = pointer_of(wp);
    p->owner->thread.run([&] { pointer_button(p, button, WL_POINTER_BUTTON_STATE_RELEASED); });
  };
  p->wlcs.destroy = [](WlcsPointer* wp) {
    FakePointer* p = pointer_of(wp);
    Integration* owner = p->owner;
    bool ran = owner->thread.run([&] {
      wlr_pointer_finish(&p->pointer);  // detaches it from the cursor
      owner->device_destroyed();
    });
    if (ran) delete p;  // else tranche is gone, and the device with it: leak the shell
  };
  wlr_pointer_init(&p->pointer, &kPointerImpl, "wlcs-pointer");
  server->seat->add_input_device(&p->pointer.base);
  ++devices;
  return &p->wlcs;
}

// --- touch --------------------------------------------------------------------

const wlr_touch_impl kTouchImpl = {.name = "wlcs-touch"};

FakeTouch* touch_of(WlcsTouch* t) { return reinterpret_cast<FakeTouch*>(t); }

void touch_frame(FakeTouch* t) { wl_signal_emit_mutable(&t->touch.events.frame, nullptr); }

// WLCS 1.7 passes touch positions as whole pixels, though the hooks say wl_fixed_t.
WlcsTouch* Integration::create_touch() {
  auto* t = new FakeTouch{};
  t->owner = this;
  t->wlcs.version = WLCS_TOUCH_VERSION;
  t->wlcs.touch_down = [](WlcsTouch* wt, wl_fixed_t x, wl_fixed_t y) {
    FakeTouch* t = touch_of(wt);
    t->owner->thread.run([&] {
      if (t->down) return;
      t->down = true;
      t->id = t->owner->next_touch_id++;
      wlr_touch_down_event event{.touch = &t->touch, .time_msec = now_msec(), .touch_id = t->id};
      t->owner->normalize(x, y, &event.x, &event.y);
      wl_signal_emit_mutable(&t->touch.events.down, &event);
      touch_frame(t);
    });
  };
  t->wlcs.touch_move = [](WlcsTouch* wt, wl_fixed_t x, wl_fixed_t y) {
    FakeTouch* t = touch_of(wt);
    t->owner->thread.run([&] {
      if (!t->down) return;
      wlr_touch_motion_event event{.touch = &t->touch, .time_msec = now_msec(), .touch_id = t->id};
      t->owner->normalize(x, y, &event.x, &event.y);
      wl_signal_emit_mutable(&t->touch.events.motion, &event);
      touch_frame(t);
    });
  };
  t->wlcs.touch_up = [](WlcsTouch* wt) {
    FakeTouch* t = touch_of(wt);
    t->owner->thread.run([&] {
      if (!t->down) return;
      t->down = false;
      wlr_touch_up_event event{.touch = &t->touch, .time_msec = now_msec(), .touch_id = t->id};
      wl_signal_emit_mutable(&t->touch.events.up, &event);
      touch_frame(t);
    });
  };
  t->wlcs.destroy = [](WlcsTouch* wt) {
    FakeTouch* t = touch_of(wt);
    Integration* owner = t->owner;
    bool ran = owner->thread.run([&] {
      wlr_touch_finish(&t->touch);
      owner->device_destroyed();
    });
    if (ran) delete t;
  };
  wlr_touch_init(&t->touch, &kTouchImpl, "wlcs-touch");
  server->seat->add_input_device(&t->touch.base);
  ++devices;
  return &t->wlcs;
}

// --- stopping -----------------------------------------------------------------

void Integration::stop() {
  stopping = true;
  if (devices == 0) {
    server->terminate();
    return;
  }
  grace_timer = wl_event_loop_add_timer(
      server->loop,
      [](void* data) {
        auto* self = static_cast<Integration*>(data);
        fprintf(stderr, "tranche-wlcs: %d input device(s) not destroyed after stop; stopping anyway\n",
                self->devices);
        self->server->terminate();
        return 0;
      },
      this);
  wl_event_source_timer_update(grace_timer, kDeviceGraceMs);
}

void Integration::device_destroyed() {
  if (--devices == 0 && stopping) server->terminate();
}

// --- the WLCS entry points ------------------------------------------------------

WlcsDisplayServer* create_server(int argc, const char** argv) {
  static bool once = [] {
    wlr_log_init(log_level(), nullptr);
    // The same renderer with or without a GPU, so the same globals (no linux-dmabuf).
    setenv("WLR_RENDERER", "pixman", 0);
    if (runtime_dir().path.empty()) {
      perror("tranche-wlcs: cannot create a runtime directory");
      abort();
    }
    setenv("XDG_RUNTIME_DIR", runtime_dir().path.c_str(), 1);
    return true;
  }();
  (void)once;

  auto* self = new Integration{};  // no options of our own: argc/argv are unused
  self->handle.self = self;
  WlcsDisplayServer& s = self->handle.wlcs;
  s.version = 3;
  s.start = nullptr;  // start_on_this_thread instead
  s.start_on_this_thread = [](WlcsDisplayServer* s, wl_event_loop* loop) { Integration::from(s)->run(loop); };
  s.stop = [](WlcsDisplayServer* s) { Integration::from(s)->stop(); };
  s.create_client_socket = [](WlcsDisplayServer* s) { return Integration::from(s)->create_client_socket(); };
  s.position_window_absolute = [](WlcsDisplayServer* s, wl_display* client, wl_surface* surface, int x, int y) {
    Integration::from(s)->position_window(client, surface, x, y);
  };
  s.create_pointer = [](WlcsDisplayServer* s) { return Integration::from(s)->create_pointer(); };
  s.create_touch = [](WlcsDisplayServer* s) { return Integration::from(s)->create_touch(); };
  s.get_descriptor = [](const WlcsDisplayServer*) { return &kDescriptor; };
  return &s;
}

void destroy_server(WlcsDisplayServer* s) { delete Integration::from(s); }

}  // namespace

extern "C" __attribute__((visibility("default"))) const WlcsServerIntegration wlcs_server_integration = {
    .version = 1,
    .create_server = &create_server,
    .destroy_server = &destroy_server,
};
