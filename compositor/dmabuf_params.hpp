// linux-dmabuf v4's invalid_format error, which wlroots 0.18 does not raise.
//
// The spec (zwp_linux_buffer_params_v1.add, since version 4): "the
// invalid_format protocol error is sent if the format + modifier pair was not
// advertised as supported". wlroots 0.18 instead tests the import and answers
// `failed`, telling a broken client nothing about its mistake. tranche's
// executable routes every zwp_linux_buffer_params_v1 resource through a
// dispatcher of ours (dmabuf_params_hook.cpp overrides
// wl_resource_set_implementation): it remembers the modifier given to `add`
// and raises invalid_format on `create`/`create_immed` for a pair not
// advertised; everything else goes on to wlroots' own handlers unchanged.
#pragma once

#include "scanout/counters.hpp"
#include "scanout/formats.hpp"
#include "wlr.hpp"

namespace tranche {

// What the linux-dmabuf global advertises (every feedback tranche is a subset
// of it); nullptr: no check. The set must outlive its use.
void set_advertised_dmabuf_formats(const scanout::FormatSet* formats, scanout::GlobalCounters* counters);

// Called for every wl_resource_set_implementation in the executable: true when
// `resource` is a zwp_linux_buffer_params_v1 and was given our dispatcher
// (wlroots' implementation and data unchanged, so its own checks still apply).
bool route_dmabuf_params(wl_resource* resource, const void* implementation, void* data,
                         wl_resource_destroy_func_t destroy);

}  // namespace tranche
