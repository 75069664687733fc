#include "reasons.hpp"

namespace tranche::scanout {

const char* reason_name(Reason reason) {
  switch (reason) {
    case Reason::NotDmabuf: return "not_dmabuf";
    case Reason::FormatUnsupported: return "format_unsupported";
    case Reason::ModifierUnsupported: return "modifier_unsupported";
    case Reason::Scaled: return "scaled";
    case Reason::Transformed: return "transformed";
    case Reason::Occluded: return "occluded";
    case Reason::NotFullscreen: return "not_fullscreen";
    case Reason::NoFreePlane: return "no_free_plane";
    case Reason::TestCommitFailed: return "test_commit_failed";
    case Reason::OtherDevice: return "other_device";
    case Reason::DisabledByConfig: return "disabled_by_config";
    case Reason::OverlaysUnavailable: return "overlays_unavailable";
    case Reason::NeedsBlending: return "needs_blending";
    case Reason::ScreenCapture: return "screen_capture";
    case Reason::SoftwareCursor: return "software_cursor";
    case Reason::NotWorthIt: return "not_worth_it";
    case Reason::Count: break;
  }
  return "unknown";
}

const char* reason_text(Reason reason) {
  switch (reason) {
    case Reason::NotDmabuf: return "The buffer is not a dma-buf; planes can only scan out dma-bufs.";
    case Reason::FormatUnsupported: return "No free plane can scan out the buffer's format.";
    case Reason::ModifierUnsupported:
      return "A plane supports the format, but not with the buffer's modifier.";
    case Reason::Scaled: return "The buffer is scaled: its size differs from its size on screen.";
    case Reason::Transformed: return "The buffer's transform differs from the output's.";
    case Reason::Occluded: return "Composited content above it overlaps it.";
    case Reason::NotFullscreen: return "It does not cover the whole output.";
    case Reason::NoFreePlane: return "Every plane that could show it is taken.";
    case Reason::TestCommitFailed: return "The KMS driver refused the assignment in a test commit.";
    case Reason::OtherDevice: return "The output is on another device than the renderer.";
    case Reason::DisabledByConfig: return "The configuration turns this path off.";
    case Reason::OverlaysUnavailable: return "The backend cannot use overlay planes.";
    case Reason::NeedsBlending: return "It is translucent over content that must be blended.";
    case Reason::ScreenCapture: return "A screen capture is in progress; it reads the composited frame.";
    case Reason::SoftwareCursor: return "The cursor is drawn in software, into the composited frame.";
    case Reason::NotWorthIt:
      return "It updates too seldom for an overlay plane to pay: composited once, it costs nothing per frame.";
    case Reason::Count: break;
  }
  return "Unknown reason.";
}

std::vector<Reason> Reasons::list() const {
  std::vector<Reason> out;
  for (size_t i = 0; i < static_cast<size_t>(Reason::Count); ++i)
    if (bits_.test(i)) out.push_back(static_cast<Reason>(i));
  return out;
}

// NotFullscreen is tolerated: a windowed buffer in a plane format can still go
// on an overlay, so reallocating for the plane formats helps it too.
bool reallocation_would_help(const Reasons& reasons) {
  if (!reasons.has(Reason::FormatUnsupported) && !reasons.has(Reason::ModifierUnsupported))
    return false;
  for (Reason r : reasons.list())
    if (r != Reason::FormatUnsupported && r != Reason::ModifierUnsupported &&
        r != Reason::NotFullscreen)
      return false;
  return true;
}

}  // namespace tranche::scanout
