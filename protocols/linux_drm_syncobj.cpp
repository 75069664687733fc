// linux-drm-syncobj-v1, tranche's own: protocol objects and their errors,
// holding commits until their acquire point signals, signalling release points.
// What to do and when is decided in sync/ (WaitQueue, ReleaseTracker); this file
// only connects it to wlroots and the kernel.
#include "linux_drm_syncobj.hpp"

#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <xf86drm.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include "linux-drm-syncobj-v1-protocol.h"
#include "listener.hpp"
#include "sync/release_tracker.hpp"
#include "timer.hpp"
#include "wlr.hpp"

#define SYNC_LOG(verb, fmt, ...) _wlr_log(verb, "[tranche] explicit sync: " fmt, ##__VA_ARGS__)

namespace tranche {
namespace {

constexpr uint32_t kManagerVersion = 1;
constexpr int64_t kMs = 1'000'000;

template <class T>
uintptr_t key(T* pointer) { return reinterpret_cast<uintptr_t>(pointer); }

// The DRM fd of the backend's KMS device, or -1 (nested, headless). Not the
// renderer's: software EGL has none, and tranche waits and signals on the CPU.
int backend_drm_fd(wlr_backend* backend) {
  int fd = -1;
  auto check = [](wlr_backend* sub, void* data) {
    int* out = static_cast<int*>(data);
    if (*out < 0 && wlr_backend_is_drm(sub)) *out = wlr_backend_get_drm_fd(sub);
  };
  if (wlr_backend_is_multi(backend)) wlr_multi_for_each_backend(backend, check, &fd);
  else check(backend, &fd);
  return fd;
}

// Empty when the device has what waiting and signalling need; else why not.
std::string missing_syncobj_support(int fd) {
  uint64_t timeline = 0;
  if (drmGetCap(fd, DRM_CAP_SYNCOBJ_TIMELINE, &timeline) != 0 || timeline == 0)
    return "the DRM device has no timeline syncobjs (DRM_CAP_SYNCOBJ_TIMELINE)";
  uint32_t handle = 0;
  if (drmSyncobjCreate(fd, 0, &handle) != 0)
    return std::string("cannot create a syncobj: ") + strerror(errno);
  int event = eventfd(0, EFD_CLOEXEC);
  int result = event < 0 ? -1 : drmSyncobjEventfd(fd, handle, 1, event, 0);
  int error = errno;
  if (event >= 0) close(event);
  drmSyncobjDestroy(fd, handle);
  if (result != 0)
    return std::string("the DRM device has no syncobj eventfds (DRM_IOCTL_SYNCOBJ_EVENTFD: ") + strerror(error) + ")";
  return {};
}

// Signalled, not merely materialized: the buffer may be read only after this.
bool point_signalled(wlr_drm_syncobj_timeline* timeline, uint64_t point) {
  bool signalled = false;
  return wlr_drm_syncobj_timeline_check(timeline, point, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, &signalled) &&
         signalled;
}

// A sync_file that signals when every access still running on the buffer's
// dmabuf (a GPU that samples it, a plane that scans it out) has finished: the
// implicit fences, as DMA_BUF_IOCTL_EXPORT_SYNC_FILE for writing sees them.
// -1 when the buffer has no dmabuf or the kernel cannot say.
int pending_access_fence(wlr_buffer* buffer) {
  wlr_dmabuf_attributes dmabuf;
  if (!wlr_buffer_get_dmabuf(buffer, &dmabuf)) return -1;
  int merged = -1;
  for (int i = 0; i < dmabuf.n_planes; ++i) {
    dma_buf_export_sync_file exported{.flags = DMA_BUF_SYNC_WRITE, .fd = -1};
    if (drmIoctl(dmabuf.fd[i], DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exported) != 0) {
      if (merged >= 0) close(merged);
      return -1;
    }
    if (merged < 0) {
      merged = exported.fd;
      continue;
    }
    sync_merge_data merge{};
    std::strncpy(merge.name, "tranche-release", sizeof merge.name - 1);
    merge.fd2 = exported.fd;
    int ok = ioctl(merged, SYNC_IOC_MERGE, &merge);
    close(exported.fd);
    close(merged);
    if (ok != 0) return -1;
    merged = merge.fence;
  }
  return merged;
}

// Puts `sync_file` at `point` of the timeline: the point signals with it.
bool import_fence_at(wlr_drm_syncobj_timeline* timeline, uint64_t point, int sync_file) {
  uint32_t temporary = 0;
  if (drmSyncobjCreate(timeline->drm_fd, 0, &temporary) != 0) return false;
  bool ok = drmSyncobjImportSyncFile(timeline->drm_fd, temporary, sync_file) == 0 &&
            drmSyncobjTransfer(timeline->drm_fd, timeline->handle, point, temporary, 0, 0) == 0;
  drmSyncobjDestroy(timeline->drm_fd, temporary);
  return ok;
}

// Double-buffered points of a surface (wlr_surface_synced): pending until
// wl_surface.commit, then cached or current with the rest of the surface state.
struct Points {
  wlr_drm_syncobj_timeline* acquire;
  uint64_t acquire_point;
  wlr_drm_syncobj_timeline* release;
  uint64_t release_point;
};

void finish_points(void* state) {
  auto* points = static_cast<Points*>(state);
  wlr_drm_syncobj_timeline_unref(points->acquire);
  wlr_drm_syncobj_timeline_unref(points->release);
  *points = {};
}

void move_points(void* dst, void* src) {
  // Release points are not signalled here: ReleaseTracker signals them when the
  // buffer's last reader lets go, which may be long after the state moved on.
  finish_points(dst);
  *static_cast<Points*>(dst) = *static_cast<Points*>(src);
  *static_cast<Points*>(src) = {};
}

const wlr_surface_synced_impl kPointsImpl = {
    .state_size = sizeof(Points),
    .init_state = nullptr,
    .finish_state = finish_points,
    .move_state = move_points,
};

}  // namespace

struct SyncSurface;

// A commit held until its acquire point signals. Only the head of a surface's
// queue waits on an eventfd (WaitQueue), so a client stacking up commits costs
// tranche one fd per surface, not one per commit.
struct HeldCommit;

// wlroots' timeline waiter calls a plain function with the waiter: the waiter is
// the first member of a standard-layout slot that also names its commit.
struct WaiterSlot {
  wlr_drm_syncobj_timeline_waiter waiter{};
  HeldCommit* commit = nullptr;
};
static_assert(std::is_standard_layout_v<WaiterSlot>);

struct HeldCommit {
  wlr_surface* surface = nullptr;
  uint32_t seq = 0;  // of the cached state wlr_surface_lock_pending made
  wlr_drm_syncobj_timeline* timeline = nullptr;  // one reference
  uint64_t point = 0;
  bool waiting = false;
  WaiterSlot slot{{}, this};  // HeldCommit lives behind a unique_ptr: `this` stays valid
  std::function<void()> on_ready;

  HeldCommit() = default;
  HeldCommit(const HeldCommit&) = delete;
  HeldCommit& operator=(const HeldCommit&) = delete;
  ~HeldCommit() {
    stop_waiting();
    wlr_drm_syncobj_timeline_unref(timeline);
  }
  bool start_waiting(wl_event_loop* loop, std::function<void()> ready) {
    on_ready = std::move(ready);
    waiting = wlr_drm_syncobj_timeline_waiter_init(&slot.waiter, timeline, point, 0, loop, [](wlr_drm_syncobj_timeline_waiter* w) {
      HeldCommit* commit = reinterpret_cast<WaiterSlot*>(w)->commit;
      // The callback may destroy the commit (applying it): run a copy.
      auto ready = commit->on_ready;
      ready();
    });
    return waiting;
  }
  void stop_waiting() {
    if (!waiting) return;
    wlr_drm_syncobj_timeline_waiter_finish(&slot.waiter);
    waiting = false;
  }
};

struct BufferWatch {
  Listener release, destroy;
};

struct ExplicitSync::Impl {
  Impl(wl_display* display, StallSettingsSource settings)
      : display(display), loop(wl_display_get_event_loop(display)), settings(std::move(settings)) {}

  wl_display* display;
  wl_event_loop* loop;
  StallSettingsSource settings;
  std::string device;
  std::string unavailable;  // why the global is not offered
  int drm_fd = -1;          // ours (a dup of the backend's); every timeline is imported on it
  wl_global* global = nullptr;
  std::unique_ptr<Timer> stall_timer;
  Listener display_destroy;

  sync::WaitQueue waits;
  sync::ReleaseTracker releases;
  uint64_t commits_ready = 0;  // acquire point already signalled at commit: applied at once
  uint64_t releases_with_fence = 0, releases_on_cpu = 0, release_failures = 0;
  std::unordered_map<sync::WaitId, std::unique_ptr<HeldCommit>> held;
  std::unordered_map<wlr_surface*, std::unique_ptr<Listener>> surface_watches;
  std::unordered_map<wlr_buffer*, std::unique_ptr<BufferWatch>> buffer_watches;
  std::unordered_set<SyncSurface*> sync_surfaces;  // live protocol objects
  std::unordered_set<wl_resource*> managers;       // live manager resources

  sync::StallSettings stall_settings() const { return settings(); }

  void on_client_commit(SyncSurface& surface);
  void hold(wlr_surface* surface, wlr_drm_syncobj_timeline* timeline, uint64_t point);
  void advance(sync::WaitId head);
  std::optional<sync::WaitId> apply(sync::WaitId id);
  void drop_surface(wlr_surface* surface);
  void arm_stall_timer();
  void on_stall_timer();
  void disconnect(sync::WaitId id);
  void track_release(wlr_buffer* buffer, wlr_drm_syncobj_timeline* timeline, uint64_t point);
  void buffer_done(wlr_buffer* buffer);
  void signal_release(wlr_drm_syncobj_timeline* timeline, uint64_t point, int fence);
  void offer(int fd);  // the global, on `fd` (not ours) when it has timeline syncobjs
  void shutdown();
};

// One wp_linux_drm_syncobj_surface_v1. It dies with its resource or its
// wl_surface; the commits it held and the releases it asked for live on in Impl
// (the protocol says points set before the last commit are not affected).
struct SyncSurface {
  ExplicitSync::Impl& sync;
  wlr_surface* surface;
  wl_resource* resource = nullptr;
  wlr_surface_synced synced{};
  Points pending{}, current{};
  struct {
    wlr_addon addon;  // first: the addon callback casts back to this struct
    SyncSurface* self;
  } addon{};
  Listener client_commit;

  static SyncSurface* of(wlr_surface* surface, ExplicitSync::Impl* sync);
  void destroy();
};

namespace {

const wlr_addon_interface kSurfaceAddon = {
    .name = "tranche_linux_drm_syncobj_surface_v1",
    .destroy = [](wlr_addon* addon) {
      reinterpret_cast<decltype(SyncSurface::addon)*>(addon)->self->destroy();  // the wl_surface is gone
    },
};

SyncSurface* sync_surface_from(wl_resource* resource) {
  return static_cast<SyncSurface*>(wl_resource_get_user_data(resource));
}

void set_point(wl_resource* resource, wl_resource* timeline_resource, uint32_t hi, uint32_t lo, bool acquire) {
  SyncSurface* surface = sync_surface_from(resource);
  if (!surface) {
    wl_resource_post_error(resource, WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_SURFACE,
                           "the wl_surface of this wp_linux_drm_syncobj_surface_v1 was destroyed");
    return;
  }
  auto* timeline = static_cast<wlr_drm_syncobj_timeline*>(wl_resource_get_user_data(timeline_resource));
  auto*& slot = acquire ? surface->pending.acquire : surface->pending.release;
  wlr_drm_syncobj_timeline_unref(slot);
  slot = wlr_drm_syncobj_timeline_ref(timeline);
  (acquire ? surface->pending.acquire_point : surface->pending.release_point) = (uint64_t{hi} << 32) | lo;
}

const struct wp_linux_drm_syncobj_surface_v1_interface kSurfaceImpl = {
    .destroy = [](wl_client*, wl_resource* resource) { wl_resource_destroy(resource); },
    .set_acquire_point = [](wl_client*, wl_resource* resource, wl_resource* timeline, uint32_t hi,
                            uint32_t lo) { set_point(resource, timeline, hi, lo, true); },
    .set_release_point = [](wl_client*, wl_resource* resource, wl_resource* timeline, uint32_t hi,
                            uint32_t lo) { set_point(resource, timeline, hi, lo, false); },
};

const struct wp_linux_drm_syncobj_timeline_v1_interface kTimelineImpl = {
    .destroy = [](wl_client*, wl_resource* resource) { wl_resource_destroy(resource); },
};

ExplicitSync::Impl* manager_from(wl_resource* resource) {
  return static_cast<ExplicitSync::Impl*>(wl_resource_get_user_data(resource));
}

void get_surface(wl_client* client, wl_resource* manager, uint32_t id, wl_resource* surface_resource) {
  ExplicitSync::Impl* sync = manager_from(manager);
  wlr_surface* surface = wlr_surface_from_resource(surface_resource);
  if (!sync) return;  // tranche is shutting down
  if (SyncSurface::of(surface, sync)) {
    wl_resource_post_error(manager, WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_SURFACE_EXISTS,
                           "wl_surface@%u already has a wp_linux_drm_syncobj_surface_v1",
                           wl_resource_get_id(surface_resource));
    return;
  }
  auto* created = new SyncSurface{.sync = *sync, .surface = surface};
  if (!wlr_surface_synced_init(&created->synced, surface, &kPointsImpl, &created->pending, &created->current)) {
    delete created;
    wl_resource_post_no_memory(manager);
    return;
  }
  created->resource = wl_resource_create(client, &wp_linux_drm_syncobj_surface_v1_interface,
                                         wl_resource_get_version(manager), id);
  if (!created->resource) {
    wlr_surface_synced_finish(&created->synced);
    delete created;
    wl_resource_post_no_memory(manager);
    return;
  }
  wl_resource_set_implementation(created->resource, &kSurfaceImpl, created, [](wl_resource* resource) {
    if (SyncSurface* surface = sync_surface_from(resource)) surface->destroy();
  });
  created->addon.self = created;
  wlr_addon_init(&created->addon.addon, &surface->addons, sync, &kSurfaceAddon);
  created->client_commit.connect(&surface->events.client_commit,
                                 [created](void*) { created->sync.on_client_commit(*created); });
  sync->sync_surfaces.insert(created);
}

void import_timeline(wl_client* client, wl_resource* manager, uint32_t id, int fd) {
  ExplicitSync::Impl* sync = manager_from(manager);
  wlr_drm_syncobj_timeline* timeline = sync ? wlr_drm_syncobj_timeline_import(sync->drm_fd, fd) : nullptr;
  close(fd);
  if (!timeline) {
    wl_resource_post_error(manager, WP_LINUX_DRM_SYNCOBJ_MANAGER_V1_ERROR_INVALID_TIMELINE,
                           "the fd is not a DRM syncobj that can be imported");
    return;
  }
  wl_resource* resource = wl_resource_create(client, &wp_linux_drm_syncobj_timeline_v1_interface,
                                             wl_resource_get_version(manager), id);
  if (!resource) {
    wlr_drm_syncobj_timeline_unref(timeline);
    wl_resource_post_no_memory(manager);
    return;
  }
  // Points set with this timeline hold their own references: destroying the
  // resource does not unset them (as the protocol says).
  wl_resource_set_implementation(resource, &kTimelineImpl, timeline, [](wl_resource* resource) {
    wlr_drm_syncobj_timeline_unref(static_cast<wlr_drm_syncobj_timeline*>(wl_resource_get_user_data(resource)));
  });
}

const struct wp_linux_drm_syncobj_manager_v1_interface kManagerImpl = {
    .destroy = [](wl_client*, wl_resource* resource) { wl_resource_destroy(resource); },
    .get_surface = get_surface,
    .import_timeline = import_timeline,
};

void bind_manager(wl_client* client, void* data, uint32_t version, uint32_t id) {
  auto* sync = static_cast<ExplicitSync::Impl*>(data);
  wl_resource* resource = wl_resource_create(client, &wp_linux_drm_syncobj_manager_v1_interface, version, id);
  if (!resource) {
    wl_client_post_no_memory(client);
    return;
  }
  wl_resource_set_implementation(resource, &kManagerImpl, sync, [](wl_resource* resource) {
    if (auto* sync = manager_from(resource)) sync->managers.erase(resource);
  });
  sync->managers.insert(resource);
}

std::string surface_name(wlr_surface* surface) {
  return "wl_surface@" + std::to_string(wl_resource_get_id(surface->resource));
}

}  // namespace

SyncSurface* SyncSurface::of(wlr_surface* surface, ExplicitSync::Impl* sync) {
  wlr_addon* addon = wlr_addon_find(&surface->addons, sync, &kSurfaceAddon);
  return addon ? reinterpret_cast<decltype(SyncSurface::addon)*>(addon)->self : nullptr;
}

void SyncSurface::destroy() {
  wl_resource_set_user_data(resource, nullptr);  // inert: requests now get no_surface
  client_commit.disconnect();
  wlr_addon_finish(&addon.addon);
  wlr_surface_synced_finish(&synced);  // drops the points of pending, cached and current states
  sync.sync_surfaces.erase(this);
  delete this;
}

// --- commit: protocol errors, then hold and track --------------------------------

// Whether another client_commit listener already rejected this commit (wlroots
// then drops it; holding it would lock a state that is never cached). wlroots
// 0.20 keeps the flag in the surface's private part and has no accessor: the
// one read of a WLR_PRIVATE member in tranche. Check it on every wlroots update.
static bool commit_rejected(const wlr_surface* surface) { return surface->WLR_PRIVATE.pending_rejected; }

void ExplicitSync::Impl::on_client_commit(SyncSurface& sync_surface) {
  wlr_surface* surface = sync_surface.surface;
  if (commit_rejected(surface)) return;  // an error is on its way already
  const Points& points = sync_surface.pending;
  wlr_buffer* buffer = (surface->pending.committed & WLR_SURFACE_STATE_BUFFER) ? surface->pending.buffer : nullptr;
  auto reject = [&](uint32_t code, const char* message) {
    wlr_surface_reject_pending(surface, sync_surface.resource, code, "%s", message);
  };

  wlr_dmabuf_attributes dmabuf;
  if (buffer && !wlr_buffer_get_dmabuf(buffer, &dmabuf))
    return reject(WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_UNSUPPORTED_BUFFER,
                  "explicit sync needs a dmabuf buffer (linux-dmabuf), this one is not");
  if (!buffer && (points.acquire || points.release))
    return reject(WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_BUFFER,
                  "acquire or release point set, but no buffer attached in this commit");
  if (buffer && !points.acquire)
    return reject(WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_ACQUIRE_POINT,
                  "buffer attached without an acquire point");
  if (buffer && !points.release)
    return reject(WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_NO_RELEASE_POINT,
                  "buffer attached without a release point");
  if (!buffer) return;
  if (points.acquire == points.release && points.acquire_point >= points.release_point)
    return reject(WP_LINUX_DRM_SYNCOBJ_SURFACE_V1_ERROR_CONFLICTING_POINTS,
                  "acquire and release points on the same timeline: release must be after acquire");

  // The pending state locks the buffer now, so its next release is this commit's.
  track_release(buffer, points.release, points.release_point);
  hold(surface, points.acquire, points.acquire_point);
}

void ExplicitSync::Impl::hold(wlr_surface* surface, wlr_drm_syncobj_timeline* timeline, uint64_t point) {
  // A commit behind a held one is cached by wlroots anyway and applies in order.
  if (!waits.has_waits(key(surface)) && point_signalled(timeline, point)) {
    commits_ready++;
    return;
  }
  wl_client* client = wl_resource_get_client(surface->resource);
  pid_t pid = 0;
  wl_client_get_credentials(client, &pid, nullptr, nullptr);
  auto begun = waits.begin({.surface = key(surface), .client = key(client), .client_pid = pid,
                            .surface_name = surface_name(surface), .point = point},
                           monotonic_now());
  auto commit = std::make_unique<HeldCommit>();
  commit->surface = surface;
  commit->seq = wlr_surface_lock_pending(surface);
  commit->timeline = wlr_drm_syncobj_timeline_ref(timeline);
  commit->point = point;
  held.emplace(begun.id, std::move(commit));
  if (!surface_watches.contains(surface)) {
    auto watch = std::make_unique<Listener>();
    watch->connect(&surface->events.destroy, [this, surface](void*) { drop_surface(surface); });
    surface_watches.emplace(surface, std::move(watch));
  }
  if (begun.head) advance(begun.id);
  arm_stall_timer();
}

// `head` is first in its surface's queue: apply it and its successors while their
// points have signalled; wait (eventfd, flags 0 = until signalled) on the first
// that has not.
void ExplicitSync::Impl::advance(sync::WaitId head) {
  for (std::optional<sync::WaitId> id = head; id;) {
    auto found = held.find(*id);
    if (found == held.end()) return;
    HeldCommit& commit = *found->second;
    if (!point_signalled(commit.timeline, commit.point)) {
      sync::WaitId waiting_id = *id;
      bool started = commit.start_waiting(loop, [this, waiting_id] {
        if (auto next = apply(waiting_id)) advance(*next);
        arm_stall_timer();
      });
      if (!started) {
        SYNC_LOG(WLR_ERROR, "cannot wait for acquire point %llu of %s (out of fds?); disconnecting its client",
                 static_cast<unsigned long long>(commit.point), surface_name(commit.surface).c_str());
        wl_client_post_no_memory(wl_resource_get_client(commit.surface->resource));
        return;
      }
      return;
    }
    id = apply(*id);
  }
}

// The point of `id` signalled: release the commit to wlroots, which applies it
// (and any later cached commit that nothing else holds). Returns the surface's
// next held commit.
std::optional<sync::WaitId> ExplicitSync::Impl::apply(sync::WaitId id) {
  auto node = held.extract(id);
  if (node.empty()) return std::nullopt;
  std::unique_ptr<HeldCommit> commit = std::move(node.mapped());
  commit->stop_waiting();
  auto next = waits.signalled(id, monotonic_now());
  wlr_surface* surface = commit->surface;
  if (!waits.has_waits(key(surface))) surface_watches.erase(surface);
  wlr_surface_unlock_cached(surface, commit->seq);
  return next;
}

void ExplicitSync::Impl::drop_surface(wlr_surface* surface) {
  // No unlock: wlroots frees the cached states with the surface.
  for (sync::WaitId id : waits.drop_surface(key(surface))) held.erase(id);
  surface_watches.erase(surface);  // the listener running now: Listener copes
  arm_stall_timer();
}

// --- fences that do not signal -----------------------------------------------------

void ExplicitSync::Impl::arm_stall_timer() {
  if (!stall_timer) return;
  if (waits.size() == 0) return stall_timer->disarm();
  // At least once a second while anything waits, so that a reloaded
  // [explicit-sync] applies to the waits already running.
  int64_t when = monotonic_now() + 1000 * kMs;
  if (auto next = waits.next_deadline(stall_settings())) when = std::min(when, *next);
  stall_timer->arm_at(when);
}

void ExplicitSync::Impl::on_stall_timer() {
  auto due = waits.due(monotonic_now(), stall_settings());
  const int64_t warn_ms = stall_settings().warn_after_ns / kMs;
  for (sync::WaitId id : due.stalled) {
    const sync::WaitInfo* info = waits.find(id);
    SYNC_LOG(WLR_ERROR,
             "client pid %d: %s has waited %d ms (explicit-sync.stall-warning-ms) for acquire point %llu, "
             "which has not signalled; its last frame stays on screen",
             info->client_pid, info->surface_name.c_str(), static_cast<int>(warn_ms),
             static_cast<unsigned long long>(info->point));
  }
  for (sync::WaitId id : due.disconnect) disconnect(id);
  arm_stall_timer();
}

void ExplicitSync::Impl::disconnect(sync::WaitId id) {
  const sync::WaitInfo* info = waits.find(id);
  if (!info) return;  // gone with an earlier disconnect
  auto* client = reinterpret_cast<wl_client*>(info->client);
  const int limit = static_cast<int>(stall_settings().disconnect_after_ns / kMs);
  SYNC_LOG(WLR_ERROR, "disconnecting client pid %d: acquire point %llu of %s did not signal within %d ms "
           "(explicit-sync.disconnect-after-ms)",
           info->client_pid, static_cast<unsigned long long>(info->point), info->surface_name.c_str(), limit);
  wl_client_post_implementation_error(client, "explicit sync: acquire point %llu of %s did not signal within %d ms",
                                      static_cast<unsigned long long>(info->point), info->surface_name.c_str(), limit);
  wl_client_destroy(client);  // flushes the error first; its surfaces drop their waits
}

// --- release points -----------------------------------------------------------------

void ExplicitSync::Impl::track_release(wlr_buffer* buffer, wlr_drm_syncobj_timeline* timeline, uint64_t point) {
  wlr_drm_syncobj_timeline_ref(timeline);  // the tracker's; dropped once signalled
  if (!releases.track(key(buffer), {key(timeline), point})) return;
  // wlroots locks a buffer while anything reads it: the surface state, the
  // renderer's texture (which lives as long as the wlr_client_buffer that the
  // scene and a KMS plane's framebuffer lock), so the last unlock is the moment
  // tranche stops reading it. Destroy is a safety net: it comes after release.
  auto watch = std::make_unique<BufferWatch>();
  watch->release.connect(&buffer->events.release, [this, buffer](void*) { buffer_done(buffer); });
  watch->destroy.connect(&buffer->events.destroy, [this, buffer](void*) { buffer_done(buffer); });
  buffer_watches.emplace(buffer, std::move(watch));
}

void ExplicitSync::Impl::buffer_done(wlr_buffer* buffer) {
  auto points = releases.released(key(buffer));
  buffer_watches.erase(buffer);  // may be the listener running now: Listener copes
  // The CPU side is done; a GPU may still be sampling it (wlroots' GLES2 only
  // flushes), so each point signals with the dmabuf's pending accesses.
  int fence = points.empty() ? -1 : pending_access_fence(buffer);
  for (const auto& release : points) {
    auto* timeline = reinterpret_cast<wlr_drm_syncobj_timeline*>(release.timeline);
    signal_release(timeline, release.point, fence);
    wlr_drm_syncobj_timeline_unref(timeline);
  }
  if (fence >= 0) close(fence);
}

void ExplicitSync::Impl::signal_release(wlr_drm_syncobj_timeline* timeline, uint64_t point, int fence) {
  if (fence >= 0 && import_fence_at(timeline, point, fence)) {
    releases_with_fence++;
    return;
  }
  if (drmSyncobjTimelineSignal(timeline->drm_fd, &timeline->handle, &point, 1) == 0) {
    releases_on_cpu++;
    return;
  }
  release_failures++;
  SYNC_LOG(WLR_ERROR, "cannot signal release point %llu: %s", static_cast<unsigned long long>(point),
           strerror(errno));
}

// --- life ---------------------------------------------------------------------------

void ExplicitSync::Impl::shutdown() {
  display_destroy.disconnect();
  // Clients are normally gone by now; whatever is left stops referring to us.
  for (SyncSurface* surface : std::unordered_set(sync_surfaces)) surface->destroy();
  for (wl_resource* resource : managers) wl_resource_set_user_data(resource, nullptr);
  managers.clear();
  for (auto& [id, commit] : held) wlr_surface_unlock_cached(commit->surface, commit->seq);
  held.clear();
  surface_watches.clear();
  buffer_watches.clear();
  // Nothing will read any buffer any more: every release point may signal.
  for (const auto& release : releases.release_all()) {
    auto* timeline = reinterpret_cast<wlr_drm_syncobj_timeline*>(release.timeline);
    signal_release(timeline, release.point, -1);
    wlr_drm_syncobj_timeline_unref(timeline);
  }
  stall_timer.reset();
  if (global) wl_global_destroy(global);
  global = nullptr;
  if (drm_fd >= 0) close(drm_fd);
  drm_fd = -1;
}

ExplicitSync::ExplicitSync(wl_display* display, wlr_backend* backend, StallSettingsSource settings)
    : impl_(std::make_unique<Impl>(display, std::move(settings))) {
  int fd = backend_drm_fd(backend);
  if (fd < 0) {
    impl_->unavailable = "no KMS device (nested or headless backend)";
    SYNC_LOG(WLR_INFO, "linux-drm-syncobj-v1 not offered: %s", impl_->unavailable.c_str());
    return;
  }
  impl_->offer(fd);
}

ExplicitSync::ExplicitSync(wl_display* display, DrmFd device, StallSettingsSource settings)
    : impl_(std::make_unique<Impl>(display, std::move(settings))) {
  impl_->offer(device.fd);
}

void ExplicitSync::Impl::offer(int fd) {
  if (char* name = drmGetDeviceNameFromFd2(fd)) {
    device = name;
    free(name);
  }
  unavailable = missing_syncobj_support(fd);
  if (!unavailable.empty()) {
    SYNC_LOG(WLR_INFO, "linux-drm-syncobj-v1 not offered on %s: %s", device.c_str(), unavailable.c_str());
    return;
  }
  drm_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  global = drm_fd < 0 ? nullptr
                      : wl_global_create(display, &wp_linux_drm_syncobj_manager_v1_interface, kManagerVersion, this,
                                         bind_manager);
  if (!global) {
    unavailable = "cannot create the global";
    if (drm_fd >= 0) close(drm_fd);
    drm_fd = -1;
    return;
  }
  stall_timer = std::make_unique<Timer>(loop, [this] { on_stall_timer(); });
  // The Server destroys the display before its members: leave the loop then.
  display_destroy.connect_display_destroy(display, [this](void*) { shutdown(); });
  SYNC_LOG(WLR_INFO, "offering wp_linux_drm_syncobj_manager_v1 on %s (acquire waits and release signals on the CPU)",
           device.c_str());
}

ExplicitSync::~ExplicitSync() {
  if (impl_->global || impl_->display_destroy.connected()) impl_->shutdown();
}

bool ExplicitSync::offered() const { return impl_->global != nullptr; }

nlohmann::json ExplicitSync::describe() const {
  const Impl& sync = *impl_;
  auto waits = sync.waits.describe(monotonic_now());
  nlohmann::json counters = waits["counters"];
  counters["commits_ready_at_commit"] = sync.commits_ready;
  counters.update(sync.releases.describe());
  counters["releases_with_fence"] = sync.releases_with_fence;
  counters["releases_on_cpu"] = sync.releases_on_cpu;
  counters["release_failures"] = sync.release_failures;
  nlohmann::json out = {
      {"offered", sync.global != nullptr},
      {"device", sync.device},
      {"settings",
       {{"stall_warning_ms", sync.stall_settings().warn_after_ns / kMs},
        {"disconnect_after_ms", sync.stall_settings().disconnect_after_ns / kMs}}},
      {"waiting", waits["waiting"]},
      {"counters", counters},
  };
  if (!sync.unavailable.empty()) out["reason"] = sync.unavailable;
  return out;
}

}  // namespace tranche
