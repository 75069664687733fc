// The render side of linux-dmabuf: which dma-bufs tranche can sample (the
// renderer's formats, the render device's import checks) and the protocol
// global that answers clients with it (protocols/linux_dmabuf). Per-surface
// feedback is scanout/feedback_policy's, passed through.
#pragma once

#include <memory>
#include <string>

#include "linux_dmabuf.hpp"  // protocols/linux_dmabuf.hpp
#include "scanout/counters.hpp"
#include "scanout/feedback_policy.hpp"
#include "scanout/formats.hpp"
#include "wlr.hpp"

namespace tranche {

class DmabufImport final : public protocols::DmabufImporter {
 public:
  // nullptr (and a log line saying why) when the renderer cannot sample
  // dma-bufs: pixman, or no DRM device. Clients then use wl_shm.
  static std::unique_ptr<DmabufImport> create(wl_display* display, wlr_renderer* renderer,
                                              scanout::GlobalCounters& counters);
  ~DmabufImport() override;

  uint64_t main_device() const { return main_device_; }
  const scanout::FormatSet& render_formats() const { return render_formats_; }

  // Replaces the surface's feedback; the default feedback resets it.
  void send_surface_feedback(wlr_surface* surface, const scanout::Feedback& feedback) {
    global_->set_surface_feedback(surface, &feedback);
  }

  bool import(const wlr_dmabuf_attributes& attributes, uint64_t sampling_device, std::string& why) override;
  // After a GPU reset: imports are checked by the new renderer. The formats
  // and the main device clients were told stay (the same GPU came back).
  void renderer_changed(wlr_renderer* renderer);

 private:
  DmabufImport() = default;

  std::unique_ptr<protocols::LinuxDmabuf> global_;
  wlr_renderer* renderer_ = nullptr;
  int import_check_fd_ = -1;  // the render device opened again, for handle checks (open_node)
  // With a software renderer (llvmpipe): the render device's card node, to
  // check that a buffer can be mapped the way the rasterizer will; else -1.
  int map_check_fd_ = -1;
  uint64_t main_device_ = 0;
  scanout::FormatSet render_formats_;
};

// Converts between wlroots' format sets and ours.
scanout::FormatSet to_format_set(const wlr_drm_format_set* formats);

}  // namespace tranche
