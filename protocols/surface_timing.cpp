#include "surface_timing.hpp"

#include <memory>
#include <optional>
#include <unordered_set>

#include "commit-timing-v1-protocol.h"
#include "fifo-v1-protocol.h"
#include "listener.hpp"
#include "sync/timing_queue.hpp"
#include "timer.hpp"
#include "wlr.hpp"

namespace tranche {

namespace {
constexpr int64_t kSecond = 1'000'000'000;
// The refresh an invisible surface is ticked at: what a FIFO client expects.
constexpr int64_t kInvisibleTick = kSecond / 60;
}  // namespace

struct TimedSurface;

struct SurfaceTiming::Impl {
  explicit Impl(wl_display* display) : loop(wl_display_get_event_loop(display)) {}

  wl_event_loop* loop;
  wl_global* fifo_global = nullptr;
  wl_global* timing_global = nullptr;
  std::unordered_set<TimedSurface*> surfaces;
  std::unique_ptr<Timer> tick;
  struct {
    uint64_t fifo_objects = 0, timers = 0;
    uint64_t held = 0, released_at_latch = 0, released_by_tick = 0;
    uint64_t barrier_waits = 0, target_waits = 0;
  } counts;

  TimedSurface* surface_for(wlr_surface* surface);  // found or made
  void release(TimedSurface& s, int64_t present_ns, uint64_t& counter);
  void keep_going(TimedSurface& s);
  void on_tick();
};

// What fifo and commit-timing keep per wl_surface; lives as long as the surface.
struct TimedSurface {
  SurfaceTiming::Impl& timing;
  wlr_surface* surface;
  wl_resource* fifo = nullptr;
  wl_resource* timer = nullptr;
  // Double-buffered state, taken at the next wl_surface.commit.
  bool pending_set = false, pending_wait = false;
  std::optional<int64_t> pending_target;
  sync::TimingQueue queue;
  struct {
    wlr_addon addon;  // first: the addon callback casts back to this struct
    TimedSurface* self;
  } addon{};
  Listener client_commit;
  Listener commit;  // an update applied

  void on_client_commit();
  bool shown_on(wlr_output* output) const {
    wlr_surface_output* so;
    wl_list_for_each(so, &surface->current_outputs, link) if (so->output == output) return true;
    return false;
  }
  bool shown() const { return !wl_list_empty(&surface->current_outputs); }
  // Whether the update that set the barrier has applied. Released by us, it can
  // still be held by another lock (linux-drm-syncobj's acquire point): until it
  // applies, no latch has shown it and the barrier stays, or the next fifo
  // update would apply with it and replace it unseen. Seqs wrap: compare mod 2^32.
  bool barrier_applied() const { return int32_t(surface->current.seq - queue.barrier_seq()) >= 0; }
  void destroy();
};

namespace {

const wlr_addon_interface kAddon = {
    .name = "tranche_surface_timing",
    .destroy = [](wlr_addon* addon) { reinterpret_cast<decltype(TimedSurface::addon)*>(addon)->self->destroy(); },
};

TimedSurface* timed_from(wl_resource* resource) { return static_cast<TimedSurface*>(wl_resource_get_user_data(resource)); }

// --- fifo-v1 -------------------------------------------------------------------

void fifo_set(wl_resource* resource, bool barrier) {
  TimedSurface* s = timed_from(resource);
  if (!s) {
    wl_resource_post_error(resource, WP_FIFO_V1_ERROR_SURFACE_DESTROYED, "the wl_surface of this wp_fifo_v1 is gone");
    return;
  }
  (barrier ? s->pending_set : s->pending_wait) = true;
}

const struct wp_fifo_v1_interface kFifoImpl = {
    .set_barrier = [](wl_client*, wl_resource* resource) { fifo_set(resource, true); },
    .wait_barrier = [](wl_client*, wl_resource* resource) { fifo_set(resource, false); },
    .destroy = [](wl_client*, wl_resource* resource) { wl_resource_destroy(resource); },
};

// get_fifo and get_timer: at most one object of each per surface, kept in
// `slot`. Destroying one leaves what it asked for in place (the protocols say so).
void make_surface_object(wl_client* client, wl_resource* manager, uint32_t id, wl_resource* surface_resource,
                         wl_resource* TimedSurface::*slot, const wl_interface* interface, const void* impl,
                         uint32_t exists_error, uint64_t& made) {
  auto* timing = static_cast<SurfaceTiming::Impl*>(wl_resource_get_user_data(manager));
  TimedSurface* s = timing->surface_for(wlr_surface_from_resource(surface_resource));
  if (s->*slot) {
    wl_resource_post_error(manager, exists_error, "this wl_surface has a %s already", interface->name);
    return;
  }
  wl_resource* resource = wl_resource_create(client, interface, wl_resource_get_version(manager), id);
  if (!resource) {
    wl_client_post_no_memory(client);
    return;
  }
  s->*slot = resource;
  wl_resource_set_implementation(resource, impl, s, [](wl_resource* resource) {
    if (TimedSurface* s = timed_from(resource)) (s->fifo == resource ? s->fifo : s->timer) = nullptr;
  });
  made++;
}

void get_fifo(wl_client* client, wl_resource* manager, uint32_t id, wl_resource* surface_resource) {
  auto* timing = static_cast<SurfaceTiming::Impl*>(wl_resource_get_user_data(manager));
  make_surface_object(client, manager, id, surface_resource, &TimedSurface::fifo, &wp_fifo_v1_interface, &kFifoImpl,
                      WP_FIFO_MANAGER_V1_ERROR_ALREADY_EXISTS, timing->counts.fifo_objects);
}

const struct wp_fifo_manager_v1_interface kFifoManagerImpl = {
    .destroy = [](wl_client*, wl_resource* resource) { wl_resource_destroy(resource); },
    .get_fifo = get_fifo,
};

// --- commit-timing-v1 ------------------------------------------------------------

void set_timestamp(wl_client*, wl_resource* resource, uint32_t sec_hi, uint32_t sec_lo, uint32_t nsec) {
  TimedSurface* s = timed_from(resource);
  if (!s) {
    wl_resource_post_error(resource, WP_COMMIT_TIMER_V1_ERROR_SURFACE_DESTROYED,
                           "the wl_surface of this wp_commit_timer_v1 is gone");
    return;
  }
  if (nsec >= kSecond) {
    wl_resource_post_error(resource, WP_COMMIT_TIMER_V1_ERROR_INVALID_TIMESTAMP, "tv_nsec %u is not below 10^9", nsec);
    return;
  }
  if (s->pending_target) {
    wl_resource_post_error(resource, WP_COMMIT_TIMER_V1_ERROR_TIMESTAMP_EXISTS,
                           "a timestamp is already set for this commit");
    return;
  }
  uint64_t sec = (uint64_t{sec_hi} << 32) | sec_lo;
  // Far beyond any real time: keep the arithmetic in range, the update just waits.
  s->pending_target = sec > uint64_t(INT64_MAX / kSecond) - 1 ? INT64_MAX : int64_t(sec) * kSecond + nsec;
}

const struct wp_commit_timer_v1_interface kTimerImpl = {
    .set_timestamp = set_timestamp,
    .destroy = [](wl_client*, wl_resource* resource) { wl_resource_destroy(resource); },
};

void get_timer(wl_client* client, wl_resource* manager, uint32_t id, wl_resource* surface_resource) {
  auto* timing = static_cast<SurfaceTiming::Impl*>(wl_resource_get_user_data(manager));
  make_surface_object(client, manager, id, surface_resource, &TimedSurface::timer, &wp_commit_timer_v1_interface,
                      &kTimerImpl, WP_COMMIT_TIMING_MANAGER_V1_ERROR_COMMIT_TIMER_EXISTS, timing->counts.timers);
}

const struct wp_commit_timing_manager_v1_interface kTimingManagerImpl = {
    .destroy = [](wl_client*, wl_resource* resource) { wl_resource_destroy(resource); },
    .get_timer = get_timer,
};

template <class Impl>
void bind_manager(wl_client* client, void* data, uint32_t version, uint32_t id, const wl_interface* interface,
                  const Impl* impl) {
  wl_resource* resource = wl_resource_create(client, interface, int(version), id);
  if (!resource) {
    wl_client_post_no_memory(client);
    return;
  }
  wl_resource_set_implementation(resource, impl, data, nullptr);
}

}  // namespace

TimedSurface* SurfaceTiming::Impl::surface_for(wlr_surface* surface) {
  if (wlr_addon* found = wlr_addon_find(&surface->addons, this, &kAddon))
    return reinterpret_cast<decltype(TimedSurface::addon)*>(found)->self;
  auto* s = new TimedSurface{.timing = *this, .surface = surface};
  s->addon.self = s;
  wlr_addon_init(&s->addon.addon, &surface->addons, this, &kAddon);
  s->client_commit.connect(&surface->events.client_commit, [s](void*) { s->on_client_commit(); });
  // The update that set a barrier applied at last (its acquire point
  // signalled): a latch must come to show it and clear the barrier.
  s->commit.connect(&surface->events.commit, [this, s](void*) { keep_going(*s); });
  surfaces.insert(s);
  return s;
}

void TimedSurface::on_client_commit() {
  sync::TimedUpdate update{.seq = surface->pending.seq, .set_barrier = pending_set, .wait_barrier = pending_wait,
                           .target_ns = pending_target};
  pending_set = pending_wait = false;
  pending_target.reset();
  // A synchronized subsurface applies with its parent: fifo must not hold it.
  if (wlr_subsurface* sub = wlr_subsurface_try_from_wlr_surface(surface); sub && sub->synchronized)
    update.wait_barrier = false;
  if (!update.set_barrier && !update.wait_barrier && !update.target_ns && queue.held() == 0) return;
  // At commit time the next frame's presentation is not known: only a target
  // already passed applies at once; the next latch takes the rest in time.
  if (!queue.commit(update, monotonic_now())) return;
  uint32_t seq = wlr_surface_lock_pending(surface);
  (void)seq;  // == update.seq: the state being committed
  timing.counts.held++;
  if (update.wait_barrier && queue.barrier()) timing.counts.barrier_waits++;
  if (update.target_ns) timing.counts.target_waits++;
  timing.keep_going(*this);
}

// Something must come to release a held update: a latch on an output that
// shows the surface (a frame is asked for), or the tick when none does.
void SurfaceTiming::Impl::keep_going(TimedSurface& s) {
  if (s.queue.held() == 0) return;
  // The head waits for a barrier whose update waits itself (for an acquire
  // point): no latch can help until that update applies, and its commit
  // calls this again.
  if (s.queue.head_waits_for_barrier() && !s.barrier_applied()) return;
  if (!s.shown()) {
    if (!tick) tick = std::make_unique<Timer>(loop, [this] { on_tick(); });
    if (!tick->armed()) tick->arm_at(monotonic_now() + kInvisibleTick);
    return;
  }
  wlr_surface_output* so;
  wl_list_for_each(so, &s.surface->current_outputs, link) wlr_output_schedule_frame(so->output);
}

void SurfaceTiming::Impl::release(TimedSurface& s, int64_t present_ns, uint64_t& counter) {
  for (uint32_t seq : s.queue.take_ready(present_ns)) {
    counter++;
    wlr_surface_unlock_cached(s.surface, seq);  // applies it now, if nothing else holds it
  }
}

void SurfaceTiming::Impl::on_tick() {
  int64_t now = monotonic_now();
  bool again = false;
  for (TimedSurface* s : std::vector<TimedSurface*>(surfaces.begin(), surfaces.end())) {
    if (!surfaces.contains(s) || s->queue.held() == 0 || s->shown()) continue;
    if (s->barrier_applied()) s->queue.clear_barrier();
    release(*s, now, counts.released_by_tick);
    if (s->queue.held() > 0 && !s->shown()) again = true;
    else keep_going(*s);
  }
  if (again) tick->arm_at(now + kInvisibleTick);
}

void TimedSurface::destroy() {
  // The surface is gone with its cached states: nothing to unlock.
  if (fifo) wl_resource_set_user_data(fifo, nullptr);
  if (timer) wl_resource_set_user_data(timer, nullptr);
  client_commit.disconnect();
  commit.disconnect();
  wlr_addon_finish(&addon.addon);
  timing.surfaces.erase(this);
  delete this;
}

SurfaceTiming::SurfaceTiming(wl_display* display) : impl_(std::make_unique<Impl>(display)) {
  impl_->fifo_global = wl_global_create(display, &wp_fifo_manager_v1_interface, 1, impl_.get(),
                                        [](wl_client* client, void* data, uint32_t version, uint32_t id) {
                                          bind_manager(client, data, version, id, &wp_fifo_manager_v1_interface,
                                                       &kFifoManagerImpl);
                                        });
  impl_->timing_global = wl_global_create(display, &wp_commit_timing_manager_v1_interface, 1, impl_.get(),
                                          [](wl_client* client, void* data, uint32_t version, uint32_t id) {
                                            bind_manager(client, data, version, id,
                                                         &wp_commit_timing_manager_v1_interface, &kTimingManagerImpl);
                                          });
}

SurfaceTiming::~SurfaceTiming() {
  for (TimedSurface* s : std::vector<TimedSurface*>(impl_->surfaces.begin(), impl_->surfaces.end())) s->destroy();
  if (impl_->fifo_global) wl_global_destroy(impl_->fifo_global);
  if (impl_->timing_global) wl_global_destroy(impl_->timing_global);
}

void SurfaceTiming::before_latch(wlr_output* output, int64_t present_ns) {
  for (TimedSurface* s : std::vector<TimedSurface*>(impl_->surfaces.begin(), impl_->surfaces.end()))
    if (impl_->surfaces.contains(s) && s->queue.held() > 0 && s->shown_on(output))
      impl_->release(*s, present_ns, impl_->counts.released_at_latch);
}

void SurfaceTiming::after_latch(wlr_output* output, int64_t present_ns) {
  for (TimedSurface* s : std::vector<TimedSurface*>(impl_->surfaces.begin(), impl_->surfaces.end())) {
    if (!impl_->surfaces.contains(s) || !s->shown_on(output)) continue;
    if (s->barrier_applied()) s->queue.clear_barrier();  // this latch showed the update that set it
    if (s->queue.held() == 0) continue;
    impl_->release(*s, present_ns, impl_->counts.released_at_latch);
    impl_->keep_going(*s);
  }
}

nlohmann::json SurfaceTiming::describe() const {
  size_t held_now = 0;
  for (TimedSurface* s : impl_->surfaces) held_now += s->queue.held();
  const auto& c = impl_->counts;
  return {{"fifo_objects", c.fifo_objects},     {"commit_timers", c.timers},
          {"held_now", held_now},               {"held", c.held},
          {"barrier_waits", c.barrier_waits},   {"target_waits", c.target_waits},
          {"released_at_latch", c.released_at_latch}, {"released_by_invisible_tick", c.released_by_tick}};
}

}  // namespace tranche
