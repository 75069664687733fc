/* solid-client: an xdg_toplevel filled with one colour.
 *
 *   solid-client [--color RRGGBB] [--size WxH] [--fullscreen] [--maximized] [--late]
 *                [--app-id ID] [--title TITLE] [--print-keys] [--inhibit-shortcuts]
 *                [--output NAME] [--destroy-attached] [--redraw-on-configure]
 *
 * --output NAME: fullscreen on the output of that name (implies --fullscreen).
 * --fullscreen and --maximized are requested before the initial commit, or with
 * --late once the first buffer is shown.
 * Uses the configured size when the compositor suggests one, else --size
 * (default 320x240). Prints "configure W H" for each configure it acts on and
 * "mapped" after its first buffer is committed; with --print-keys also the
 * keyboard events it gets (tc_print_keys); with --inhibit-shortcuts it asks
 * for the compositor's key bindings (keyboard-shortcuts-inhibit) and prints
 * "inhibitor active" / "inhibitor inactive". Exits when the compositor closes
 * the toplevel or the connection. --destroy-attached destroys each buffer
 * right after committing it (its content is then the compositor's to keep);
 * --redraw-on-configure draws at every configure, not only at a new size. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "keyboard-shortcuts-inhibit-unstable-v1-client-protocol.h"

struct state {
  struct test_client c;
  struct tc_toplevel top;  // want_w/want_h: --size
  uint32_t color;
  bool mapped;
  bool fullscreen, maximized, late, print_keys, inhibit, destroy_attached;
  const char *output_name;
  struct wl_output *output;
  struct zwp_keyboard_shortcuts_inhibit_manager_v1 *inhibit_manager;
};

static void inhibitor_active(void *data, struct zwp_keyboard_shortcuts_inhibitor_v1 *inhibitor) {
  printf("inhibitor active\n");
}
static void inhibitor_inactive(void *data, struct zwp_keyboard_shortcuts_inhibitor_v1 *inhibitor) {
  printf("inhibitor inactive\n");
}
static const struct zwp_keyboard_shortcuts_inhibitor_v1_listener inhibitor_listener = {
    .active = inhibitor_active, .inactive = inhibitor_inactive};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
                            uint32_t version) {
  struct state *s = data;
  if (strcmp(interface, zwp_keyboard_shortcuts_inhibit_manager_v1_interface.name) == 0)
    s->inhibit_manager = wl_registry_bind(registry, name, &zwp_keyboard_shortcuts_inhibit_manager_v1_interface, 1);
}
static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {}
static const struct wl_registry_listener registry_listener = {.global = registry_global,
                                                              .global_remove = registry_global_remove};

static void draw(void *data, int w, int h) {
  struct state *s = data;
  printf("configure %d %d\n", w, h);
  struct wl_buffer *buffer = tc_solid_buffer(&s->c, w, h, s->color);
  wl_surface_attach(s->top.surface, buffer, 0, 0);
  wl_surface_damage(s->top.surface, 0, 0, w, h);
  wl_surface_commit(s->top.surface);
  if (s->destroy_attached) wl_buffer_destroy(buffer);
  if (!s->mapped) {
    s->mapped = true;
    printf("mapped\n");
    if (s->late && s->fullscreen) xdg_toplevel_set_fullscreen(s->top.toplevel, s->output);
    if (s->late && s->maximized) xdg_toplevel_set_maximized(s->top.toplevel);
  }
}

static _Noreturn void usage(void) {
  fprintf(stderr,
          "usage: solid-client [--color RRGGBB] [--size WxH] [--fullscreen] [--maximized] [--late]\n"
          "                    [--app-id ID] [--title TITLE] [--print-keys] [--inhibit-shortcuts]\n"
          "                    [--output NAME] [--destroy-attached] [--redraw-on-configure]\n");
  exit(2);
}

int main(int argc, char **argv) {
  struct state s = {.color = 0xff00ff, .top = {.want_w = 320, .want_h = 240, .draw = draw}};
  s.top.data = &s;
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
    } else if (strcmp(arg, "--print-keys") == 0) {
      s.print_keys = true;
    } else if (strcmp(arg, "--destroy-attached") == 0) {
      s.destroy_attached = true;
    } else if (strcmp(arg, "--redraw-on-configure") == 0) {
      s.top.redraw_on_configure = true;
    } else if (strcmp(arg, "--inhibit-shortcuts") == 0) {
      s.inhibit = true;
    } else if (strcmp(arg, "--color") == 0 && val) {
      if (!tc_parse_color(val, &s.color)) usage();
      i++;
    } else if (strcmp(arg, "--size") == 0 && val) {
      if (!tc_parse_size(val, &s.top.want_w, &s.top.want_h) || s.top.want_w == 0 || s.top.want_h == 0) usage();
      i++;
    } else if (strcmp(arg, "--app-id") == 0 && val) {
      app_id = val;
      i++;
    } else if (strcmp(arg, "--output") == 0 && val) {
      s.output_name = val;
      s.fullscreen = true;
      i++;
    } else if (strcmp(arg, "--title") == 0 && val) {
      title = val;
      i++;
    } else {
      usage();
    }
  }

  tc_connect(&s.c);
  if (s.print_keys) tc_print_keys(&s.c);
  if (s.output_name) s.output = tc_output_named(&s.c, s.output_name);
  tc_toplevel_create(&s.c, &s.top, app_id, title);
  if (s.fullscreen && !s.late) xdg_toplevel_set_fullscreen(s.top.toplevel, s.output);
  if (s.maximized && !s.late) xdg_toplevel_set_maximized(s.top.toplevel);
  if (s.inhibit) {
    wl_registry_add_listener(wl_display_get_registry(s.c.display), &registry_listener, &s);
    if (wl_display_roundtrip(s.c.display) < 0) tc_die("roundtrip failed");
    if (!s.inhibit_manager || !s.c.seat) tc_die("zwp_keyboard_shortcuts_inhibit_manager_v1 or wl_seat missing");
    struct zwp_keyboard_shortcuts_inhibitor_v1 *inhibitor =
        zwp_keyboard_shortcuts_inhibit_manager_v1_inhibit_shortcuts(s.inhibit_manager, s.top.surface, s.c.seat);
    zwp_keyboard_shortcuts_inhibitor_v1_add_listener(inhibitor, &inhibitor_listener, &s);
  }
  wl_surface_commit(s.top.surface);

  return tc_toplevel_run(&s.c, &s.top);
}
