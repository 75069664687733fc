#include "dmabuf_params.hpp"

#include <cstring>
#include <optional>

#include "linux-dmabuf-v1-protocol.h"
#include "server.hpp"

namespace tranche {

namespace {

const scanout::FormatSet* advertised = nullptr;
scanout::GlobalCounters* counters = nullptr;

// zwp_linux_buffer_params_v1's requests, in the XML's order.
enum ParamsRequest : uint32_t { kDestroy = 0, kAdd = 1, kCreate = 2, kCreateImmed = 3 };

// Per params resource: the modifier of its first `add` (the spec makes all
// planes share it; wlroots raises the error when they do not).
struct ParamsState {
  wl_listener destroyed;
  std::optional<uint64_t> modifier;
};

void params_destroyed(wl_listener* listener, void*) {
  ParamsState* state = wl_container_of(listener, state, destroyed);
  wl_list_remove(&state->destroyed.link);
  delete state;
}

ParamsState* state_of(wl_resource* resource) {
  wl_listener* listener = wl_resource_get_destroy_listener(resource, params_destroyed);
  if (!listener) return nullptr;
  ParamsState* state = wl_container_of(listener, state, destroyed);
  return state;
}

// True when the request must end in invalid_format (posted here). Cases
// wlroots answers itself are left to it: params already used (its data is
// gone), no plane added yet (incomplete), and clients of version < 4, for
// which the spec asks no such error (they get `failed` from the import test).
bool refuse_format(wl_resource* resource, uint32_t format) {
  ParamsState* state = state_of(resource);
  if (!advertised || !state || !state->modifier || !wl_resource_get_user_data(resource) ||
      wl_resource_get_version(resource) < 4)
    return false;
  if (advertised->has(format, *state->modifier)) return false;
  if (counters) ++counters->imports_invalid_format;
  const std::string name = scanout::fourcc_name(format);
  TLOG(WLR_DEBUG, "dma-buf params: %s modifier 0x%llx was not advertised: invalid_format", name.c_str(),
       static_cast<unsigned long long>(*state->modifier));
  wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT,
                         "format %s (0x%08x) with modifier 0x%llx was not advertised", name.c_str(), format,
                         static_cast<unsigned long long>(*state->modifier));
  return true;
}

// libwayland calls this instead of invoking the implementation directly; the
// arguments are the request's, already checked against its signature.
int params_dispatch(const void* implementation, void* target, uint32_t opcode, const wl_message*,
                    wl_argument* args) {
  auto* impl = static_cast<const struct zwp_linux_buffer_params_v1_interface*>(implementation);
  auto* resource = static_cast<wl_resource*>(target);  // a wl_resource begins with its wl_object
  wl_client* client = wl_resource_get_client(resource);
  switch (opcode) {
    case kDestroy:
      impl->destroy(client, resource);
      break;
    case kAdd:
      if (ParamsState* state = state_of(resource); state && !state->modifier)
        state->modifier = uint64_t{args[4].u} << 32 | args[5].u;
      impl->add(client, resource, args[0].h, args[1].u, args[2].u, args[3].u, args[4].u, args[5].u);
      break;
    case kCreate:
      if (!refuse_format(resource, args[2].u)) impl->create(client, resource, args[0].i, args[1].i, args[2].u, args[3].u);
      break;
    case kCreateImmed:
      if (!refuse_format(resource, args[3].u))
        impl->create_immed(client, resource, args[0].n, args[1].i, args[2].i, args[3].u, args[4].u);
      break;
    default:
      return -1;  // not in the protocol tranche was built with: libwayland reports it
  }
  return 0;
}

}  // namespace

void set_advertised_dmabuf_formats(const scanout::FormatSet* formats, scanout::GlobalCounters* global_counters) {
  advertised = formats;
  counters = global_counters;
}

bool route_dmabuf_params(wl_resource* resource, const void* implementation, void* data,
                         wl_resource_destroy_func_t destroy) {
  if (!advertised || std::strcmp(wl_resource_get_class(resource), "zwp_linux_buffer_params_v1") != 0)
    return false;
  auto* state = new ParamsState{};
  state->destroyed.notify = params_destroyed;
  wl_resource_add_destroy_listener(resource, &state->destroyed);
  wl_resource_set_dispatcher(resource, params_dispatch, implementation, data, destroy);
  return true;
}

}  // namespace tranche
