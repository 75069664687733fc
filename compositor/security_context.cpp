#include "security_context.hpp"

namespace tranche {

SecurityContext::SecurityContext(wl_display* display) : manager_(wlr_security_context_manager_v1_create(display)) {
  // A sandboxed client cannot nest another sandbox with other rules.
  add_privileged(manager_->global);
  wl_display_set_global_filter(display, &SecurityContext::filter, this);
}

void SecurityContext::add_privileged(wl_global* global) {
  if (global) privileged_.insert(global);
}

bool SecurityContext::sandboxed(const wl_client* client) const {
  return wlr_security_context_manager_v1_lookup_client(manager_, client) != nullptr;
}

bool SecurityContext::filter(const wl_client* client, const wl_global* global, void* data) {
  auto* self = static_cast<SecurityContext*>(data);
  return !self->privileged_.contains(global) || !self->sandboxed(client);
}

}  // namespace tranche
