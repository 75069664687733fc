#include "tearing.hpp"

namespace tranche::scanout {

Tearing plan_tearing(bool hint_async, bool allowed, bool direct) {
  if (!hint_async) return Tearing::NotRequested;
  if (!allowed) return Tearing::DisabledByConfig;
  if (!direct) return Tearing::NotScannedOut;
  return Tearing::Async;
}

const char* tearing_name(Tearing tearing) {
  switch (tearing) {
    case Tearing::NotRequested: return "not_requested";
    case Tearing::Async: return "async";
    case Tearing::DisabledByConfig: return "disabled_by_config";
    case Tearing::NotScannedOut: return "not_scanned_out";
    case Tearing::RefusedByDriver: return "refused_by_driver";
  }
  return "unknown";
}

}  // namespace tranche::scanout
