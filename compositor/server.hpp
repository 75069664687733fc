// The Server owns every wlroots object of one compositor instance and the C++
// objects wrapped around them. There is no global state beyond it.
#pragma once

#include <expected>
#include <list>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <sys/types.h>

#include "config/config.hpp"
#include "ipc/ipc.hpp"
#include "listener.hpp"
#include "options.hpp"
#include "placement.hpp"
#include "render/frame.hpp"
#include "surface_ids.hpp"
#include "wlr.hpp"

namespace tranche {

class Output;
class OutputManagement;
class View;
class LayerSurface;
class Seat;
class SessionLock;
class SecurityContext;
class Xwayland;
class ExplicitSync;
class SurfaceTiming;
class BufferPaths;
class InputMethodRelay;
class ToplevelList;
class Timer;

// Every scene node that stands for one of our objects carries a pointer to a
// SceneObject in node->data, so hit-testing can find the owner.
struct SceneObject {
  virtual ~SceneObject() = default;
};

// Stacking order of the scene, bottom to top.
struct SceneLayers {
  wlr_scene_tree* background;  // output backgrounds, layer-shell background
  wlr_scene_tree* bottom;      // layer-shell bottom
  wlr_scene_tree* views;       // toplevel windows
  wlr_scene_tree* top;         // layer-shell top
  wlr_scene_tree* fullscreen;  // fullscreen windows cover panels
  wlr_scene_tree* overlay;     // layer-shell overlay
  wlr_scene_tree* popups;      // layer-shell popups stay above everything
};

class Server {
 public:
  Server(Options options, config::Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Creates the backend, renderer, protocols and the listening socket.
  std::expected<void, std::string> start();
  // Runs the event loop until terminate(); returns the exit code.
  int run();
  void terminate();

  // Runs `command` with `sh -c` in a new session, with this instance's environment.
  pid_t spawn(const std::string& command);  // detached, with our environment; -1 (errno) on failure
  void reap_children();

  // Configuration.
  std::expected<void, std::string> reload_config();
  const config::Config& config() const { return config_; }
  const Options& options() const { return options_; }

  // Views, front (top of the stack) first.
  std::list<View*>& views() { return views_; }
  // Frames of the mapped windows (xdg and X11), topmost first, but `except`: what a new one is placed among.
  std::vector<placement::Rect> window_frames(const SceneObject* except) const;
  View* focused_view() const;
  void focus_view(View* view);
  void cycle_focus();
  void close_focused();
  // The view (or layer surface) under a layout point, and the surface within it.
  SceneObject* object_at(double lx, double ly, wlr_surface** surface, double* sx, double* sy);

  // Outputs.
  std::list<std::unique_ptr<Output>>& outputs() { return outputs_; }
  Output* output_at(double lx, double ly);
  Output* output_of(wlr_output* output);
  Output* focused_output();  // under the cursor, else the first one
  void arrange_outputs();    // after layout or layer changes
  // Configured outputs go where the config says; the others in a row to their
  // right, in the order they appeared, so the layout never depends on timing.
  void place_outputs();
  void rescue_stranded_views();  // windows left where no output is

  // wlroots objects shared by the modules.
  wl_display* display = nullptr;
  wl_event_loop* loop = nullptr;
  wlr_backend* backend = nullptr;
  wlr_session* session = nullptr;
  wlr_renderer* renderer = nullptr;
  wlr_allocator* allocator = nullptr;
  wlr_compositor* compositor = nullptr;
  wlr_scene* scene = nullptr;
  wlr_scene_output_layout* scene_layout = nullptr;
  wlr_output_layout* output_layout = nullptr;
  SceneLayers layers{};
  wlr_xdg_shell* xdg_shell = nullptr;
  wlr_layer_shell_v1* layer_shell = nullptr;
  wlr_foreign_toplevel_manager_v1* foreign_toplevels = nullptr;
  std::unique_ptr<ToplevelList> toplevel_list;  // ext-foreign-toplevel-list-v1, window capture sources
  wlr_xdg_activation_v1* activation = nullptr;
  std::unique_ptr<OutputManagement> output_management;  // wlr-output-management, -power-management
  wlr_idle_notifier_v1* idle_notifier = nullptr;
  wlr_idle_inhibit_manager_v1* idle_inhibit = nullptr;
  wlr_relative_pointer_manager_v1* relative_pointer = nullptr;
  wlr_pointer_constraints_v1* pointer_constraints = nullptr;
  std::unique_ptr<Seat> seat;
  std::unique_ptr<SessionLock> session_lock;  // ext-session-lock-v1
  std::unique_ptr<InputMethodRelay> input_method;  // text-input-v3 <-> input-method-v2
  std::unique_ptr<SecurityContext> security_context;  // hides privileged globals from sandboxes
  wlr_content_type_manager_v1* content_types = nullptr;
  wlr_tearing_control_manager_v1* tearing_control = nullptr;  // the hints; render::OutputFrame acts on them
  std::unique_ptr<BufferPaths> buffer_paths;    // planes, feedback, explain/stats
  std::unique_ptr<ExplicitSync> explicit_sync;  // linux-drm-syncobj-v1; describe() for IPC
  std::unique_ptr<SurfaceTiming> surface_timing;  // fifo-v1, commit-timing-v1; Output latches it
  std::string socket_name;
  const char* backend_name = "";

  SurfaceIds surface_ids;  // one id per surface, for IPC and the log
  // What an output's frames are drawn with (render/), handed down once.
  render::Devices render_devices();

  // GPU reset: wlroots says the renderer is lost; tranche makes a new renderer
  // and allocator and hands them to everything that draws, keeping every
  // client (renderer_recovery.cpp).
  void renderer_lost();
  ipc::json renderer_status() const;

  std::list<std::unique_ptr<LayerSurface>> layer_surfaces;
  Xwayland* xwayland() { return xwayland_.get(); }
  // Overlay planes can be used (DRM backend with libliftoff).

 private:
  std::expected<void, std::string> create_backend();
  void create_protocols();
  void handle_new_output(wlr_output* output);
  void register_ipc_commands();
  void run_startup_commands();
  void watch_renderer();
  bool recreate_renderer();
  void restore_surface_contents();

  Options options_;
  config::Config config_;
  std::list<View*> views_;
  View* focused_view_ = nullptr;
  std::list<std::unique_ptr<Output>> outputs_;
  std::unique_ptr<Xwayland> xwayland_;
  ipc::Dispatcher ipc_dispatcher_;
  std::unique_ptr<ipc::Server> ipc_server_;
  std::set<pid_t> children_;  // started by spawn(), reaped on SIGCHLD
  bool overlays_enabled_ = false;
  wl_event_source* sigterm_ = nullptr;
  wl_event_source* sigint_ = nullptr;
  wl_event_source* sigchld_ = nullptr;

  struct RendererRecovery {
    uint64_t losses = 0, recoveries = 0, failed_attempts = 0;
    uint64_t surfaces_lost = 0;  // shown surfaces whose client no longer had the buffer
    uint64_t redraws_asked = 0;  // ... and were asked to draw again
    int attempts = 0;  // of the recovery under way
    bool recovering = false;
  } renderer_recovery_;
  std::unique_ptr<Timer> renderer_retry_;  // the recovery runs from the loop, not inside wlroots' signal

  Listener backend_destroy_;
  Listener renderer_lost_;
  Listener new_output_;
  Listener new_surface_;
  Listener new_input_;
  Listener new_toplevel_;
  Listener new_popup_;
  Listener new_layer_surface_;
  Listener new_decoration_;
  Listener request_activate_;
  Listener output_layout_change_;
  Listener new_virtual_keyboard_;
  Listener new_virtual_pointer_;
  Listener new_pointer_constraint_;
  Listener new_idle_inhibitor_;
  Listener set_icon_;

  friend struct IpcCommands;
};

// Logs through wlroots' logger with a printf format.
#define TLOG(verb, fmt, ...) _wlr_log(verb, "[tranche] " fmt, ##__VA_ARGS__)

}  // namespace tranche
