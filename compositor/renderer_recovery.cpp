// GPU reset. wlroots emits the renderer's `lost` signal when the GPU was reset
// (GL_KHR_robustness, VK_ERROR_DEVICE_LOST): nothing drawn with that renderer
// works again. tranche makes a new renderer and allocator, hands them to
// everything that holds one, then destroys the old pair. That destruction
// clears every texture made from it (wlroots' client buffers, scene buffers and
// output cursors listen for it), so surfaces are shown again from their
// buffers, or their clients asked to draw. No client is disconnected.
#include <xf86drm.h>

#include <cstdlib>
#include <set>

#include "buffer_paths.hpp"
#include "dmabuf_import.hpp"
#include "layer_shell.hpp"
#include "output.hpp"
#include "seat.hpp"
#include "server.hpp"
#include "timer.hpp"
#include "toplevel_list.hpp"
#include "view.hpp"

namespace tranche {

namespace {

constexpr int kMaxAttempts = 30;  // a second apart: a reset GPU may take a while to come back
constexpr int64_t kRetryNs = 1'000'000'000;

const char* renderer_kind(wlr_renderer* renderer) {
  if (!renderer) return "none";
  if (wlr_renderer_is_pixman(renderer)) return "pixman";
  if (wlr_renderer_is_gles2(renderer)) return "gles2";
  return "other";
}

}  // namespace

void Server::watch_renderer() {
  renderer_lost_.connect(&renderer->events.lost, [this](void*) { renderer_lost(); });
}

void Server::renderer_lost() {
  if (renderer_recovery_.recovering) return;  // one recovery at a time
  renderer_recovery_.losses++;
  renderer_recovery_.recovering = true;
  renderer_recovery_.attempts = 0;
  TLOG(WLR_ERROR, "the renderer was lost (GPU reset): making a new one");
  // Not inside the signal: the renderer emitting it is destroyed below.
  if (!renderer_retry_) renderer_retry_ = std::make_unique<Timer>(loop, [this] {
    if (recreate_renderer()) return;
    renderer_recovery_.failed_attempts++;
    if (++renderer_recovery_.attempts >= kMaxAttempts) {
      TLOG(WLR_ERROR, "no renderer after %d attempts: outputs stay as they are", kMaxAttempts);
      renderer_recovery_.recovering = false;
      return;
    }
    renderer_retry_->arm_at(monotonic_now() + kRetryNs);
  });
  renderer_retry_->arm_at(0);
}

bool Server::recreate_renderer() {
  wlr_renderer* fresh = wlr_renderer_autocreate(backend);
  if (!fresh) {
    TLOG(WLR_ERROR, "cannot create a renderer yet");
    return false;
  }
  wlr_allocator* fresh_allocator = wlr_allocator_autocreate(backend, fresh);
  if (!fresh_allocator) {
    TLOG(WLR_ERROR, "cannot create an allocator for the new renderer yet");
    wlr_renderer_destroy(fresh);
    return false;
  }
  wlr_renderer* old = renderer;
  wlr_allocator* old_allocator = allocator;
  renderer = fresh;
  allocator = fresh_allocator;
  watch_renderer();  // moves the listener off the old renderer

  // Everything that keeps a renderer or allocator, before the old ones go.
  wlr_compositor_set_renderer(compositor, renderer);
  if (DmabufImport* dmabuf = buffer_paths->dmabuf()) dmabuf->renderer_changed(renderer);
  toplevel_list->renderer_changed(allocator, renderer);
  for (auto& output : outputs_) output->renderer_changed();
  restore_surface_contents();  // while the old textures still hold the clients' buffers
  wlr_allocator_destroy(old_allocator);
  wlr_renderer_destroy(old);
  seat->renderer_changed();
  renderer_recovery_.recoveries++;
  renderer_recovery_.recovering = false;
  TLOG(WLR_INFO, "new %s renderer after the GPU reset (attempt %d)", renderer_kind(renderer),
       renderer_recovery_.attempts + 1);
  return true;
}

// Every buffer node, shown or not (wlr_scene_node_for_each_buffer skips
// disabled ones: windows hidden now must show their pixels later too).
template <typename F>
void for_each_scene_buffer(wlr_scene_node* node, F&& fn) {
  if (node->type == WLR_SCENE_NODE_BUFFER) {
    fn(wlr_scene_buffer_from_node(node));
  } else if (node->type == WLR_SCENE_NODE_TREE) {
    wlr_scene_node* child;
    wl_list_for_each(child, &wlr_scene_tree_from_node(node)->children, link) for_each_scene_buffer(child, fn);
  }
}

// Each surface's texture goes with the old renderer, and with it what the
// client last drew. Where the client still has the buffer it came from, the
// step a commit takes (a client buffer made from it) is taken again with the
// new renderer, and the scene shows that: the surface stays without the
// client's help. Done before the old renderer goes, so no buffer is released
// meanwhile. The others are asked to draw again, with a configure of the same
// state, which the protocols allow.
void Server::restore_surface_contents() {
  std::set<wlr_surface*> lost;
  for_each_scene_buffer(&scene->tree.node, [&](wlr_scene_buffer* node) {
    wlr_scene_surface* scene_surface = wlr_scene_surface_try_from_buffer(node);
    if (!scene_surface || !scene_surface->surface->buffer) return;
    wlr_surface* surface = scene_surface->surface;
    wlr_client_buffer* current = surface->buffer;
    if (current->texture && current->texture->renderer == renderer) {  // restored through another node
      wlr_scene_buffer_set_buffer(node, &current->base);
      return;
    }
    wlr_client_buffer* fresh = current->source ? wlr_client_buffer_create(current->source, renderer) : nullptr;
    if (!fresh) {
      lost.insert(wlr_surface_get_root_surface(surface));
      return;
    }
    surface->buffer = fresh;  // as wlroots' commit does: the surface holds its one lock
    wlr_scene_buffer_set_buffer(node, &fresh->base);
    wlr_buffer_unlock(&current->base);
  });
  for (wlr_surface* surface : lost) {
    renderer_recovery_.redraws_asked++;
    if (auto* xdg = wlr_xdg_surface_try_from_wlr_surface(surface); xdg && xdg->initialized)
      wlr_xdg_surface_schedule_configure(xdg);
    else if (auto* l = wlr_layer_surface_v1_try_from_wlr_surface(surface); l && l->initialized)
      wlr_layer_surface_v1_configure(l, l->current.actual_width, l->current.actual_height);
    else if (auto* lock = wlr_session_lock_surface_v1_try_from_wlr_surface(surface))
      wlr_session_lock_surface_v1_configure(lock, lock->current.width, lock->current.height);
    else
      renderer_recovery_.redraws_asked--;  // X11 windows: Xwayland draws again when X does
  }
  renderer_recovery_.surfaces_lost += lost.size();
}

ipc::json Server::renderer_status() const {
  ipc::json device = nullptr;
  if (int fd = renderer ? wlr_renderer_get_drm_fd(renderer) : -1; fd >= 0)
    if (char* name = drmGetDeviceNameFromFd2(fd)) {
      device = name;
      free(name);
    }
  return {{"renderer", renderer_kind(renderer)},
          {"device", device},
          {"losses", renderer_recovery_.losses},
          {"recoveries", renderer_recovery_.recoveries},
          {"failed_attempts", renderer_recovery_.failed_attempts},
          {"surfaces_lost", renderer_recovery_.surfaces_lost},
          {"redraws_asked", renderer_recovery_.redraws_asked},
          {"recovering", renderer_recovery_.recovering}};
}

}  // namespace tranche
