// security-context-v1 (Flatpak and other sandboxes): clients that connect
// through a sandbox's listening socket do not see the privileged globals —
// screen capture, virtual input, clipboard control, output management, layer
// shell, screen locking, and the like — so a sandboxed app cannot read the
// screen, type into other windows or cover them.
#pragma once

#include <set>

#include "wlr.hpp"

namespace tranche {

class SecurityContext {
 public:
  explicit SecurityContext(wl_display* display);
  // A global sandboxed clients must not see. nullptr is ignored.
  void add_privileged(wl_global* global);
  bool sandboxed(const wl_client* client) const;
  size_t privileged_count() const { return privileged_.size(); }

 private:
  static bool filter(const wl_client* client, const wl_global* global, void* data);

  wlr_security_context_manager_v1* manager_;
  std::set<const wl_global*> privileged_;
};

}  // namespace tranche
