/* hints-client: an xdg_toplevel that tells the compositor what it is, through
 * the hint protocols: a modal dialog (xdg-dialog-v1), an icon
 * (xdg-toplevel-icon-v1), a wish for tearing (tearing-control-v1), an opacity
 * (alpha-modifier-v1), a content type (content-type-v1), and a parent in
 * another client (xdg-foreign-v2).
 *
 *   hints-client [--color RRGGBB] [--size WxH] [--fullscreen] [--title T]
 *                [--dialog [--dialog-color RRGGBB] [--dialog-delay MS]]
 *                [--icon NAME] [--icon-buffer SIZE] [--tearing]
 *                [--alpha A] [--content-type photo|video|game]
 *                [--export] [--import HANDLE]
 *
 * --dialog: once the main window is mapped (and --dialog-delay ms later), a
 * 160x100 child toplevel titled "dialog", made modal with xdg_dialog_v1.
 * --icon NAME: a named icon for the main window; --icon-buffer SIZE adds a
 * SIZExSIZE shm image to it (scale 1). --tearing: the main surface asks for
 * asynchronous presentation. --alpha A: the main surface's opacity (0..1).
 * --export: print "exported HANDLE" for the main window; --import HANDLE:
 * make the main window a child of the exported window of that handle.
 * Prints "mapped" for the main window and "dialog mapped"; exits when the
 * compositor closes the main window or the connection. Exits 1 when a global
 * it needs is missing. */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "alpha-modifier-v1-client-protocol.h"
#include "content-type-v1-client-protocol.h"
#include "tearing-control-v1-client-protocol.h"
#include "xdg-foreign-unstable-v2-client-protocol.h"
#include "xdg-dialog-v1-client-protocol.h"
#include "xdg-toplevel-icon-v1-client-protocol.h"

struct window {
  struct state *s;
  struct tc_toplevel top;
  uint32_t color;
  bool mapped;
  const char *name;
};

struct state {
  struct test_client c;
  struct window main, dialog;
  struct xdg_wm_dialog_v1 *dialog_manager;
  struct xdg_toplevel_icon_manager_v1 *icon_manager;
  struct wp_tearing_control_manager_v1 *tearing_manager;
  struct wp_alpha_modifier_v1 *alpha_manager;
  struct wp_content_type_manager_v1 *content_type_manager;
  struct zxdg_exporter_v2 *exporter;
  struct zxdg_importer_v2 *importer;
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
                            uint32_t version) {
  struct state *s = data;
  if (strcmp(interface, xdg_wm_dialog_v1_interface.name) == 0)
    s->dialog_manager = wl_registry_bind(registry, name, &xdg_wm_dialog_v1_interface, 1);
  else if (strcmp(interface, xdg_toplevel_icon_manager_v1_interface.name) == 0)
    s->icon_manager = wl_registry_bind(registry, name, &xdg_toplevel_icon_manager_v1_interface, 1);
  else if (strcmp(interface, wp_tearing_control_manager_v1_interface.name) == 0)
    s->tearing_manager = wl_registry_bind(registry, name, &wp_tearing_control_manager_v1_interface, 1);
  else if (strcmp(interface, wp_alpha_modifier_v1_interface.name) == 0)
    s->alpha_manager = wl_registry_bind(registry, name, &wp_alpha_modifier_v1_interface, 1);
  else if (strcmp(interface, wp_content_type_manager_v1_interface.name) == 0)
    s->content_type_manager = wl_registry_bind(registry, name, &wp_content_type_manager_v1_interface, 1);
  else if (strcmp(interface, zxdg_exporter_v2_interface.name) == 0)
    s->exporter = wl_registry_bind(registry, name, &zxdg_exporter_v2_interface, 1);
  else if (strcmp(interface, zxdg_importer_v2_interface.name) == 0)
    s->importer = wl_registry_bind(registry, name, &zxdg_importer_v2_interface, 1);
}
static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {}
static const struct wl_registry_listener registry_listener = {.global = registry_global,
                                                              .global_remove = registry_global_remove};

static void draw(void *data, int w, int h) {
  struct window *win = data;
  wl_surface_attach(win->top.surface, tc_solid_buffer(&win->s->c, w, h, win->color), 0, 0);
  wl_surface_damage(win->top.surface, 0, 0, w, h);
  wl_surface_commit(win->top.surface);
  if (!win->mapped) {
    win->mapped = true;
    printf("%s\n", win->name);
  }
}

static void exported_handle(void *data, struct zxdg_exported_v2 *exported, const char *handle) {
  printf("exported %s\n", handle);
}
static const struct zxdg_exported_v2_listener exported_listener = {.handle = exported_handle};

static void imported_destroyed(void *data, struct zxdg_imported_v2 *imported) { printf("import destroyed\n"); }
static const struct zxdg_imported_v2_listener imported_listener = {.destroyed = imported_destroyed};

static _Noreturn void usage(void) {
  fprintf(stderr,
          "usage: hints-client [--color RRGGBB] [--size WxH] [--fullscreen] [--title T]\n"
          "                    [--dialog [--dialog-color RRGGBB] [--dialog-delay MS]]\n"
          "                    [--icon NAME] [--icon-buffer SIZE] [--tearing]\n"
          "                    [--alpha A] [--content-type photo|video|game]\n"
          "                    [--export] [--import HANDLE]\n");
  exit(2);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
  struct state s = {0};
  s.main = (struct window){.s = &s, .color = 0x3050c0, .name = "mapped",
                           .top = {.want_w = 320, .want_h = 240, .draw = draw}};
  s.dialog = (struct window){.s = &s, .color = 0xe0c020, .name = "dialog mapped",
                             .top = {.want_w = 160, .want_h = 100, .draw = draw}};
  s.main.top.data = &s.main;
  s.dialog.top.data = &s.dialog;
  const char *title = "hints-client", *icon_name = NULL, *import_handle = NULL;
  bool want_dialog = false, fullscreen = false, tearing = false, want_export = false;
  double alpha = -1;
  int content_type = -1;
  int icon_size = 0, dialog_delay = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "--dialog") == 0) {
      want_dialog = true;
    } else if (strcmp(arg, "--fullscreen") == 0) {
      fullscreen = true;
    } else if (strcmp(arg, "--tearing") == 0) {
      tearing = true;
    } else if (strcmp(arg, "--export") == 0) {
      want_export = true;
    } else if (strcmp(arg, "--import") == 0 && val) {
      import_handle = val;
      i++;
    } else if (strcmp(arg, "--alpha") == 0 && val) {
      char *end;
      alpha = strtod(val, &end);
      if (*end || alpha < 0 || alpha > 1) usage();
      i++;
    } else if (strcmp(arg, "--content-type") == 0 && val) {
      if (strcmp(val, "photo") == 0) content_type = WP_CONTENT_TYPE_V1_TYPE_PHOTO;
      else if (strcmp(val, "video") == 0) content_type = WP_CONTENT_TYPE_V1_TYPE_VIDEO;
      else if (strcmp(val, "game") == 0) content_type = WP_CONTENT_TYPE_V1_TYPE_GAME;
      else usage();
      i++;
    } else if (strcmp(arg, "--color") == 0 && val) {
      if (!tc_parse_color(val, &s.main.color)) usage();
      i++;
    } else if (strcmp(arg, "--dialog-color") == 0 && val) {
      if (!tc_parse_color(val, &s.dialog.color)) usage();
      i++;
    } else if (strcmp(arg, "--dialog-delay") == 0 && val) {
      dialog_delay = atoi(val);
      i++;
    } else if (strcmp(arg, "--size") == 0 && val) {
      if (!tc_parse_size(val, &s.main.top.want_w, &s.main.top.want_h) || !s.main.top.want_w || !s.main.top.want_h)
        usage();
      i++;
    } else if (strcmp(arg, "--title") == 0 && val) {
      title = val;
      i++;
    } else if (strcmp(arg, "--icon") == 0 && val) {
      icon_name = val;
      i++;
    } else if (strcmp(arg, "--icon-buffer") == 0 && val) {
      icon_size = atoi(val);
      if (icon_size <= 0) usage();
      i++;
    } else {
      usage();
    }
  }

  tc_connect(&s.c);
  wl_registry_add_listener(wl_display_get_registry(s.c.display), &registry_listener, &s);
  wl_display_roundtrip(s.c.display);
  if (want_dialog && !s.dialog_manager) tc_die("xdg_wm_dialog_v1 missing");
  if ((icon_name || icon_size) && !s.icon_manager) tc_die("xdg_toplevel_icon_manager_v1 missing");
  if (tearing && !s.tearing_manager) tc_die("wp_tearing_control_manager_v1 missing");
  if (alpha >= 0 && !s.alpha_manager) tc_die("wp_alpha_modifier_v1 missing");
  if (content_type >= 0 && !s.content_type_manager) tc_die("wp_content_type_manager_v1 missing");
  if (want_export && !s.exporter) tc_die("zxdg_exporter_v2 missing");
  if (import_handle && !s.importer) tc_die("zxdg_importer_v2 missing");

  tc_toplevel_create(&s.c, &s.main.top, "tranche-hints-client", title);
  if (fullscreen) xdg_toplevel_set_fullscreen(s.main.top.toplevel, NULL);
  if (tearing) {
    struct wp_tearing_control_v1 *control =
        wp_tearing_control_manager_v1_get_tearing_control(s.tearing_manager, s.main.top.surface);
    wp_tearing_control_v1_set_presentation_hint(control, WP_TEARING_CONTROL_V1_PRESENTATION_HINT_ASYNC);
  }
  if (alpha >= 0) {
    struct wp_alpha_modifier_surface_v1 *modifier =
        wp_alpha_modifier_v1_get_surface(s.alpha_manager, s.main.top.surface);
    wp_alpha_modifier_surface_v1_set_multiplier(modifier, (uint32_t)(alpha * UINT32_MAX));
  }
  if (content_type >= 0) {
    struct wp_content_type_v1 *type =
        wp_content_type_manager_v1_get_surface_content_type(s.content_type_manager, s.main.top.surface);
    wp_content_type_v1_set_content_type(type, (uint32_t)content_type);
  }
  if (import_handle) {
    struct zxdg_imported_v2 *imported = zxdg_importer_v2_import_toplevel(s.importer, import_handle);
    zxdg_imported_v2_add_listener(imported, &imported_listener, NULL);
    zxdg_imported_v2_set_parent_of(imported, s.main.top.surface);
  }
  if (icon_name || icon_size) {
    struct xdg_toplevel_icon_v1 *icon = xdg_toplevel_icon_manager_v1_create_icon(s.icon_manager);
    if (icon_name) xdg_toplevel_icon_v1_set_name(icon, icon_name);
    if (icon_size) xdg_toplevel_icon_v1_add_buffer(icon, tc_solid_buffer(&s.c, icon_size, icon_size, 0x20a040), 1);
    xdg_toplevel_icon_manager_v1_set_icon(s.icon_manager, s.main.top.toplevel, icon);
    // The icon's state was copied at set_icon: the object may go.
    xdg_toplevel_icon_v1_destroy(icon);
  }
  wl_surface_commit(s.main.top.surface);
  if (want_export)
    zxdg_exported_v2_add_listener(zxdg_exporter_v2_export_toplevel(s.exporter, s.main.top.surface),
                                  &exported_listener, NULL);

  int64_t dialog_at = -1;
  while (!s.main.top.closed) {
    if (want_dialog && s.main.mapped && dialog_at < 0) dialog_at = now_ms() + dialog_delay;
    if (dialog_at >= 0 && now_ms() >= dialog_at && !s.dialog.top.surface) {
      tc_toplevel_create(&s.c, &s.dialog.top, "tranche-hints-client", "dialog");
      xdg_toplevel_set_parent(s.dialog.top.toplevel, s.main.top.toplevel);
      struct xdg_dialog_v1 *dialog = xdg_wm_dialog_v1_get_xdg_dialog(s.dialog_manager, s.dialog.top.toplevel);
      xdg_dialog_v1_set_modal(dialog);
      wl_surface_commit(s.dialog.top.surface);
    }
    wl_display_flush(s.c.display);
    int timeout = -1;
    if (dialog_at >= 0 && !s.dialog.top.surface) timeout = (int)(dialog_at > now_ms() ? dialog_at - now_ms() : 0);
    if (wl_display_prepare_read(s.c.display) != 0) {
      if (wl_display_dispatch_pending(s.c.display) == -1) break;
      continue;
    }
    struct pollfd pfd = {.fd = wl_display_get_fd(s.c.display), .events = POLLIN};
    int ready = poll(&pfd, 1, timeout);
    if (ready > 0) {
      if (wl_display_read_events(s.c.display) == -1) break;
    } else {
      wl_display_cancel_read(s.c.display);
    }
    if (wl_display_dispatch_pending(s.c.display) == -1) break;
  }
  if (s.main.top.closed) {
    printf("closed\n");
    return 0;
  }
  if (tc_report_protocol_error(&s.c)) return 1;
  printf("disconnected\n");
  return 0;
}
