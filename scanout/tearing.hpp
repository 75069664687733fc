// Whether a frame asks KMS for an asynchronous ("tearing") page flip
// (tearing-control-v1), and, for explain, why not when a client asked.
#pragma once

#include <cstdint>

namespace tranche::scanout {

enum class Tearing : uint8_t {
  NotRequested,      // the primary plane's content did not ask (vsync hint, or no client buffer)
  Async,             // an asynchronous flip was asked for and the backend accepted it
  DisabledByConfig,  // [scanout] tearing = false
  NotScannedOut,     // the asking surface is composited: a tear would cut through other windows
  RefusedByDriver,   // the test commit with an async flip failed (no DRM_CAP_ATOMIC_ASYNC_PAGE_FLIP)
};

// The decision before the test commit: Async means "try it". `hint_async`:
// the candidate for the primary plane asked for tearing; `direct`: that
// buffer is scanned out as is, with nothing composited over it.
Tearing plan_tearing(bool hint_async, bool allowed, bool direct);

// snake_case, for explain.
const char* tearing_name(Tearing tearing);

}  // namespace tranche::scanout
