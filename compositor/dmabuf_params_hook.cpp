// The tranche executable's wl_resource_set_implementation: routes
// zwp_linux_buffer_params_v1 resources through dmabuf_params.cpp's dispatcher
// (wlroots 0.18 offers no hook to raise linux-dmabuf's invalid_format), and
// forwards everything else to libwayland-server unchanged. Exported, so it
// takes precedence over the library's for libwlroots. Executable only: tests
// that embed the server get wlroots' behaviour.
#include "dmabuf_params.hpp"
#include "interpose.hpp"

extern "C" __attribute__((visibility("default"))) void wl_resource_set_implementation(
    wl_resource* resource, const void* implementation, void* data, wl_resource_destroy_func_t destroy) {
  using Fn = void (*)(wl_resource*, const void*, void*, wl_resource_destroy_func_t);
  static Fn real = tranche::next_symbol<Fn>("wl_resource_set_implementation");
  if (tranche::route_dmabuf_params(resource, implementation, data, destroy)) return;
  real(resource, implementation, data, destroy);
}
