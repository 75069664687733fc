/* popup-client: a toplevel with one xdg_popup anchored at a point of it.
 *
 *   popup-client [--size WxH] [--maximized] [--popup WxH] [--anchor-at X,Y]
 *                [--adjust slide,flip,resize|none]
 *
 * The toplevel (default 800x600, or the configured size) maps first; after a
 * roundtrip the popup is created with an anchor rectangle of 1x1 at (X,Y) in
 * window coordinates (default: the toplevel's bottom-right pixel), anchor and
 * gravity bottom-right, so an unadjusted popup would extend beyond that corner.
 * Prints "toplevel W H" when the toplevel maps, "popup X Y W H" (the position
 * relative to the toplevel's window geometry, from xdg_popup.configure) when the
 * popup maps, and "popup-done" if the compositor dismisses it. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct state {
  struct test_client c;
  struct tc_toplevel top;  // want_w/want_h: --size
  struct wl_surface *popup_surface;
  struct xdg_surface *popup_xdg_surface;
  struct xdg_popup *popup;
  int popup_x, popup_y, popup_w, popup_h;
  bool mapped, popup_mapped;
};

static void draw(void *data, int w, int h) {
  struct state *s = data;
  wl_surface_attach(s->top.surface, tc_solid_buffer(&s->c, w, h, 0x3050a0), 0, 0);
  wl_surface_damage(s->top.surface, 0, 0, w, h);
  wl_surface_commit(s->top.surface);
  if (!s->mapped) {
    s->mapped = true;
    printf("toplevel %d %d\n", w, h);
  }
}

static void popup_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial) {
  struct state *s = data;
  xdg_surface_ack_configure(xdg_surface, serial);
  wl_surface_attach(s->popup_surface, tc_solid_buffer(&s->c, s->popup_w, s->popup_h, 0xe0a020), 0, 0);
  wl_surface_damage(s->popup_surface, 0, 0, s->popup_w, s->popup_h);
  wl_surface_commit(s->popup_surface);
  if (!s->popup_mapped) {
    s->popup_mapped = true;
    printf("popup %d %d %d %d\n", s->popup_x, s->popup_y, s->popup_w, s->popup_h);
  }
}

static const struct xdg_surface_listener popup_surface_listener = {.configure = popup_surface_configure};

static void popup_configure(void *data, struct xdg_popup *popup, int32_t x, int32_t y, int32_t w, int32_t h) {
  struct state *s = data;
  s->popup_x = x;
  s->popup_y = y;
  s->popup_w = w;
  s->popup_h = h;
}

static void popup_done(void *data, struct xdg_popup *popup) { printf("popup-done\n"); }

static const struct xdg_popup_listener popup_listener = {
    .configure = popup_configure,
    .popup_done = popup_done,
};

static _Noreturn void usage(void) {
  fprintf(stderr,
          "usage: popup-client [--size WxH] [--maximized] [--popup WxH] [--anchor-at X,Y]\n"
          "                    [--adjust slide,flip,resize|none]\n");
  exit(2);
}

static uint32_t parse_adjust(const char *spec) {
  uint32_t adjust = 0;
  char *copy = strdup(spec), *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (strcmp(tok, "slide") == 0)
      adjust |= XDG_POSITIONER_CONSTRAINT_ADJUSTMENT_SLIDE_X | XDG_POSITIONER_CONSTRAINT_ADJUSTMENT_SLIDE_Y;
    else if (strcmp(tok, "flip") == 0)
      adjust |= XDG_POSITIONER_CONSTRAINT_ADJUSTMENT_FLIP_X | XDG_POSITIONER_CONSTRAINT_ADJUSTMENT_FLIP_Y;
    else if (strcmp(tok, "resize") == 0)
      adjust |= XDG_POSITIONER_CONSTRAINT_ADJUSTMENT_RESIZE_X | XDG_POSITIONER_CONSTRAINT_ADJUSTMENT_RESIZE_Y;
    else if (strcmp(tok, "none") != 0)
      usage();
  }
  free(copy);
  return adjust;
}

int main(int argc, char **argv) {
  struct state s = {.top = {.want_w = 800, .want_h = 600, .draw = draw}, .popup_w = 300, .popup_h = 200};
  s.top.data = &s;
  bool maximized = false;
  int anchor_x = -1, anchor_y = -1;
  uint32_t adjust = parse_adjust("slide,flip");
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "--maximized") == 0) {
      maximized = true;
      continue;
    }
    if (!val) usage();
    if (strcmp(arg, "--size") == 0) {
      if (!tc_parse_size(val, &s.top.want_w, &s.top.want_h) || !s.top.want_w || !s.top.want_h) usage();
    } else if (strcmp(arg, "--popup") == 0) {
      if (!tc_parse_size(val, &s.popup_w, &s.popup_h) || !s.popup_w || !s.popup_h) usage();
    } else if (strcmp(arg, "--anchor-at") == 0) {
      char tail;
      if (sscanf(val, "%d,%d%c", &anchor_x, &anchor_y, &tail) != 2) usage();
    } else if (strcmp(arg, "--adjust") == 0) {
      adjust = parse_adjust(val);
    } else {
      usage();
    }
    i++;
  }

  tc_connect(&s.c);
  if (!s.c.wm_base) tc_die("xdg_wm_base missing");
  tc_toplevel_create(&s.c, &s.top, "tranche-popup-client", "popup-client");
  if (maximized) xdg_toplevel_set_maximized(s.top.toplevel);
  wl_surface_commit(s.top.surface);

  while (!s.mapped && !s.top.closed) {
    if (wl_display_dispatch(s.c.display) == -1) break;
  }
  // Let the compositor answer the first buffer (e.g. with a maximize configure).
  if (s.mapped && wl_display_roundtrip(s.c.display) != -1) {
    struct xdg_positioner *positioner = xdg_wm_base_create_positioner(s.c.wm_base);
    xdg_positioner_set_size(positioner, s.popup_w, s.popup_h);
    xdg_positioner_set_anchor_rect(positioner, anchor_x >= 0 ? anchor_x : s.top.w - 1,
                                   anchor_y >= 0 ? anchor_y : s.top.h - 1, 1, 1);
    xdg_positioner_set_anchor(positioner, XDG_POSITIONER_ANCHOR_BOTTOM_RIGHT);
    xdg_positioner_set_gravity(positioner, XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT);
    xdg_positioner_set_constraint_adjustment(positioner, adjust);
    s.popup_surface = wl_compositor_create_surface(s.c.compositor);
    s.popup_xdg_surface = xdg_wm_base_get_xdg_surface(s.c.wm_base, s.popup_surface);
    xdg_surface_add_listener(s.popup_xdg_surface, &popup_surface_listener, &s);
    s.popup = xdg_surface_get_popup(s.popup_xdg_surface, s.top.xdg_surface, positioner);
    xdg_popup_add_listener(s.popup, &popup_listener, &s);
    xdg_positioner_destroy(positioner);
    wl_surface_commit(s.popup_surface);
  }

  return tc_toplevel_run(&s.c, &s.top);
}
