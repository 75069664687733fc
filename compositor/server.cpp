// Start-up and the life of one compositor instance, step by step.
#include "server.hpp"

#include <sys/wait.h>
#include <unistd.h>
#include <xf86drm.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "buffer_paths.hpp"
#include "linux_drm_syncobj.hpp"
#include "surface_timing.hpp"
#include "layer_shell.hpp"
#include "output.hpp"
#include "seat.hpp"
#include "input_method.hpp"
#include "security_context.hpp"
#include "session_lock.hpp"
#include "timer.hpp"
#include "toplevel_list.hpp"
#include "view.hpp"
#include "xdg_shell.hpp"
#include "xwayland.hpp"

namespace tranche {

namespace {
struct SurfaceHooks {
  Listener commit, destroy;
  // What decides which surface is under the pointer, as of the last commit.
  int width = -1, height = -1;
  bool mapped = false;
  pixman_region32_t input;

  SurfaceHooks() { pixman_region32_init(&input); }
  ~SurfaceHooks() { pixman_region32_fini(&input); }
  SurfaceHooks(const SurfaceHooks&) = delete;
  SurfaceHooks& operator=(const SurfaceHooks&) = delete;

  // Whether this commit may have changed what is under the pointer: a new
  // size (viewport and scale included), input region or offset, mapping, or
  // subsurfaces (whose places change with the parent's commit). A new buffer
  // of the same size does not, and most commits are only that.
  bool moves_pointer_focus(const wlr_surface* surface) {
    const wlr_surface_state& now = surface->current;
    bool changed = now.width != width || now.height != height || surface->mapped != mapped || now.dx != 0 ||
                   now.dy != 0 || !pixman_region32_equal(&now.input, &input) ||
                   !wl_list_empty(&now.subsurfaces_below) || !wl_list_empty(&now.subsurfaces_above);
    width = now.width;
    height = now.height;
    mapped = surface->mapped;
    if (changed) pixman_region32_copy(&input, &now.input);
    return changed;
  }
};

bool has_drm_device() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/dev/dri", ec))
    if (entry.path().filename().string().starts_with("card")) return true;
  return false;
}

// libseat hands over a device even when another process is its DRM master; say
// so plainly instead of failing later with an allocator error.
std::optional<std::string> drm_device_in_use(wlr_backend* backend) {
  std::optional<std::string> message;
  auto check = [](wlr_backend* sub, void* data) {
    auto* out = static_cast<std::optional<std::string>*>(data);
    if (out->has_value() || !wlr_backend_is_drm(sub)) return;
    int fd = wlr_backend_get_drm_fd(sub);
    if (fd < 0 || drmIsMaster(fd)) return;
    char* name = drmGetDeviceNameFromFd2(fd);
    *out = std::string("DRM device ") + (name ? name : "?") +
           " is in use by another display server (cannot become DRM master)";
    free(name);
  };
  if (wlr_backend_is_multi(backend)) wlr_multi_for_each_backend(backend, check, &message);
  else check(backend, &message);
  return message;
}

// The session (libseat), then one DRM backend for every KMS device
// (WLR_DRM_DEVICES, or all; the first is the render device) and libinput.
// Unlike wlr_backend_autocreate, no DRM backend is another's child: wlroots
// would then blit every frame for a second device on that device, importing
// the render device's buffers there with its own renderer, which not every
// pair of drivers can do. tranche copies frames to such outputs itself, by the
// fastest path that works (render::CopyChain). No hot-plugged GPUs are added later.
wlr_backend* create_drm_backends(wl_event_loop* loop, wlr_session** session_out) {
  wlr_session* session = wlr_session_create(loop);
  if (!session) return nullptr;
  for (int64_t deadline = monotonic_now() + 10'000'000'000; !session->active && monotonic_now() < deadline;)
    wl_event_loop_dispatch(loop, 100);
  wlr_backend* multi = session->active ? wlr_multi_backend_create(loop) : nullptr;
  if (!multi) {
    TLOG(WLR_ERROR, "the seat's session did not become active");
    wlr_session_destroy(session);
    return nullptr;
  }
  wlr_device* gpus[8];
  ssize_t count = wlr_session_find_gpus(session, 8, gpus);
  int drm_backends = 0;
  for (ssize_t i = 0; i < count; ++i) {
    wlr_backend* drm = wlr_drm_backend_create(session, gpus[i], nullptr);
    if (!drm) continue;
    wlr_multi_backend_add(multi, drm);
    ++drm_backends;
  }
  wlr_backend* input = drm_backends > 0 ? wlr_libinput_backend_create(session) : nullptr;
  if (!input) {
    TLOG(WLR_ERROR, "%s", drm_backends > 0 ? "cannot start libinput" : "cannot open any DRM device");
    wlr_backend_destroy(multi);
    wlr_session_destroy(session);
    return nullptr;
  }
  wlr_multi_backend_add(multi, input);
  *session_out = session;
  return multi;
}

// "DP-2" < "DP-10": runs of digits compare by value.
bool natural_less(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t i_end = i, j_end = j;
      while (i_end < a.size() && std::isdigit(static_cast<unsigned char>(a[i_end]))) ++i_end;
      while (j_end < b.size() && std::isdigit(static_cast<unsigned char>(b[j_end]))) ++j_end;
      unsigned long x = std::stoul(std::string(a.substr(i, i_end - i)));
      unsigned long y = std::stoul(std::string(b.substr(j, j_end - j)));
      if (x != y) return x < y;
      i = i_end;
      j = j_end;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}
}  // namespace

Server::Server(Options options, config::Config config)
    : options_(std::move(options)), config_(std::move(config)) {}

Server::~Server() {
  ipc_server_.reset();
  if (display) {
    // Clients first: their resources reference the objects destroyed below.
    wl_display_destroy_clients(display);
  }
  xwayland_.reset();
  toplevel_list.reset();  // after every window that had a handle; its listener before its global
  input_method.reset();  // its popups are scene nodes
  session_lock.reset();
  for (auto* source : {sigterm_, sigint_, sigchld_})
    if (source) wl_event_source_remove(source);
  // wlroots (0.19 on) asserts that an object dying has no listeners left on its
  // signals: ours go before the objects, here rather than with the members.
  backend_destroy_.disconnect();
  new_output_.disconnect();
  new_input_.disconnect();
  if (backend) wlr_backend_destroy(backend);  // destroys outputs and input devices
  seat.reset();
  buffer_paths.reset();  // its timer lives in the event loop
  for (Listener* listener : {&new_surface_, &new_toplevel_, &new_popup_, &new_layer_surface_, &new_decoration_,
                             &request_activate_, &output_layout_change_, &new_virtual_keyboard_,
                             &new_virtual_pointer_, &new_pointer_constraint_, &new_idle_inhibitor_, &set_icon_})
    listener->disconnect();
  output_management.reset();  // its listeners before the managers die with the display
  surface_timing.reset();  // its globals and timer too
  renderer_retry_.reset();
  renderer_lost_.disconnect();
  if (allocator) wlr_allocator_destroy(allocator);
  if (renderer) wlr_renderer_destroy(renderer);
  if (scene) wlr_scene_node_destroy(&scene->tree.node);
  if (display) wl_display_destroy(display);
}

std::expected<void, std::string> Server::create_backend() {
  BackendChoice choice = options_.backend;
  if (choice == BackendChoice::Auto) {
    if (getenv("WAYLAND_DISPLAY")) choice = BackendChoice::Wayland;
    else if (getenv("DISPLAY")) choice = BackendChoice::X11;
    else if (has_drm_device()) choice = BackendChoice::Drm;
    else {
      TLOG(WLR_INFO, "no display and no DRM device: running headless");
      choice = BackendChoice::Headless;
    }
  }
  backend_name = to_string(choice);
  switch (choice) {
    case BackendChoice::Headless:
      backend = wlr_headless_backend_create(loop);
      if (!backend) return std::unexpected("cannot create the headless backend");
      for (int i = 0; i < options_.headless_outputs; ++i)
        wlr_headless_add_output(backend, options_.output_width, options_.output_height);
      break;
    case BackendChoice::Wayland:
      backend = wlr_wl_backend_create(loop, nullptr);
      if (!backend) return std::unexpected("cannot connect to the Wayland compositor (WAYLAND_DISPLAY)");
      wlr_wl_output_create(backend);
      break;
    case BackendChoice::X11:
      backend = wlr_x11_backend_create(loop, nullptr);
      if (!backend) return std::unexpected("cannot connect to the X server (DISPLAY)");
      wlr_x11_output_create(backend);
      break;
    case BackendChoice::Drm:
      if (!has_drm_device())
        return std::unexpected(
            "no DRM device (/dev/dri/card*): run inside a Wayland or X11 session, or use --backend headless");
      // DRM outputs and libinput devices, through a seat (libseat: seatd, logind or builtin).
      // wlroots 0.18 puts output layers on overlay planes only through
      // libliftoff, which it uses only when asked to. The user's explicit
      // WLR_DRM_FORCE_LIBLIFTOFF=0 wins.
      if (config_.scanout.overlays && !getenv("WLR_DRM_FORCE_LIBLIFTOFF")) setenv("WLR_DRM_FORCE_LIBLIFTOFF", "1", 1);
      if (const char* liftoff = getenv("WLR_DRM_FORCE_LIBLIFTOFF"))
        overlays_enabled_ = std::string_view(liftoff) == "1" || std::string_view(liftoff) == "true";
      backend = create_drm_backends(loop, &session);
      if (!backend) return std::unexpected("cannot open the DRM backend (see the log above: seat, permissions?)");
      if (auto busy = drm_device_in_use(backend)) return std::unexpected(*busy);
      break;
    case BackendChoice::Auto: break;
  }
  return {};
}

std::expected<void, std::string> Server::start() {
  display = wl_display_create();
  loop = wl_display_get_event_loop(display);

  // 1. Backend: where outputs and input devices come from.
  if (auto result = create_backend(); !result) return result;
  // A nested backend destroys itself when its parent compositor goes away
  // (ASan saw ~Server destroy it a second time): forget it, and end.
  backend_destroy_.connect(&backend->events.destroy, [this](void*) {
    backend_destroy_.disconnect();
    backend = nullptr;
    TLOG(WLR_ERROR, "the backend went away (the parent compositor closed?): exiting");
    terminate();
  });

  // 2. Renderer and allocator: how client buffers become pixels on outputs.
  renderer = wlr_renderer_autocreate(backend);
  if (!renderer) return std::unexpected("cannot create a renderer");
  wlr_renderer_init_wl_shm(renderer, display);
  watch_renderer();
  // linux-dmabuf v4 where the renderer can import dma-bufs, with feedback per
  // surface; the paths buffers take (planes or composition) are tracked there.
  buffer_paths = std::make_unique<BufferPaths>(*this);
  buffer_paths->start();
  allocator = wlr_allocator_autocreate(backend, renderer);
  if (!allocator) return std::unexpected("cannot create an allocator");

  // 3. The scene graph, in stacking order, and the output layout it mirrors.
  scene = wlr_scene_create();
  output_layout = wlr_output_layout_create(display);
  scene_layout = wlr_scene_attach_output_layout(scene, output_layout);
  for (wlr_scene_tree** tree : {&layers.background, &layers.bottom, &layers.views, &layers.top,
                                &layers.fullscreen, &layers.overlay, &layers.popups})
    *tree = wlr_scene_tree_create(&scene->tree);

  // 4. Protocols clients talk to.
  create_protocols();
  // Explicit sync where the KMS device has timeline syncobjs (waits and signals on the CPU).
  explicit_sync = std::make_unique<ExplicitSync>(display, backend, [this] {
    constexpr int64_t kMs = 1'000'000;
    return sync::StallSettings{.warn_after_ns = config_.explicit_sync.stall_warning_ms * kMs,
                               .disconnect_after_ns = config_.explicit_sync.disconnect_after_ms * kMs};
  });
  surface_timing = std::make_unique<SurfaceTiming>(display);  // fifo-v1, commit-timing-v1
  ipc_dispatcher_.add("sync", "explicit sync: waiting surfaces and counters (until explain/stats show them)",
                      [this](const ipc::json&) -> std::expected<ipc::json, std::string> { return explicit_sync->describe(); });

  // 5. Outputs and input.
  seat = std::make_unique<Seat>(*this);
  session_lock = std::make_unique<SessionLock>(*this);  // its cover goes above everything the seat draws
  security_context->add_privileged(session_lock->global());
  security_context->add_privileged(seat->shortcuts_inhibit_global());
  input_method = std::make_unique<InputMethodRelay>(*this);
  security_context->add_privileged(input_method->input_method_global());  // an IME sees every key
  new_output_.connect(&backend->events.new_output, [this](void* data) {
    handle_new_output(static_cast<wlr_output*>(data));
  });
  new_input_.connect(&backend->events.new_input, [this](void* data) {
    seat->add_input_device(static_cast<wlr_input_device*>(data));
  });
  xwayland_ = Xwayland::create(*this);  // lazy: X starts when a client connects
  output_layout_change_.connect(&output_layout->events.change, [this](void*) { arrange_outputs(); });

  // 6. The socket clients connect to.
  if (options_.socket) {
    if (wl_display_add_socket(display, options_.socket->c_str()) != 0)
      return std::unexpected("cannot listen on Wayland socket '" + *options_.socket + "' (in use?)");
    socket_name = *options_.socket;
  } else {
    const char* name = wl_display_add_socket_auto(display);
    if (!name) return std::unexpected("cannot create a Wayland socket (is XDG_RUNTIME_DIR set?)");
    socket_name = name;
  }

  if (!wlr_backend_start(backend)) return std::unexpected("cannot start the backend");
  setenv("WAYLAND_DISPLAY", socket_name.c_str(), 1);
  unsetenv("DISPLAY");  // children use our Xwayland, if any, not the host's X server
  if (xwayland_) xwayland_->export_display();

  // 7. IPC for tranchectl.
  register_ipc_commands();
  if (auto path = ipc::socket_path_for(socket_name); !path.empty()) {
    auto ipc = ipc::Server::create(loop, path, ipc_dispatcher_);
    if (!ipc) return std::unexpected("IPC: " + ipc.error());
    ipc_server_ = std::move(*ipc);
    setenv(ipc::kSocketEnv, path.c_str(), 1);
  }

  // 8. Signals: SIGTERM/SIGINT end the loop cleanly; our own children are reaped.
  auto on_terminate = [](int, void* data) {
    static_cast<Server*>(data)->terminate();
    return 0;
  };
  sigterm_ = wl_event_loop_add_signal(loop, SIGTERM, on_terminate, this);
  sigint_ = wl_event_loop_add_signal(loop, SIGINT, on_terminate, this);
  sigchld_ = wl_event_loop_add_signal(loop, SIGCHLD, [](int, void* data) {
    static_cast<Server*>(data)->reap_children();
    return 0;
  }, this);

  TLOG(WLR_INFO, "running on WAYLAND_DISPLAY=%s (backend %s)", socket_name.c_str(), backend_name);
  run_startup_commands();
  return {};
}

void Server::create_protocols() {
  compositor = wlr_compositor_create(display, 6, renderer);
  // Every client commit feeds the frame schedulers' client budgets.
  new_surface_.connect(&compositor->events.new_surface, [this](void* data) {
    auto* surface = static_cast<wlr_surface*>(data);
    auto* hooks = new SurfaceHooks{};
    hooks->commit.connect(&surface->events.commit, [this, surface, hooks](void*) {
      int64_t now = monotonic_now();
      wlr_surface_output* entered;
      wl_list_for_each(entered, &surface->current_outputs, link)
        if (Output* output = output_of(entered->output)) output->client_committed(now);
      if (hooks->moves_pointer_focus(surface)) seat->schedule_pointer_refresh();
    });
    hooks->destroy.connect(&surface->events.destroy, [this, hooks, surface](void*) {
      if (seat) seat->surface_destroyed(surface);
      delete hooks;
    });
  });
  wlr_subcompositor_create(display);
  wlr_data_device_manager_create(display);
  wlr_primary_selection_v1_device_manager_create(display);
  // Globals a sandboxed client (security-context-v1) does not see.
  security_context = std::make_unique<SecurityContext>(display);
  auto privileged = [this](wl_global* global) { security_context->add_privileged(global); };
  privileged(wlr_data_control_manager_v1_create(display)->global);
  wlr_viewporter_create(display);
  wlr_fractional_scale_manager_v1_create(display, 1);
  wlr_single_pixel_buffer_manager_v1_create(display);
  // Version 2: the clock may be re-announced; presented events carry zero_copy.
  wlr_presentation_create(display, backend, 2);
  wlr_xdg_output_manager_v1_create(display, output_layout);
  privileged(wlr_screencopy_manager_v1_create(display)->global);
  privileged(wlr_export_dmabuf_manager_v1_create(display)->global);
  privileged(wlr_gamma_control_manager_v1_create(display)->global);
  foreign_toplevels = wlr_foreign_toplevel_manager_v1_create(display);
  privileged(foreign_toplevels->global);
  // Lists every window: not for sandboxes, nor is any capture below.
  toplevel_list = std::make_unique<ToplevelList>(display, loop, allocator, renderer);
  privileged(toplevel_list->list_global());
  privileged(toplevel_list->capture_source_global());
  // ext-image-copy-capture-v1 (grim 1.5, xdg-desktop-portal-wlr 0.8): outputs
  // and single windows; wlr-screencopy stays for older tools.
  privileged(wlr_ext_image_copy_capture_manager_v1_create(display, 1)->global);
  privileged(wlr_ext_output_image_capture_source_manager_v1_create(display, 1)->global);
  wlr_alpha_modifier_v1_create(display);  // the scene applies it; the planner sees the opacity
  content_types = wlr_content_type_manager_v1_create(display, 1);  // explain shows it
  tearing_control = wlr_tearing_control_manager_v1_create(display, 1);
  // xdg-dialog-v1: focus_view hands a parent's focus to its modal dialog.
  wlr_xdg_wm_dialog_v1_create(display, 1);
  // xdg-toplevel-icon-v1: kept per window and shown by `tranchectl surfaces`
  // (no size preference: tranche draws no icons itself).
  auto* icons = wlr_xdg_toplevel_icon_manager_v1_create(display, 1);
  set_icon_.connect(&icons->events.set_icon, [](void* data) {
    auto* event = static_cast<wlr_xdg_toplevel_icon_manager_v1_set_icon_event*>(data);
    if (View* view = View::from(event->toplevel)) view->set_icon(event->icon);
  });
  // xdg-foreign: a toplevel of one client becomes the parent of another's (portals' dialogs).
  wlr_xdg_foreign_registry* foreign_registry = wlr_xdg_foreign_registry_create(display);
  wlr_xdg_foreign_v1_create(display, foreign_registry);
  wlr_xdg_foreign_v2_create(display, foreign_registry);
  idle_notifier = wlr_idle_notifier_v1_create(display);
  relative_pointer = wlr_relative_pointer_manager_v1_create(display);

  xdg_shell = wlr_xdg_shell_create(display, 6);
  new_toplevel_.connect(&xdg_shell->events.new_toplevel, [this](void* data) {
    handle_new_xdg_toplevel(*this, static_cast<wlr_xdg_toplevel*>(data));
  });
  new_popup_.connect(&xdg_shell->events.new_popup, [this](void* data) {
    handle_new_xdg_popup(*this, static_cast<wlr_xdg_popup*>(data));
  });

  layer_shell = wlr_layer_shell_v1_create(display, 4);
  privileged(layer_shell->global);
  new_layer_surface_.connect(&layer_shell->events.new_surface, [this](void* data) {
    handle_new_layer_surface(*this, static_cast<wlr_layer_surface_v1*>(data));
  });

  auto* decorations = wlr_xdg_decoration_manager_v1_create(display);
  new_decoration_.connect(&decorations->events.new_toplevel_decoration, [this](void* data) {
    auto* decoration = static_cast<wlr_xdg_toplevel_decoration_v1*>(data);
    if (View* view = View::from(decoration->toplevel)) view->set_decoration(decoration);
  });

  activation = wlr_xdg_activation_v1_create(display);
  request_activate_.connect(&activation->events.request_activate, [this](void* data) {
    auto* event = static_cast<wlr_xdg_activation_v1_request_activate_event*>(data);
    if (View* view = View::from(wlr_xdg_toplevel_try_from_wlr_surface(event->surface)))
      if (view->mapped()) focus_view(view);
  });

  idle_inhibit = wlr_idle_inhibit_v1_create(display);
  new_idle_inhibitor_.connect(&idle_inhibit->events.new_inhibitor, [this](void*) {
    wlr_idle_notifier_v1_set_inhibited(idle_notifier, true);
  });

  pointer_constraints = wlr_pointer_constraints_v1_create(display);
  new_pointer_constraint_.connect(&pointer_constraints->events.new_constraint, [this](void* data) {
    seat->add_pointer_constraint(static_cast<wlr_pointer_constraint_v1*>(data));
  });

  auto* virtual_keyboards = wlr_virtual_keyboard_manager_v1_create(display);
  privileged(virtual_keyboards->global);
  new_virtual_keyboard_.connect(&virtual_keyboards->events.new_virtual_keyboard, [this](void* data) {
    seat->add_virtual_keyboard(static_cast<wlr_virtual_keyboard_v1*>(data));
  });
  auto* virtual_pointers = wlr_virtual_pointer_manager_v1_create(display);
  privileged(virtual_pointers->global);
  new_virtual_pointer_.connect(&virtual_pointers->events.new_virtual_pointer, [this](void* data) {
    seat->add_virtual_pointer(static_cast<wlr_virtual_pointer_v1_new_pointer_event*>(data));
  });

  output_management = std::make_unique<OutputManagement>(*this);
}

render::Devices Server::render_devices() {
  return {.backend = backend,
          .renderer = renderer,
          .allocator = allocator,
          .scene = scene,
          .tearing_control = tearing_control,
          .surface_id = [this](wlr_surface* surface) { return surface_ids.of(surface); },
          .overlay_planes = overlays_enabled_};
}

void Server::handle_new_output(wlr_output* wlr) {
  outputs_.push_back(std::make_unique<Output>(*this, wlr));
  place_outputs();  // the new output was not in the list while it configured itself
  arrange_outputs();
}

void Server::arrange_outputs() {
  rescue_stranded_views();
  for (auto& output : outputs_) output->arrange();
  if (session_lock) session_lock->arrange();
  if (output_management) output_management->update();
}

// An output unplugged or disabled can leave windows where no output is: each
// comes to the focused output, centred (fullscreen and maximized ones re-fit).
void Server::rescue_stranded_views() {
  Output* target = focused_output();
  if (!target) return;
  wlr_box box = target->layout_box();
  for (View* view : views_) {
    if (!view->mapped() || view->output()) continue;
    wlr_box g = view->geometry();
    view->move_to(box.x + std::max(0, (box.width - g.width) / 2), box.y + std::max(0, (box.height - g.height) / 2));
    view->fit_to_output();
  }
}

void Server::place_outputs() {
  int next_x = 0;
  for (auto& output : outputs_) {
    const config::OutputConfig* conf = config_.output_for(output->wlr->name);
    if (!output->wlr->enabled || !conf || !conf->position) continue;
    output->place_at(conf->position->x, conf->position->y);
    wlr_box box = output->layout_box();
    next_x = std::max(next_x, box.x + box.width);
  }
  // By name (digits compared as numbers): backends announce outputs in no
  // particular order, and HEADLESS-2 belongs right of HEADLESS-1.
  std::vector<Output*> row;
  for (auto& output : outputs_) {
    const config::OutputConfig* conf = config_.output_for(output->wlr->name);
    if (output->wlr->enabled && !(conf && conf->position)) row.push_back(output.get());
  }
  std::sort(row.begin(), row.end(), [](Output* a, Output* b) { return natural_less(a->wlr->name, b->wlr->name); });
  for (Output* output : row) {
    output->place_at(next_x, 0);
    int width = 0, height = 0;
    wlr_output_effective_resolution(output->wlr, &width, &height);
    next_x += width;
  }
}

int Server::run() {
  wl_display_run(display);
  return 0;
}

void Server::terminate() { wl_display_terminate(display); }

pid_t Server::spawn(const std::string& command) {
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    TLOG(WLR_ERROR, "cannot start '%s': %s", command.c_str(), strerror(err));
    errno = err;
    return -1;
  }
  if (pid == 0) {
    setsid();
    sigset_t set;
    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, nullptr);  // wl_event_loop_add_signal blocked these
    execl("/bin/sh", "/bin/sh", "-c", command.c_str(), nullptr);
    _exit(127);
  }
  children_.insert(pid);
  TLOG(WLR_INFO, "started '%s' (pid %d)", command.c_str(), pid);
  return pid;
}

// Only the children spawn() started: wlroots waits for its own (the Xwayland
// launcher), and waitpid(-1) here made its wait fail and Xwayland's start abort.
void Server::reap_children() {
  for (auto it = children_.begin(); it != children_.end();) {
    int status = 0;
    pid_t done = waitpid(*it, &status, WNOHANG);
    if (done == *it || (done < 0 && errno == ECHILD)) {
      TLOG(WLR_DEBUG, "child %d ended (status %d)", *it, status);
      it = children_.erase(it);
    } else {
      ++it;
    }
  }
}

void Server::run_startup_commands() {
  for (const auto& command : config_.startup) spawn(command);
  for (const auto& command : options_.startup) spawn(command);
}

std::expected<void, std::string> Server::reload_config() {
  auto loaded = config::load(options_.config_path);
  if (!loaded) return std::unexpected("config not reloaded, keeping the running one: " + loaded.error().to_string());
  config_ = std::move(loaded->config);
  buffer_paths->apply_config(config_.scanout);
  seat->apply_config(config_);
  for (auto& output : outputs_) output->apply_config(config_);
  arrange_outputs();
  TLOG(WLR_INFO, "configuration reloaded from %s", loaded->path.c_str());
  return {};
}

// --- focus and stacking ---------------------------------------------------------

View* Server::focused_view() const { return focused_view_; }

// xdg-dialog-v1: the front-most mapped modal dialog of `view`, if any.
static View* modal_dialog_of(const std::list<View*>& views, const View* view) {
  for (View* v : views)
    if (v != view && v->mapped() && v->toplevel->parent == view->toplevel && v->modal()) return v;
  return nullptr;
}

void Server::focus_view(View* view) {
  // A window with a modal dialog open hands its focus to the dialog, which
  // comes up above it (a dialog's dialog in turn; wlroots forbids cycles).
  for (View* dialog; view && (dialog = modal_dialog_of(views_, view));) {
    view->raise();
    view = dialog;
  }
  if (focused_view_ && focused_view_ != view) focused_view_->set_activated(false);
  focused_view_ = view;
  if (!view) {
    seat->focus_surface(nullptr);
    return;
  }
  view->raise();
  view->set_activated(true);
  seat->focus_surface(view->surface());
}

void Server::cycle_focus() {
  if (views_.size() < 2) return;
  // The bottom-most window comes to the front; repeated presses visit all.
  focus_view(views_.back());
}

void Server::close_focused() {
  if (View* view = focused_view()) view->close();
}

SceneObject* Server::object_at(double lx, double ly, wlr_surface** surface, double* sx, double* sy) {
  wlr_scene_node* node = wlr_scene_node_at(&scene->tree.node, lx, ly, sx, sy);
  if (!node) return nullptr;
  if (node->type == WLR_SCENE_NODE_BUFFER) {
    wlr_scene_surface* scene_surface = wlr_scene_surface_try_from_buffer(wlr_scene_buffer_from_node(node));
    if (scene_surface) *surface = scene_surface->surface;
  }
  for (wlr_scene_tree* tree = node->parent; tree; tree = tree->node.parent)
    if (tree->node.data) return static_cast<SceneObject*>(tree->node.data);
  return nullptr;
}

// --- outputs ---------------------------------------------------------------------

Output* Server::output_of(wlr_output* output) { return output ? static_cast<Output*>(output->data) : nullptr; }

Output* Server::output_at(double lx, double ly) {
  return output_of(wlr_output_layout_output_at(output_layout, lx, ly));
}

std::vector<placement::Rect> Server::window_frames(const SceneObject* except) const {
  std::vector<placement::Rect> frames;
  for (View* view : views_)
    if (view != except && view->mapped()) frames.push_back(view->frame());
  if (xwayland_)
    for (XwaylandSurface* surface : xwayland_->surfaces()) {
      if (surface == except || !surface->mapped() || surface->xsurface->override_redirect) continue;
      wlr_box g = surface->geometry();
      frames.push_back({g.x, g.y, g.width, g.height});
    }
  return frames;
}

Output* Server::focused_output() {
  if (Output* output = output_at(seat->cursor->x, seat->cursor->y)) return output;
  for (auto& output : outputs_)
    if (output->wlr->enabled) return output.get();
  return nullptr;
}

}  // namespace tranche
