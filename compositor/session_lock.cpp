#include "session_lock.hpp"

#include "toplevel_list.hpp"

#include "output.hpp"
#include "seat.hpp"
#include "server.hpp"
#include "view.hpp"

namespace tranche {

namespace {
// Behind the lock surfaces; dark red once the locker has died, so a person sees
// why the screen is empty (and that a new locker is needed to unlock).
constexpr float kLockedColour[4] = {0.0f, 0.0f, 0.0f, 1.0f};
constexpr float kAbandonedColour[4] = {0.35f, 0.0f, 0.0f, 1.0f};
}  // namespace

struct SessionLock::Surface {
  SessionLock& lock;
  wlr_session_lock_surface_v1* wlr;
  wlr_scene_tree* tree = nullptr;
  Listener map, destroy, output_commit;

  Surface(SessionLock& lock, wlr_session_lock_surface_v1* surface) : lock(lock), wlr(surface) {}
  ~Surface() {
    map.disconnect();
    destroy.disconnect();
    output_commit.disconnect();
    if (tree) wlr_scene_node_destroy(&tree->node);
  }
  void configure() {
    int width = 0, height = 0;
    wlr_output_effective_resolution(wlr->output, &width, &height);
    wlr_session_lock_surface_v1_configure(wlr, uint32_t(width), uint32_t(height));
  }
  void place() {
    if (!tree) return;
    Output* output = lock.server_.output_of(wlr->output);
    if (!output) return;
    wlr_box box = output->layout_box();
    wlr_scene_node_set_position(&tree->node, box.x, box.y);
  }
};

SessionLock::SessionLock(Server& server)
    : server_(server),
      manager_(wlr_session_lock_manager_v1_create(server.display)),
      tree_(wlr_scene_tree_create(&server.scene->tree)),  // created last: on top of every layer
      cover_(wlr_scene_tree_create(tree_)) {
  wlr_scene_node_set_enabled(&tree_->node, false);
  new_lock_.connect(&manager_->events.new_lock,
                    [this](void* data) { handle_new_lock(static_cast<wlr_session_lock_v1*>(data)); });
}

SessionLock::~SessionLock() {
  new_lock_.disconnect();
  unlock_.disconnect();
  lock_destroy_.disconnect();
  new_surface_.disconnect();
  surfaces_.clear();
}

const char* SessionLock::state_name() const {
  switch (state_) {
    case State::Unlocked: return "unlocked";
    case State::Locked: return "locked";
    case State::Abandoned: return "abandoned";
  }
  return "unknown";
}

bool SessionLock::allows(wlr_surface* surface) const {
  if (!locked()) return true;
  if (!surface || !lock_) return false;
  for (const auto& s : surfaces_)
    if (s->wlr->surface == surface) return true;
  return false;
}

void SessionLock::handle_new_lock(wlr_session_lock_v1* lock) {
  if (lock_) {
    // One locker at a time: a second request (another client, or the same one
    // again) is refused with `finished`, the lock staying as it is.
    TLOG(WLR_INFO, "session lock: refused a second lock while a locker holds the session");
    ++refused_;
    wlr_session_lock_v1_destroy(lock);
    return;
  }
  bool takeover = state_ == State::Abandoned;
  lock_ = lock;
  state_ = State::Locked;
  ++locks_;
  TLOG(WLR_INFO, "session lock: %s", takeover ? "a new locker took over the abandoned lock" : "locked");
  unlock_.connect(&lock->events.unlock, [this](void*) { handle_unlock(); });
  lock_destroy_.connect(&lock->events.destroy, [this](void*) { handle_lock_destroyed(); });
  new_surface_.connect(&lock->events.new_surface, [this](void* data) {
    handle_new_surface(static_cast<wlr_session_lock_surface_v1*>(data));
  });

  set_cover_colour();
  arrange();
  wlr_scene_node_raise_to_top(&tree_->node);
  wlr_scene_node_set_enabled(&tree_->node, true);
  // Nothing under the lock keeps the keyboard or the pointer, nor a grab.
  server_.seat->lock_changed();
  server_.toplevel_list->set_hidden(true);  // nor does a window capture show a window
  // The cover is in the scene now: every output's next frame shows it, never a window.
  wlr_session_lock_v1_send_locked(lock);
}

void SessionLock::handle_unlock() {
  TLOG(WLR_INFO, "session lock: unlocked by the locker");
  unlock_.disconnect();
  lock_destroy_.disconnect();
  new_surface_.disconnect();
  surfaces_.clear();
  lock_ = nullptr;
  state_ = State::Unlocked;
  wlr_scene_node_set_enabled(&tree_->node, false);
  server_.seat->lock_changed();
  server_.toplevel_list->set_hidden(false);
  View* view = server_.focused_view();
  server_.seat->focus_surface(view ? view->surface() : nullptr);
}

void SessionLock::handle_lock_destroyed() {
  // Without unlock_and_destroy first: the locker died or gave up. Stay locked.
  TLOG(WLR_ERROR, "session lock: the locker went away without unlocking; the session stays locked "
                  "until a new locker unlocks it (e.g. tranchectl exec swaylock)");
  ++abandoned_;
  unlock_.disconnect();
  lock_destroy_.disconnect();
  new_surface_.disconnect();
  surfaces_.clear();
  lock_ = nullptr;
  state_ = State::Abandoned;
  set_cover_colour();
  server_.seat->lock_changed();
}

void SessionLock::handle_new_surface(wlr_session_lock_surface_v1* lock_surface) {
  auto& surface = surfaces_.emplace_back(std::make_unique<Surface>(*this, lock_surface));
  Surface* s = surface.get();
  s->tree = wlr_scene_subsurface_tree_create(tree_, lock_surface->surface);
  s->place();
  s->configure();
  s->map.connect(&lock_surface->surface->events.map, [this, s](void*) {
    // The focused output's lock surface takes the keyboard; the first mapped one otherwise.
    Output* focused = server_.focused_output();
    wlr_surface* current = server_.seat->wlr->keyboard_state.focused_surface;
    if (!allows(current) || (focused && focused->wlr == s->wlr->output))
      server_.seat->focus_lock_surface(s->wlr->surface);
    server_.seat->schedule_pointer_refresh();
  });
  s->destroy.connect(&lock_surface->events.destroy, [this, s](void*) {
    bool had_focus = server_.seat->wlr->keyboard_state.focused_surface == s->wlr->surface;
    surfaces_.remove_if([s](const std::unique_ptr<Surface>& p) { return p.get() == s; });
    if (had_focus) focus_a_lock_surface();
  });
  // A mode or scale change resizes the output: the lock surface follows.
  s->output_commit.connect(&lock_surface->output->events.commit, [s](void* data) {
    auto* event = static_cast<wlr_output_event_commit*>(data);
    if (event->state->committed & (WLR_OUTPUT_STATE_MODE | WLR_OUTPUT_STATE_SCALE | WLR_OUTPUT_STATE_TRANSFORM))
      s->configure();
  });
}

void SessionLock::focus_a_lock_surface() {
  for (const auto& s : surfaces_) {
    if (s->wlr->surface->mapped) {
      server_.seat->focus_lock_surface(s->wlr->surface);
      return;
    }
  }
  server_.seat->focus_lock_surface(nullptr);
}

void SessionLock::set_cover_colour() {
  const float* colour = state_ == State::Abandoned ? kAbandonedColour : kLockedColour;
  wlr_scene_node* node;
  wl_list_for_each(node, &cover_->children, link) wlr_scene_rect_set_color(wlr_scene_rect_from_node(node), colour);
}

void SessionLock::arrange() {
  if (!locked()) return;
  // One rectangle per output, rebuilt: outputs come, go and move rarely.
  wlr_scene_node *node, *next;
  wl_list_for_each_safe(node, next, &cover_->children, link) wlr_scene_node_destroy(node);
  const float* colour = state_ == State::Abandoned ? kAbandonedColour : kLockedColour;
  for (auto& output : server_.outputs()) {
    if (!output->wlr->enabled) continue;
    wlr_box box = output->layout_box();
    wlr_scene_rect* rect = wlr_scene_rect_create(cover_, box.width, box.height, colour);
    wlr_scene_node_set_position(&rect->node, box.x, box.y);
  }
  for (auto& s : surfaces_) s->place();
}

}  // namespace tranche
