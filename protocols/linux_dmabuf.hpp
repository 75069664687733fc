// zwp_linux_dmabuf_v1 versions 1–6, implemented by tranche (wayland-protocols
// 1.49). wlroots' global is not used: it raises no invalid_format and knows
// nothing of v6, and owning the protocol lets every rule be read here.
//
// The protocol side only: the params' argument checks and errors, the
// wl_buffers (wlroots' buffer type, so wlr_surface, the renderer and the DRM
// backend take them like any other), and feedback sent to each client at the
// version it bound. Whether a buffer can really be used is the importer's
// question (compositor/linux_dmabuf: the renderer and the render device);
// which feedback a surface gets is scanout/feedback_policy's.
//
// Versions: 1–3 get the format (and, 3, modifier) events at bind. 4 adds the
// feedback objects and invalid_format for a pair never advertised; 5 the
// error for planes with different modifiers; 6 drops main_device, flags each
// render tranche `sampling`, and takes set_sampling_device.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "scanout/counters.hpp"
#include "scanout/feedback_policy.hpp"
#include "scanout/formats.hpp"

struct wl_display;
struct wlr_dmabuf_attributes;
struct wlr_surface;

namespace tranche::protocols {

// Decides whether a client's dma-buf can be used, before the client hears
// `created`. `sampling_device` is the v6 request's device (0: none named).
class DmabufImporter {
 public:
  virtual ~DmabufImporter() = default;
  // False with a reason for the log: the client gets `failed` (create) or
  // invalid_wl_buffer (create_immed).
  virtual bool import(const wlr_dmabuf_attributes& attributes, uint64_t sampling_device, std::string& why) = 0;
};

class LinuxDmabuf {
 public:
  // `formats`: every pair the global advertises (each feedback tranche is a
  // subset); `default_feedback`: what a client gets unless a surface has its own.
  LinuxDmabuf(wl_display* display, uint32_t version, scanout::FormatSet formats,
              scanout::Feedback default_feedback, DmabufImporter& importer, scanout::GlobalCounters& counters);
  ~LinuxDmabuf();
  LinuxDmabuf(const LinuxDmabuf&) = delete;
  LinuxDmabuf& operator=(const LinuxDmabuf&) = delete;

  // The surface's feedback from now on (to every feedback object of it, now
  // and later); nullptr or the default feedback: back to the default.
  void set_surface_feedback(wlr_surface* surface, const scanout::Feedback* feedback);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tranche::protocols
