/* bad-client: breaks the xdg-shell rules on purpose, to check that the compositor
 * disconnects it with a protocol error (and survives).
 *
 *   bad-client unconfigured-buffer   commit a buffer before the first configure
 *   bad-client defunct-role          destroy an xdg_surface before its xdg_toplevel
 *
 * Prints "protocol-error INTERFACE CODE" and exits 0 when the compositor raised
 * an error; prints "still-connected" and exits 1 when it did not after a few
 * roundtrips; prints "disconnected" and exits 1 when the connection broke without
 * a protocol error. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "common.h"

int main(int argc, char **argv) {
  if (argc != 2 || (strcmp(argv[1], "unconfigured-buffer") != 0 && strcmp(argv[1], "defunct-role") != 0)) {
    fprintf(stderr, "usage: bad-client unconfigured-buffer|defunct-role\n");
    return 2;
  }
  struct test_client c;
  tc_connect(&c);
  if (!c.wm_base) tc_die("xdg_wm_base missing");

  struct wl_surface *surface = wl_compositor_create_surface(c.compositor);
  struct xdg_surface *xdg_surface = xdg_wm_base_get_xdg_surface(c.wm_base, surface);
  struct xdg_toplevel *toplevel = xdg_surface_get_toplevel(xdg_surface);
  xdg_toplevel_set_app_id(toplevel, "tranche-bad-client");
  if (strcmp(argv[1], "unconfigured-buffer") == 0) {
    wl_surface_attach(surface, tc_solid_buffer(&c, 64, 64, 0xff0000), 0, 0);
    wl_surface_commit(surface);
  } else {
    wl_surface_commit(surface);
    wl_display_roundtrip(c.display);
    xdg_surface_destroy(xdg_surface);  // the toplevel is still alive: defunct_role_object
  }

  for (int i = 0; i < 5; i++) {
    if (wl_display_roundtrip(c.display) == -1) {
      if (tc_report_protocol_error(&c)) return 0;
      printf("disconnected\n");
      return 1;
    }
  }
  printf("still-connected\n");
  return 1;
}
