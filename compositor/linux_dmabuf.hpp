// linux-dmabuf v4: the global, the import test behind `create`, and sending
// per-surface feedback that scanout/feedback_policy decided.
#pragma once

#include <memory>

#include "scanout/counters.hpp"
#include "scanout/feedback_policy.hpp"
#include "scanout/formats.hpp"
#include "wlr.hpp"

namespace tranche {

class LinuxDmabuf {
 public:
  // nullptr (and a log line saying why) when the renderer cannot sample
  // dma-bufs: pixman, or no DRM device. Clients then use wl_shm.
  static std::unique_ptr<LinuxDmabuf> create(wl_display* display, wlr_renderer* renderer,
                                             scanout::GlobalCounters& counters);
  ~LinuxDmabuf();

  uint64_t main_device() const { return main_device_; }
  const scanout::FormatSet& render_formats() const { return render_formats_; }

  // Replaces the surface's feedback; the default feedback resets it.
  void send_surface_feedback(wlr_surface* surface, const scanout::Feedback& feedback);

 private:
  LinuxDmabuf() = default;
  static bool check_import(wlr_dmabuf_attributes* attributes, void* data);
  bool test_import(const wlr_dmabuf_attributes& attributes);

  wlr_linux_dmabuf_v1* wlr_ = nullptr;
  wlr_renderer* renderer_ = nullptr;
  int import_check_fd_ = -1;  // the render device opened again, for handle checks (open_node)
  // With a software renderer (llvmpipe): the render device's card node, to
  // check that a buffer can be mapped the way the rasterizer will; else -1.
  int map_check_fd_ = -1;
  uint64_t main_device_ = 0;
  scanout::FormatSet render_formats_;
  scanout::Feedback default_;
  scanout::GlobalCounters* counters_ = nullptr;
};

// Converts between wlroots' format sets and ours.
scanout::FormatSet to_format_set(const wlr_drm_format_set* formats);

}  // namespace tranche
