/* solid-client: an xdg_toplevel filled with one colour.
 *
 *   solid-client [--color RRGGBB] [--size WxH] [--fullscreen] [--maximized] [--late]
 *                [--app-id ID] [--title TITLE]
 *
 * --fullscreen and --maximized are requested before the initial commit, or with
 * --late once the first buffer is shown.
 * Uses the configured size when the compositor suggests one, else --size
 * (default 320x240). Prints "configure W H" for each configure it acts on and
 * "mapped" after its first buffer is committed. Exits when the compositor closes
 * the toplevel or the connection. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct state {
  struct test_client c;
  struct wl_surface *surface;
  struct xdg_surface *xdg_surface;
  struct xdg_toplevel *toplevel;
  uint32_t color;
  int want_w, want_h;    // --size
  int pending_w, pending_h;  // from the latest xdg_toplevel.configure
  int cur_w, cur_h;
  bool mapped, closed;
  bool fullscreen, maximized, late;
};

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial) {
  struct state *s = data;
  xdg_surface_ack_configure(xdg_surface, serial);
  int w = s->pending_w > 0 ? s->pending_w : s->want_w;
  int h = s->pending_h > 0 ? s->pending_h : s->want_h;
  if (s->mapped && w == s->cur_w && h == s->cur_h) {
    wl_surface_commit(s->surface);
    return;
  }
  s->cur_w = w;
  s->cur_h = h;
  printf("configure %d %d\n", w, h);
  wl_surface_attach(s->surface, tc_solid_buffer(&s->c, w, h, s->color), 0, 0);
  wl_surface_damage(s->surface, 0, 0, w, h);
  wl_surface_commit(s->surface);
  if (!s->mapped) {
    s->mapped = true;
    printf("mapped\n");
    if (s->late && s->fullscreen) xdg_toplevel_set_fullscreen(s->toplevel, NULL);
    if (s->late && s->maximized) xdg_toplevel_set_maximized(s->toplevel);
  }
}

static const struct xdg_surface_listener xdg_surface_listener = {.configure = xdg_surface_configure};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t w, int32_t h,
                               struct wl_array *states) {
  struct state *s = data;
  s->pending_w = w;
  s->pending_h = h;
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel) {
  struct state *s = data;
  s->closed = true;
}

static const struct xdg_toplevel_listener toplevel_listener = {
    .configure = toplevel_configure,
    .close = toplevel_close,
};

static _Noreturn void usage(void) {
  fprintf(stderr,
          "usage: solid-client [--color RRGGBB] [--size WxH] [--fullscreen] [--maximized] [--late]\n"
          "                    [--app-id ID] [--title TITLE]\n");
  exit(2);
}

int main(int argc, char **argv) {
  struct state s = {.color = 0xff00ff, .want_w = 320, .want_h = 240};
  const char *app_id = "tranche-solid-client", *title = "solid-client";
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "--fullscreen") == 0) {
      s.fullscreen = true;
    } else if (strcmp(arg, "--maximized") == 0) {
      s.maximized = true;
    } else if (strcmp(arg, "--late") == 0) {
      s.late = true;
    } else if (strcmp(arg, "--color") == 0 && val) {
      if (!tc_parse_color(val, &s.color)) usage();
      i++;
    } else if (strcmp(arg, "--size") == 0 && val) {
      if (!tc_parse_size(val, &s.want_w, &s.want_h) || s.want_w == 0 || s.want_h == 0) usage();
      i++;
    } else if (strcmp(arg, "--app-id") == 0 && val) {
      app_id = val;
      i++;
    } else if (strcmp(arg, "--title") == 0 && val) {
      title = val;
      i++;
    } else {
      usage();
    }
  }

  tc_connect(&s.c);
  if (!s.c.wm_base) tc_die("xdg_wm_base missing");
  s.surface = wl_compositor_create_surface(s.c.compositor);
  s.xdg_surface = xdg_wm_base_get_xdg_surface(s.c.wm_base, s.surface);
  xdg_surface_add_listener(s.xdg_surface, &xdg_surface_listener, &s);
  s.toplevel = xdg_surface_get_toplevel(s.xdg_surface);
  xdg_toplevel_add_listener(s.toplevel, &toplevel_listener, &s);
  xdg_toplevel_set_app_id(s.toplevel, app_id);
  xdg_toplevel_set_title(s.toplevel, title);
  if (s.fullscreen && !s.late) xdg_toplevel_set_fullscreen(s.toplevel, NULL);
  if (s.maximized && !s.late) xdg_toplevel_set_maximized(s.toplevel);
  wl_surface_commit(s.surface);

  while (!s.closed && wl_display_dispatch(s.c.display) != -1) {
  }
  if (s.closed) {
    printf("closed\n");
    return 0;
  }
  if (tc_report_protocol_error(&s.c)) return 1;
  printf("disconnected\n");
  return 0;
}
