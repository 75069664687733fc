// Release points of explicit sync, without wlroots: which timeline points wait
// for which buffer to stop being read. A commit's release point may be signalled
// only once tranche no longer reads its buffer: neither the surface, the scene,
// a renderer texture nor a KMS plane holds it. The glue learns that moment from
// the buffer's last lock going away (wlr_buffer's `release`, or `destroy`) and
// asks this tracker what to signal then.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

namespace tranche::sync {

using BufferKey = uintptr_t;    // opaque: the glue passes pointers
using TimelineKey = uintptr_t;

struct ReleasePoint {
  TimelineKey timeline = 0;
  uint64_t point = 0;
  friend bool operator==(const ReleasePoint&, const ReleasePoint&) = default;
};

class ReleaseTracker {
 public:
  // A commit that holds `buffer` (it is locked while this is called) asks for
  // `release` once nothing reads the buffer. Returns true when the buffer was
  // not watched before: the glue then starts listening to it.
  bool track(BufferKey buffer, ReleasePoint release);

  // Nothing reads `buffer` any more. Returns every point waiting for it, in the
  // order tracked; the buffer is no longer watched. Signalling them all now is
  // right even when one buffer was committed several times: each of those
  // commits has finished with it.
  std::vector<ReleasePoint> released(BufferKey buffer);

  // Everything still waiting (tranche is shutting down: nothing reads anything).
  std::vector<ReleasePoint> release_all();

  bool watching(BufferKey buffer) const { return pending_.contains(buffer); }
  size_t pending() const;
  uint64_t signalled() const { return signalled_; }
  nlohmann::json describe() const;  // {"releases_pending", "releases_signalled", "buffers_watched"}

 private:
  std::map<BufferKey, std::vector<ReleasePoint>> pending_;
  uint64_t signalled_ = 0;
};

}  // namespace tranche::sync
