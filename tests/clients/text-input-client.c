/* text-input-client: an xdg_toplevel with a text field (text-input-unstable-v3).
 *
 *   text-input-client [--app-id ID] [--size WxH] [--color RRGGBB]
 *                     [--surrounding TEXT] [--cursor X,Y,W,H]
 *
 * On text-input enter it enables the text-input with the surrounding text
 * (default "hello", cursor and anchor at its end), content type normal and the
 * cursor rectangle (surface-local, default 20,30,2,16), and commits; on leave
 * it disables. Prints "mapped", "text-input enter", "text-input leave", the
 * keyboard events it gets (tc_print_keys), and on each done what came with
 * it: "preedit TEXT BEGIN END", "commit-string TEXT",
 * "delete-surrounding BEFORE AFTER", then "done SERIAL". Exits when the
 * compositor closes the toplevel or the connection. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "text-input-unstable-v3-client-protocol.h"

struct state {
  struct test_client c;
  struct tc_toplevel top;
  uint32_t color;
  bool mapped;
  struct zwp_text_input_manager_v3 *manager;
  struct zwp_text_input_v3 *text_input;
  const char *surrounding;
  int cx, cy, cw, ch;
  char *preedit, *commit;
  int32_t preedit_begin, preedit_end;
  uint32_t delete_before, delete_after;
  bool have_preedit, have_delete;
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
                            uint32_t version) {
  struct state *s = data;
  if (strcmp(interface, zwp_text_input_manager_v3_interface.name) == 0)
    s->manager = wl_registry_bind(registry, name, &zwp_text_input_manager_v3_interface, 1);
}
static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {}
static const struct wl_registry_listener registry_listener = {.global = registry_global,
                                                              .global_remove = registry_global_remove};

static void ti_enter(void *data, struct zwp_text_input_v3 *ti, struct wl_surface *surface) {
  struct state *s = data;
  printf("text-input enter\n");
  zwp_text_input_v3_enable(ti);
  size_t len = strlen(s->surrounding);
  zwp_text_input_v3_set_surrounding_text(ti, s->surrounding, (int32_t)len, (int32_t)len);
  zwp_text_input_v3_set_content_type(ti, ZWP_TEXT_INPUT_V3_CONTENT_HINT_NONE, ZWP_TEXT_INPUT_V3_CONTENT_PURPOSE_NORMAL);
  zwp_text_input_v3_set_cursor_rectangle(ti, s->cx, s->cy, s->cw, s->ch);
  zwp_text_input_v3_commit(ti);
}
static void ti_leave(void *data, struct zwp_text_input_v3 *ti, struct wl_surface *surface) {
  printf("text-input leave\n");
  zwp_text_input_v3_disable(ti);
  zwp_text_input_v3_commit(ti);
}
static void ti_preedit_string(void *data, struct zwp_text_input_v3 *ti, const char *text, int32_t begin, int32_t end) {
  struct state *s = data;
  free(s->preedit);
  s->preedit = strdup(text ? text : "");
  s->preedit_begin = begin;
  s->preedit_end = end;
  s->have_preedit = true;
}
static void ti_commit_string(void *data, struct zwp_text_input_v3 *ti, const char *text) {
  struct state *s = data;
  free(s->commit);
  s->commit = text ? strdup(text) : NULL;
}
static void ti_delete_surrounding(void *data, struct zwp_text_input_v3 *ti, uint32_t before, uint32_t after) {
  struct state *s = data;
  s->delete_before = before;
  s->delete_after = after;
  s->have_delete = true;
}
static void ti_done(void *data, struct zwp_text_input_v3 *ti, uint32_t serial) {
  struct state *s = data;
  if (s->have_preedit) printf("preedit %s %d %d\n", s->preedit, s->preedit_begin, s->preedit_end);
  if (s->commit) printf("commit-string %s\n", s->commit);
  if (s->have_delete) printf("delete-surrounding %u %u\n", s->delete_before, s->delete_after);
  printf("done %u\n", serial);
  free(s->commit);
  s->commit = NULL;
  s->have_preedit = s->have_delete = false;
}
static const struct zwp_text_input_v3_listener ti_listener = {
    .enter = ti_enter, .leave = ti_leave, .preedit_string = ti_preedit_string,
    .commit_string = ti_commit_string, .delete_surrounding_text = ti_delete_surrounding, .done = ti_done};

static void draw(void *data, int w, int h) {
  struct state *s = data;
  wl_surface_attach(s->top.surface, tc_solid_buffer(&s->c, w, h, s->color), 0, 0);
  wl_surface_damage(s->top.surface, 0, 0, w, h);
  wl_surface_commit(s->top.surface);
  if (!s->mapped) {
    s->mapped = true;
    printf("mapped\n");
  }
}

static _Noreturn void usage(void) {
  fprintf(stderr, "usage: text-input-client [--app-id ID] [--size WxH] [--color RRGGBB] [--surrounding TEXT] "
                  "[--cursor X,Y,W,H]\n");
  exit(2);
}

int main(int argc, char **argv) {
  struct state s = {.color = 0xe0e0e0, .surrounding = "hello", .cx = 20, .cy = 30, .cw = 2, .ch = 16,
                    .top = {.want_w = 320, .want_h = 240, .draw = draw}};
  s.top.data = &s;
  const char *app_id = "tranche-text-input-client";
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "--app-id") == 0 && val) {
      app_id = argv[++i];
    } else if (strcmp(arg, "--size") == 0 && val) {
      if (!tc_parse_size(val, &s.top.want_w, &s.top.want_h) || !s.top.want_w || !s.top.want_h) usage();
      i++;
    } else if (strcmp(arg, "--color") == 0 && val) {
      if (!tc_parse_color(val, &s.color)) usage();
      i++;
    } else if (strcmp(arg, "--surrounding") == 0 && val) {
      s.surrounding = argv[++i];
    } else if (strcmp(arg, "--cursor") == 0 && val) {
      char tail;
      if (sscanf(val, "%d,%d,%d,%d%c", &s.cx, &s.cy, &s.cw, &s.ch, &tail) != 4) usage();
      i++;
    } else {
      usage();
    }
  }

  tc_connect(&s.c);
  tc_print_keys(&s.c);
  wl_registry_add_listener(wl_display_get_registry(s.c.display), &registry_listener, &s);
  if (wl_display_roundtrip(s.c.display) < 0) tc_die("roundtrip failed");
  if (!s.manager || !s.c.seat) tc_die("zwp_text_input_manager_v3 or wl_seat missing");
  s.text_input = zwp_text_input_manager_v3_get_text_input(s.manager, s.c.seat);
  zwp_text_input_v3_add_listener(s.text_input, &ti_listener, &s);
  tc_toplevel_create(&s.c, &s.top, app_id, "text-input-client");
  wl_surface_commit(s.top.surface);

  return tc_toplevel_run(&s.c, &s.top);
}
