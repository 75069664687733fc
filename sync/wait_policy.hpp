// The policy of explicit sync's acquire waits, without wlroots: which commits wait
// on which acquire point, in what order per surface, since when, and what happens
// when a point does not signal (a warning once per stall, optionally a disconnect).
// The wlroots glue (protocols/linux_drm_syncobj.cpp) holds the commits and the fds;
// this class decides, so unit tests can drive it with a fake clock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tranche::sync {

using WaitId = uint64_t;
using SurfaceKey = uintptr_t;  // opaque to the policy: the glue passes pointers
using ClientKey = uintptr_t;

// What a wait is for; only carried and described, never interpreted.
struct WaitInfo {
  SurfaceKey surface = 0;
  ClientKey client = 0;
  int client_pid = 0;
  std::string surface_name;  // for people: "wl_surface@12"
  uint64_t point = 0;        // the acquire timeline point
};

// Deadlines in nanoseconds; 0 turns one off.
struct StallSettings {
  int64_t warn_after_ns = 1'000'000'000;
  int64_t disconnect_after_ns = 0;
};

struct WaitCounters {
  uint64_t commits_waited = 0;  // commits held until their point signalled
  double total_wait_ms = 0;
  double max_wait_ms = 0;
  uint64_t stalls = 0;          // stall episodes reported (at most one per surface at a time)
  uint64_t disconnects = 0;     // clients the policy asked to disconnect
  uint64_t waits_dropped = 0;   // waits that ended because their surface went away
};

class WaitQueue {
 public:
  struct Begun {
    WaitId id;
    bool head;  // first of its surface's queue: the glue waits for its point now
  };
  // A commit of info.surface is held until info.point signals. Commits of one
  // surface apply in order, so only the head of each surface's queue needs an
  // fd to wait on; the others are checked when they become the head.
  Begun begin(WaitInfo info, int64_t now);

  // The point of `id` has signalled: the wait ends and is counted. Returns the
  // surface's next wait when `id` was the head (it is the head now).
  std::optional<WaitId> signalled(WaitId id, int64_t now);

  // The surface is gone: its waits end uncounted. Returns their ids.
  std::vector<WaitId> drop_surface(SurfaceKey surface);

  bool has_waits(SurfaceKey surface) const;
  bool is_head(WaitId id) const;
  const WaitInfo* find(WaitId id) const;
  size_t size() const { return waits_.size(); }

  struct Due {
    std::vector<WaitId> stalled;     // log these: the first stalled wait of a surface
    std::vector<WaitId> disconnect;  // disconnect their clients (one wait per client)
  };
  // Applies the deadlines that have passed at `now`. Each wait is reported as
  // stalled at most once and causes at most one disconnect.
  Due due(int64_t now, const StallSettings& settings);

  // When due() has something to do next; nullopt when nothing can become due.
  std::optional<int64_t> next_deadline(const StallSettings& settings) const;

  // {"waiting": [...], "counters": {...}} for IPC.
  nlohmann::json describe(int64_t now) const;
  const WaitCounters& counters() const { return counters_; }

 private:
  struct Wait {
    WaitInfo info;
    int64_t since;
    bool stalled = false;
    bool disconnect_requested = false;
  };
  std::map<WaitId, Wait> waits_;                          // ids grow: map order is commit order
  std::map<SurfaceKey, std::vector<WaitId>> by_surface_;  // each in commit order
  std::map<SurfaceKey, bool> stall_reported_;             // surface is in a reported stall
  WaitId next_id_ = 1;
  WaitCounters counters_;

  void forget(WaitId id);
};

}  // namespace tranche::sync
