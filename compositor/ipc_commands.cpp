// The compositor's IPC commands: what `tranchectl` can ask for.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "buffer_paths.hpp"
#include "linux_drm_syncobj.hpp"
#include "surface_timing.hpp"
#include "layer_shell.hpp"
#include "output.hpp"
#include "seat.hpp"
#include "server.hpp"
#include "session_lock.hpp"
#include "view.hpp"
#include "xwayland.hpp"

namespace tranche {

using ipc::json;

namespace {

json box_fields(json object, const wlr_box& box) {
  object["x"] = box.x;
  object["y"] = box.y;
  object["width"] = box.width;
  object["height"] = box.height;
  return object;
}

json string_or_null(const char* text) { return text ? json(text) : json(nullptr); }

json output_json(Server& server, Output& output) {
  wlr_output* o = output.wlr;
  json j = box_fields(json::object(), output.layout_box());
  j["name"] = o->name;
  // wlroots writes "(null) (null) (Virtual-1)" when make and model are unknown.
  std::string description = o->description ? o->description : "";
  if (description.empty() || description.find("(null)") != std::string::npos) {
    description.clear();
    for (const char* part : {o->make, o->model})
      if (part && *part) description += std::string(part) + " ";
    description += std::string("(") + o->name + ")";
  }
  j["description"] = description;
  j["make"] = string_or_null(o->make);
  j["model"] = string_or_null(o->model);
  j["enabled"] = o->enabled;
  // The mode itself, not the (transformed, scaled) layout box.
  j["mode_width"] = o->width;
  j["mode_height"] = o->height;
  j["refresh_mhz"] = o->refresh;
  j["scale"] = o->scale;
  j["transform"] = transform_name(o->transform);
  j["backend"] = server.backend_name;
  wlr_box usable = output.usable_area();
  j["usable_area"] = box_fields(json::object(), usable);
  return j;
}

// Popups (and their popups) of an xdg surface, in layout coordinates.
void collect_popups(wlr_xdg_surface* surface, json& out) {
  wlr_xdg_popup* popup;
  wl_list_for_each(popup, &surface->popups, link) {
    if (!popup->base->surface->mapped || !popup->base->data) continue;
    int lx = 0, ly = 0;
    wlr_scene_node_coords(&static_cast<wlr_scene_tree*>(popup->base->data)->node, &lx, &ly);
    wlr_box g = popup->base->geometry;
    out.push_back(box_fields(json::object(), {lx + g.x, ly + g.y, g.width, g.height}));
    collect_popups(popup->base, out);
  }
}

pid_t client_pid(wlr_surface* surface) {
  pid_t pid = 0;
  wl_client_get_credentials(wl_resource_get_client(surface->resource), &pid, nullptr, nullptr);
  return pid;
}

// xdg-toplevel-icon: its name and the sizes of its buffers, or null.
json icon_json(const wlr_xdg_toplevel_icon_v1* icon) {
  if (!icon) return nullptr;
  json buffers = json::array();
  wlr_xdg_toplevel_icon_v1_buffer* b;
  wl_list_for_each(b, &icon->buffers, link)
      buffers.push_back({{"width", b->buffer->width}, {"height", b->buffer->height}, {"scale", b->scale}});
  return {{"name", icon->name ? json(icon->name) : json(nullptr)}, {"buffers", buffers}};
}

json surfaces_json(Server& server) {
  json list = json::array();
  wlr_surface* keyboard_focus = server.seat ? server.seat->wlr->keyboard_state.focused_surface : nullptr;
  // Views front to back, as stacked.
  for (View* view : server.views()) {
    json j = box_fields(json::object(), view->geometry());
    j["id"] = view->id;
    j["kind"] = "xdg_toplevel";
    j["app_id"] = string_or_null(view->toplevel->app_id);
    j["title"] = string_or_null(view->toplevel->title);
    j["identifier"] = view->identifier();  // ext-foreign-toplevel-list
    j["pid"] = client_pid(view->surface());
    Output* output = view->output();
    j["output"] = output ? json(output->wlr->name) : json(nullptr);
    j["focused"] = keyboard_focus == view->surface();
    j["fullscreen"] = view->fullscreen();
    j["maximized"] = view->maximized();
    j["decorated"] = view->decoration().visible();
    j["modal"] = view->modal();
    j["parent"] = view->toplevel->parent && View::from(view->toplevel->parent)
                      ? json(View::from(view->toplevel->parent)->id)
                      : json(nullptr);
    j["icon"] = icon_json(view->icon());
    json popups = json::array();
    collect_popups(view->toplevel->base, popups);
    j["popups"] = popups;
    list.push_back(j);
  }
  for (auto& layer : server.layer_surfaces) {
    if (!layer->mapped()) continue;
    json j = box_fields(json::object(), layer->geometry());
    j["id"] = layer->id;
    j["kind"] = "layer";
    j["layer"] = layer_name(layer->layer->current.layer);
    j["namespace"] = layer->layer->namespace_;
    j["app_id"] = nullptr;
    j["title"] = nullptr;
    j["pid"] = client_pid(layer->layer->surface);
    Output* output = layer->output();
    j["output"] = output ? json(output->wlr->name) : json(nullptr);
    j["focused"] = keyboard_focus == layer->layer->surface;
    j["popups"] = json::array();
    list.push_back(j);
  }
  if (Xwayland* xwayland = server.xwayland()) {
    for (XwaylandSurface* surface : xwayland->surfaces()) {
      if (!surface->mapped()) continue;
      wlr_box g = surface->geometry();
      json j = box_fields(json::object(), g);
      j["id"] = surface->id;
      j["kind"] = "xwayland";
      j["app_id"] = string_or_null(surface->xsurface->class_);
      j["title"] = string_or_null(surface->xsurface->title);
      j["identifier"] = surface->identifier();
      j["pid"] = surface->xsurface->pid;
      Output* output = server.output_at(g.x + g.width / 2.0, g.y + g.height / 2.0);
      j["output"] = output ? json(output->wlr->name) : json(nullptr);
      j["focused"] = keyboard_focus && keyboard_focus == surface->xsurface->surface;
      j["popups"] = json::array();
      list.push_back(j);
    }
  }
  return list;
}

}  // namespace

void Server::register_ipc_commands() {
  ipc_dispatcher_.add("outputs", "outputs, their modes and places in the layout", [this](const json&) {
    json list = json::array();
    for (auto& output : outputs_) list.push_back(output_json(*this, *output));
    return std::expected<json, std::string>(list);
  });
  ipc_dispatcher_.add("surfaces", "windows and layer surfaces, front to back", [this](const json&) {
    return std::expected<json, std::string>(surfaces_json(*this));
  });
  ipc_dispatcher_.add("explain", "per output and surface: the path each buffer takes, why not a faster one, the feedback sent",
                      [this](const json&) {
                        json result = buffer_paths->explain();
                        result["explicit_sync"] = explicit_sync ? explicit_sync->describe() : json(nullptr);
                        return std::expected<json, std::string>(result);
                      });
  ipc_dispatcher_.add("stats", "counters: frames per path, plane assignments, test-commit failures, feedback, imports, pacing",
                      [this](const json&) {
                        json result = buffer_paths->stats();
                        result["timing"] = surface_timing ? surface_timing->describe() : json(nullptr);
                        return std::expected<json, std::string>(result);
                      });
  ipc_dispatcher_.add("reload", "re-read the configuration file", [this](const json&) -> std::expected<json, std::string> {
    if (auto result = reload_config(); !result) return std::unexpected(result.error());
    return json{{"reloaded", true}};
  });
  ipc_dispatcher_.add("env", "the environment tranche gives its clients: WAYLAND_DISPLAY, DISPLAY, TRANCHE_IPC_SOCKET",
                      [this](const json&) {
                        json env = json::object();
                        for (const char* name : {"WAYLAND_DISPLAY", "DISPLAY", ipc::kSocketEnv}) {
                          const char* value = getenv(name);
                          env[name] = value ? json(value) : json(nullptr);
                        }
                        if (!xwayland_) env["DISPLAY"] = nullptr;  // a nested X11 backend's host display is not ours
                        return std::expected<json, std::string>(env);
                      });
  ipc_dispatcher_.add("exec", "run a shell command with tranche's environment, detached (args: command)",
                      [this](const json& args) -> std::expected<json, std::string> {
                        auto command = args.find("command");
                        if (command == args.end() || !command->is_string() || command->get<std::string>().empty())
                          return std::unexpected("exec needs a non-empty string argument \"command\"");
                        pid_t pid = spawn(command->get<std::string>());
                        if (pid < 0) return std::unexpected("cannot start the command: " + std::string(strerror(errno)));
                        return json{{"pid", pid}};
                      });
  ipc_dispatcher_.add("create-output", "headless backend: plug in a new output (args: width, height; default --output-size)",
                      [this](const json& args) -> std::expected<json, std::string> {
                        if (!wlr_backend_is_headless(backend))
                          return std::unexpected(std::string("create-output needs the headless backend (this is ") +
                                                 backend_name + ")");
                        auto dimension = [&](const char* key, int fallback) -> std::optional<int> {
                          auto it = args.find(key);
                          if (it == args.end()) return fallback;
                          if (!it->is_number_integer() || *it < 1 || *it > 16384) return std::nullopt;
                          return it->get<int>();
                        };
                        auto width = dimension("width", options_.output_width);
                        auto height = dimension("height", options_.output_height);
                        if (!width || !height) return std::unexpected("width and height must be integers from 1 to 16384");
                        wlr_output* output = wlr_headless_add_output(backend, unsigned(*width), unsigned(*height));
                        if (!output) return std::unexpected("the headless backend could not create an output");
                        return json{{"name", output->name}};
                      });
  ipc_dispatcher_.add("remove-output", "headless backend: unplug an output (args: name)",
                      [this](const json& args) -> std::expected<json, std::string> {
                        if (!wlr_backend_is_headless(backend))
                          return std::unexpected(std::string("remove-output needs the headless backend (this is ") +
                                                 backend_name + ")");
                        auto name = args.find("name");
                        if (name == args.end() || !name->is_string())
                          return std::unexpected("remove-output needs a string argument \"name\"");
                        for (auto& output : outputs())
                          if (output->wlr->name == name->get<std::string>()) {
                            wlr_output_destroy(output->wlr);  // as an unplug: Output cleans up on its destroy event
                            return json{{"removed", name->get<std::string>()}};
                          }
                        return std::unexpected("no output called \"" + name->get<std::string>() + "\"");
                      });
  ipc_dispatcher_.add("session-lock", "the screen lock: unlocked, locked or abandoned (the locker died), and counters",
                      [this](const json&) {
                        return std::expected<json, std::string>(json{{"state", session_lock->state_name()},
                                                                     {"locks", session_lock->locks()},
                                                                     {"refused", session_lock->refused()},
                                                                     {"abandoned", session_lock->abandoned()}});
                      });
  ipc_dispatcher_.add("renderer", "the renderer, its device, and GPU resets survived", [this](const json&) {
    return std::expected<json, std::string>(renderer_status());
  });
  // What wlroots does when the GPU was reset, for testing recovery without one.
  ipc_dispatcher_.add("renderer-lost", "test aid: act as if the GPU was reset (the renderer's lost signal)",
                      [this](const json&) {
                        wl_signal_emit_mutable(&renderer->events.lost, nullptr);
                        return std::expected<json, std::string>(json{{"recovering", true}});
                      });
  ipc_dispatcher_.add("quit", "exit tranche", [this](const json&) {
    terminate();
    return std::expected<json, std::string>(json{{"quitting", true}});
  });
}

}  // namespace tranche
