// libliftoff's plane-search budget, which wlroots 0.18 does not let us set.
//
// With WLR_DRM_FORCE_LIBLIFTOFF (our overlay planes), wlroots calls
// liftoff_output_apply() with no options, so libliftoff searches for a plane
// assignment for at most 1 ms per frame. On slow machines (the VM tier under
// TCG) the search gives up before its first test commit and even the
// composited frame gets no plane: a black screen. tranche's executable defines
// liftoff_output_apply itself (exported, so it takes precedence over the
// library's for libwlroots) and forwards to libliftoff with the configured
// budget. Linked into the tranche executable only; tests that embed the server
// (WLCS) never use the DRM backend.
#include <xf86drmMode.h>

extern "C" {
#include <libliftoff.h>  // no extern "C" of its own
}

#include <atomic>
#include <cstdint>

#include "interpose.hpp"
#include "liftoff_crtc_scope.hpp"
#include "plane_search_budget.hpp"

namespace {
std::atomic<int64_t> budget_ns{0};  // 0: libliftoff's default
using ApplyFn = int (*)(liftoff_output*, drmModeAtomicReq*, uint32_t, const liftoff_output_apply_options*);
}  // namespace

namespace tranche {
void set_plane_search_budget(int milliseconds) { budget_ns = int64_t{milliseconds} * 1'000'000; }
}  // namespace tranche

extern "C" __attribute__((visibility("default"))) int liftoff_output_apply(
    liftoff_output* output, drmModeAtomicReq* req, uint32_t flags, const liftoff_output_apply_options* options) {
  static ApplyFn real = tranche::next_symbol<ApplyFn>("liftoff_output_apply");
  if (!real) return -38;  // -ENOSYS: libliftoff is not loaded, nothing to forward to
  liftoff_output_apply_options ours{};
  if (!options && budget_ns > 0) {
    ours.timeout_ns = budget_ns;
    options = &ours;
  }
  tranche::LiftoffApplyScope scope(output, req);  // this output's CRTC only
  return real(output, req, flags, options);
}
