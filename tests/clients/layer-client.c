/* layer-client: a zwlr_layer_surface_v1 filled with one colour.
 *
 *   layer-client [--anchor top,bottom,left,right] [--size WxH] [--color RRGGBB]
 *                [--layer background|bottom|top|overlay] [--exclusive N]
 *                [--namespace NAME]
 *
 * A zero in --size asks the compositor to choose (the surface must then be
 * anchored to both opposite edges). Prints "configure W H" for each configure
 * and "mapped" after the first buffer is committed; exits when closed. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct state {
  struct test_client c;
  struct wl_surface *surface;
  struct zwlr_layer_surface_v1 *layer_surface;
  uint32_t color;
  int want_w, want_h;
  int cur_w, cur_h;
  bool mapped, closed;
};

static void layer_configure(void *data, struct zwlr_layer_surface_v1 *layer_surface, uint32_t serial,
                            uint32_t w, uint32_t h) {
  struct state *s = data;
  zwlr_layer_surface_v1_ack_configure(layer_surface, serial);
  int bw = w > 0 ? (int)w : s->want_w;
  int bh = h > 0 ? (int)h : s->want_h;
  printf("configure %u %u\n", w, h);
  if (s->mapped && bw == s->cur_w && bh == s->cur_h) {
    wl_surface_commit(s->surface);
    return;
  }
  s->cur_w = bw;
  s->cur_h = bh;
  wl_surface_attach(s->surface, tc_solid_buffer(&s->c, bw, bh, s->color), 0, 0);
  wl_surface_damage(s->surface, 0, 0, bw, bh);
  wl_surface_commit(s->surface);
  if (!s->mapped) {
    s->mapped = true;
    printf("mapped\n");
  }
}

static void layer_closed(void *data, struct zwlr_layer_surface_v1 *layer_surface) {
  struct state *s = data;
  s->closed = true;
}

static const struct zwlr_layer_surface_v1_listener layer_listener = {
    .configure = layer_configure,
    .closed = layer_closed,
};

static _Noreturn void usage(void) {
  fprintf(stderr,
          "usage: layer-client [--anchor top,bottom,left,right] [--size WxH] [--color RRGGBB]\n"
          "                    [--layer background|bottom|top|overlay] [--exclusive N]\n"
          "                    [--namespace NAME]\n");
  exit(2);
}

static uint32_t parse_anchor(const char *spec) {
  uint32_t anchor = 0;
  char *copy = strdup(spec), *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (strcmp(tok, "top") == 0) anchor |= ZWLR_LAYER_SURFACE_V1_ANCHOR_TOP;
    else if (strcmp(tok, "bottom") == 0) anchor |= ZWLR_LAYER_SURFACE_V1_ANCHOR_BOTTOM;
    else if (strcmp(tok, "left") == 0) anchor |= ZWLR_LAYER_SURFACE_V1_ANCHOR_LEFT;
    else if (strcmp(tok, "right") == 0) anchor |= ZWLR_LAYER_SURFACE_V1_ANCHOR_RIGHT;
    else usage();
  }
  free(copy);
  return anchor;
}

static uint32_t parse_layer(const char *name) {
  if (strcmp(name, "background") == 0) return ZWLR_LAYER_SHELL_V1_LAYER_BACKGROUND;
  if (strcmp(name, "bottom") == 0) return ZWLR_LAYER_SHELL_V1_LAYER_BOTTOM;
  if (strcmp(name, "top") == 0) return ZWLR_LAYER_SHELL_V1_LAYER_TOP;
  if (strcmp(name, "overlay") == 0) return ZWLR_LAYER_SHELL_V1_LAYER_OVERLAY;
  usage();
}

int main(int argc, char **argv) {
  struct state s = {.color = 0x00c000, .want_w = 100, .want_h = 100};
  uint32_t anchor = 0, layer = ZWLR_LAYER_SHELL_V1_LAYER_TOP;
  int exclusive = 0;
  const char *namespace = "tranche-test";
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!val) usage();
    if (strcmp(arg, "--anchor") == 0) anchor = parse_anchor(val);
    else if (strcmp(arg, "--size") == 0) {
      if (!tc_parse_size(val, &s.want_w, &s.want_h)) usage();
    } else if (strcmp(arg, "--color") == 0) {
      if (!tc_parse_color(val, &s.color)) usage();
    } else if (strcmp(arg, "--layer") == 0) layer = parse_layer(val);
    else if (strcmp(arg, "--exclusive") == 0) exclusive = atoi(val);
    else if (strcmp(arg, "--namespace") == 0) namespace = val;
    else usage();
    i++;
  }

  tc_connect(&s.c);
  if (!s.c.layer_shell) tc_die("zwlr_layer_shell_v1 missing");
  s.surface = wl_compositor_create_surface(s.c.compositor);
  s.layer_surface = zwlr_layer_shell_v1_get_layer_surface(s.c.layer_shell, s.surface, NULL, layer, namespace);
  zwlr_layer_surface_v1_add_listener(s.layer_surface, &layer_listener, &s);
  zwlr_layer_surface_v1_set_size(s.layer_surface, (uint32_t)s.want_w, (uint32_t)s.want_h);
  zwlr_layer_surface_v1_set_anchor(s.layer_surface, anchor);
  zwlr_layer_surface_v1_set_exclusive_zone(s.layer_surface, exclusive);
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
