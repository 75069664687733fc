// Which copy path an output uses, chosen by trying: the first path, in the
// order given (fastest first), not known to fail; a path that failed is tried again after a backoff (10 s, doubling
// up to 5 min), and a frame whose path fails falls back at once to the next
// one, so the output is neither blank nor frozen. A forced path (config or
// TRANCHE_COPY_PATH) is the only one used. Plain C++: unit tests drive it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "copy_path.hpp"

namespace tranche::copy {

struct PathStats {
  uint64_t frames = 0;     // frames this path showed
  uint64_t failures = 0;   // attempts that failed (import, test commit, copy)
  uint64_t bytes = 0;      // bytes copied in all (0 for zero-copy)
  int64_t copy_ns = 0;     // time spent copying in all
  uint64_t last_bytes = 0;
  int64_t last_copy_ns = 0;
  std::string last_error;  // why the last failure happened
};

class PathSelector {
 public:
  static constexpr int64_t kFirstBackoff = 10'000'000'000;  // ns
  static constexpr int64_t kMaxBackoff = 300'000'000'000;

  using Order = std::array<Path, kPathCount>;
  // Fastest first for a GPU: its copy engine beats a readback.
  static constexpr Order kGpuOrder = {Path::ZeroCopy, Path::GpuCopy, Path::Sysram};
  // A software renderer's "GPU copy" is the CPU drawing through the
  // rasterizer: slower than copying the bytes.
  static constexpr Order kSoftwareOrder = {Path::ZeroCopy, Path::Sysram, Path::GpuCopy};

  explicit PathSelector(Forced forced = {}, Order order = kGpuOrder) : forced_(forced), order_(order) {}

  Forced forced() const { return forced_; }
  // The path the next frame should try at `now` (monotonic ns).
  Path choose(int64_t now) const;
  // The path that showed the last frame, if any did.
  std::optional<Path> current() const { return current_; }

  // `path` showed a frame, copying `bytes` in `copy_ns`.
  void succeeded(Path path, uint64_t bytes, int64_t copy_ns);
  // `path` failed at `now`; returns the path to try next in the same frame,
  // or nullopt when there is none (the path was forced, or nothing later in
  // the order is left).
  std::optional<Path> failed(Path path, int64_t now, std::string why);
  // Forget failures (a new mode, a new configuration): try the fastest again.
  void reset();
  // A new configuration: failures are forgotten, counters kept.
  void set_forced(Forced forced) {
    forced_ = forced;
    reset();
  }

  const PathStats& stats(Path path) const { return state_[index(path)].stats; }
  const Order& order() const { return order_; }
  // When a failed path will be tried again; nullopt when it is not failing.
  std::optional<int64_t> retry_at(Path path) const;

 private:
  static size_t index(Path path) { return static_cast<size_t>(path); }
  struct State {
    PathStats stats;
    bool failing = false;
    int64_t retry_at = 0;
    int64_t backoff = kFirstBackoff;
  };
  Forced forced_;
  Order order_;
  std::optional<Path> current_;
  State state_[kPathCount];
};

}  // namespace tranche::copy
