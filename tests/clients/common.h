/* Shared plumbing of tranche's small test clients: connecting, binding the
 * globals they use, and solid-colour shm buffers. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <wayland-client.h>

#include "wlr-layer-shell-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

#define TC_MAX_OUTPUTS 8

struct test_client {
  struct wl_display *display;
  struct wl_registry *registry;
  struct wl_compositor *compositor;
  struct wl_shm *shm;
  struct xdg_wm_base *wm_base;
  struct zwlr_layer_shell_v1 *layer_shell;
  struct wl_output *output; /* the first one advertised */
  struct wl_seat *seat;
  /* Every wl_output advertised at connection (version 4 where offered, for
   * its name). */
  struct tc_output {
    struct wl_output *wl;
    char name[64];
  } outputs[TC_MAX_OUTPUTS];
  int n_outputs;
};

/* The wl_output whose name (wl_output v4) is `name`; dies when there is none. */
struct wl_output *tc_output_named(struct test_client *c, const char *name);

/* Prints the keyboard events this client gets on stdout: "keyboard-enter",
 * "keyboard-leave", "key CODE pressed|released" (evdev codes). Needs a seat. */
void tc_print_keys(struct test_client *c);

/* Prints "PROG: message" on stderr and exits 1. */
void tc_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Connects to $WAYLAND_DISPLAY and binds the globals above (those present).
 * Dies when the connection fails or wl_compositor/wl_shm are missing. */
void tc_connect(struct test_client *c);

/* A w×h XRGB8888 buffer filled with `rgb` (0xRRGGBB). It destroys itself when the
 * compositor releases it, so callers may forget it after attaching. */
struct wl_buffer *tc_solid_buffer(struct test_client *c, int w, int h, uint32_t rgb);

/* "RRGGBB" or "#RRGGBB" → 0xRRGGBB; false when malformed. */
bool tc_parse_color(const char *s, uint32_t *rgb);

/* "WxH" → w, h (each >= 0); false when malformed. */
bool tc_parse_size(const char *s, int *w, int *h);

/* When the connection died of a protocol error, prints
 * "protocol-error INTERFACE CODE" on stdout and returns true. */
bool tc_report_protocol_error(struct test_client *c);

/* An xdg_toplevel that draws when its size changes. On each
 * xdg_surface.configure it acks, takes the size of the latest
 * xdg_toplevel.configure (want_w x want_h where the compositor leaves the
 * size to the client) and calls draw(data, w, h) the first time and whenever
 * the size differs from the last one drawn; otherwise it only commits.
 * xdg_toplevel.close sets `closed`. */
struct tc_toplevel {
  struct wl_surface *surface;
  struct xdg_surface *xdg_surface;
  struct xdg_toplevel *toplevel;
  int want_w, want_h;
  int pending_w, pending_h; /* from the latest xdg_toplevel.configure */
  int w, h;                 /* the size last drawn */
  bool drawn, closed;
  bool redraw_on_configure; /* else an unchanged configure is only acked */
  void (*draw)(void *data, int w, int h);
  void *data;
};

/* Creates the surface and its toplevel roles with an app id and title (both
 * may be NULL); set want_w/want_h, draw and data first. The caller commits. */
void tc_toplevel_create(struct test_client *c, struct tc_toplevel *t, const char *app_id, const char *title);

/* Dispatches until the toplevel is closed (prints "closed", returns 0) or the
 * connection ends (prints the protocol error, returns 1; or "disconnected", 0):
 * the end of every window client's main(). */
int tc_toplevel_run(struct test_client *c, struct tc_toplevel *t);
