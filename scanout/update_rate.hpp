// How often each surface shows new content, from the commit sequence numbers
// the output's frames see. The cost-aware overlay policy reads it: a plane
// pays for a buffer that changes often; a static window composited once
// costs nothing per frame (the composition beneath overlays is damage-tracked),
// while a plane costs a test commit per frame, and power.
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>

namespace tranche::scanout {

class UpdateRates {
 public:
  static constexpr int64_t kWindow = 1'000'000'000;  // ns: rates are per second
  // A frame at `now` shows surface `id` at commit `seq`.
  void observe(uint64_t id, uint32_t seq, int64_t now);
  // New contents seen in the second up to `now`.
  uint32_t per_second(uint64_t id, int64_t now) const;
  // Forgets surfaces no frame showed for a window (gone, hidden or elsewhere).
  void expire(int64_t now);

 private:
  struct Entry {
    uint32_t seq = 0;
    int64_t last_seen = 0;
    std::deque<int64_t> changes;  // within the window
  };
  static constexpr size_t kMaxChanges = 1000;  // a rate above this is "often" anyway
  std::unordered_map<uint64_t, Entry> entries_;
};

}  // namespace tranche::scanout
