// Frames for an output whose KMS device is not the render device (a second
// GPU, a USB display): the copy chain. The scene is rendered on the render
// device; then, fastest first, the display device either imports that buffer
// itself (zero-copy: wlroots renders into the output's own swapchain, LINEAR
// where the display asks for it), or the render device copies the frame into
// a LINEAR buffer the display imports (gpu-copy), or reads it back into a dumb
// buffer of the display device (sysram; bracketed with DMA_BUF_IOCTL_SYNC; the
// CPU reads a render buffer only when a software renderer drew it, so it is
// system memory). copy::PathSelector chooses by trying and remembers.
// Only what changed since a target buffer was last written is copied.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "copy/path_selector.hpp"
#include "frame.hpp"
#include "ipc/ipc.hpp"
#include "wlr.hpp"

namespace tranche::render {

class CopyChain {
 public:
  // nullptr when `output` is not a DRM output on another device than the renderer.
  // `forced`: the path the configuration asks for, if any.
  static std::unique_ptr<CopyChain> create(const Devices& devices, wlr_output* output, copy::Forced forced);
  CopyChain(const Devices& devices, wlr_output* output, copy::Forced forced, std::string device, bool software_renderer);
  ~CopyChain();
  CopyChain(const CopyChain&) = delete;
  CopyChain& operator=(const CopyChain&) = delete;

  // The configuration's path changed (on reload).
  void reconfigure(copy::Forced forced);
  // The path the next frame takes.
  copy::Path choose() const;
  // Renders the scene and shows it by `path` (not zero-copy). Falls back to
  // slower paths in the same frame when one fails; returns whether a frame
  // was committed.
  bool commit_frame(wlr_scene_output* scene_output, copy::Path path);
  // The zero-copy frame (committed by OutputFrame through the scene) failed
  // or succeeded; after a failure the frame goes on by the next path.
  void zero_copy_succeeded();
  bool zero_copy_failed(const std::string& why);

  // Commits (or tests) `state`; when it enables the output or changes its
  // mode, with a blank frame of the chosen path (wlroots would allocate it on
  // the render device, which the display may not import), falling back as a
  // frame does.
  bool commit_state(const wlr_output_state& state, bool test_only);

  ipc::json describe() const;        // display device, mode, path, and describe_paths()
  ipc::json describe_paths() const;  // per path: frames, bytes, ms, failures, retry (tranchectl stats)
  const copy::PathSelector& selector() const { return selector_; }

 private:
  struct Target;
  bool copy_frame(wlr_scene_output* scene_output, copy::Path path, std::string& error);
  bool ensure_swapchains(copy::Path path, int width, int height, std::string& error);
  bool gpu_copy(wlr_buffer* source, wlr_buffer* target, const pixman_region32_t& region, std::string& error);
  bool sysram_copy(wlr_buffer* source, wlr_buffer* target, const pixman_region32_t& region, std::string& error);
  // Writes `region` of the frame into the mapped target: read back by the
  // render device, or copied by the CPU when the renderer is software.
  bool read_back(wlr_buffer* source, void* data, size_t stride, const pixman_region32_t& region, std::string& error);
  bool cpu_copy(wlr_buffer* source, void* data, size_t stride, const pixman_region32_t& region, std::string& error);
  struct Mapping {
    wlr_buffer* buffer;
    void* data;
    size_t size;
  };
  const Mapping* map_source(wlr_buffer* source, std::string& error);
  void unmap_sources();
  bool clear(copy::Path path, wlr_buffer* target, std::string& error);
  bool write_target(wlr_buffer* target, std::string& error, const std::function<bool(void* data, size_t stride)>& write);
  void path_changed(copy::Path path);

  Devices devices_;
  wlr_output* output_;
  copy::PathSelector selector_;
  std::string device_;  // the display device's node, for logs and explain
  bool software_renderer_;  // render buffers are system memory: the CPU may read them
  std::vector<Mapping> source_maps_;  // render_swapchain_'s buffers, mapped for reading
  wlr_allocator* dumb_allocator_ = nullptr;  // dumb buffers on the display device
  wlr_swapchain* render_swapchain_ = nullptr;  // the scene renders here (render device's preferred layout)
  wlr_swapchain* linear_swapchain_ = nullptr;  // gpu-copy targets (render device, LINEAR)
  wlr_swapchain* dumb_swapchain_ = nullptr;    // sysram targets (display device)
  uint32_t format_ = 0;  // fourcc of every buffer here
  wlr_damage_ring targets_damage_;  // what each target buffer lacks
  std::optional<copy::Path> last_logged_;
};

}  // namespace tranche::render
