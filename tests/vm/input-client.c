/* input-client: a fullscreen xdg_toplevel of one colour that prints the input
 * events it gets, one a line, for the VM tests (tests/vm/kms_vkms.py).
 *
 *   input-client [--color RRGGBB] [--app-id ID]
 *
 * Lines (stdout, line-buffered):
 *   configure W H             a configure it acted on (a buffer of that size)
 *   mapped                    after the first buffer is committed
 *   capabilities pointer|-  keyboard|-   wl_seat capabilities
 *   keymap FORMAT SIZE        wl_keyboard.keymap (the fd is closed)
 *   keyboard-enter N          N: how many keys the compositor says are down
 *   keyboard-leave
 *   key KEY STATE             evdev key code, 1 pressed / 0 released
 *   modifiers DEPRESSED LATCHED LOCKED GROUP
 *   pointer-enter X Y         surface-local, 2 decimals
 *   pointer-leave
 *   motion X Y
 *   button BUTTON STATE       evdev button code (272 left), 1 pressed / 0 released
 *   closed | disconnected     at the end
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

struct state {
  struct test_client c;
  struct wl_registry *registry;
  struct wl_seat *seat;
  struct wl_keyboard *keyboard;
  struct wl_pointer *pointer;
  struct tc_toplevel top;
  uint32_t color;
  bool mapped;
};

/* --- wl_keyboard ------------------------------------------------------------ */

static void keyboard_keymap(void *data, struct wl_keyboard *kb, uint32_t format, int32_t fd, uint32_t size) {
  printf("keymap %u %u\n", format, size);
  close(fd);
}

static void keyboard_enter(void *data, struct wl_keyboard *kb, uint32_t serial, struct wl_surface *surface,
                           struct wl_array *keys) {
  printf("keyboard-enter %zu\n", keys->size / sizeof(uint32_t));
}

static void keyboard_leave(void *data, struct wl_keyboard *kb, uint32_t serial, struct wl_surface *surface) {
  printf("keyboard-leave\n");
}

static void keyboard_key(void *data, struct wl_keyboard *kb, uint32_t serial, uint32_t time, uint32_t key,
                         uint32_t state) {
  printf("key %u %u\n", key, state);
}

static void keyboard_modifiers(void *data, struct wl_keyboard *kb, uint32_t serial, uint32_t depressed,
                               uint32_t latched, uint32_t locked, uint32_t group) {
  printf("modifiers %u %u %u %u\n", depressed, latched, locked, group);
}

static void keyboard_repeat_info(void *data, struct wl_keyboard *kb, int32_t rate, int32_t delay) {}

static const struct wl_keyboard_listener keyboard_listener = {
    .keymap = keyboard_keymap,
    .enter = keyboard_enter,
    .leave = keyboard_leave,
    .key = keyboard_key,
    .modifiers = keyboard_modifiers,
    .repeat_info = keyboard_repeat_info,
};

/* --- wl_pointer ------------------------------------------------------------- */

static void pointer_enter(void *data, struct wl_pointer *p, uint32_t serial, struct wl_surface *surface,
                          wl_fixed_t x, wl_fixed_t y) {
  printf("pointer-enter %.2f %.2f\n", wl_fixed_to_double(x), wl_fixed_to_double(y));
}

static void pointer_leave(void *data, struct wl_pointer *p, uint32_t serial, struct wl_surface *surface) {
  printf("pointer-leave\n");
}

static void pointer_motion(void *data, struct wl_pointer *p, uint32_t time, wl_fixed_t x, wl_fixed_t y) {
  printf("motion %.2f %.2f\n", wl_fixed_to_double(x), wl_fixed_to_double(y));
}

static void pointer_button(void *data, struct wl_pointer *p, uint32_t serial, uint32_t time, uint32_t button,
                           uint32_t state) {
  printf("button %u %u\n", button, state);
}

static void pointer_axis(void *data, struct wl_pointer *p, uint32_t time, uint32_t axis, wl_fixed_t value) {}

static const struct wl_pointer_listener pointer_listener = {
    .enter = pointer_enter,
    .leave = pointer_leave,
    .motion = pointer_motion,
    .button = pointer_button,
    .axis = pointer_axis,
};

/* --- wl_seat ------------------------------------------------------------------ */

static void seat_capabilities(void *data, struct wl_seat *seat, uint32_t caps) {
  struct state *s = data;
  bool has_pointer = caps & WL_SEAT_CAPABILITY_POINTER, has_keyboard = caps & WL_SEAT_CAPABILITY_KEYBOARD;
  printf("capabilities %s %s\n", has_pointer ? "pointer" : "-", has_keyboard ? "keyboard" : "-");
  if (has_pointer && !s->pointer) {
    s->pointer = wl_seat_get_pointer(seat);
    wl_pointer_add_listener(s->pointer, &pointer_listener, s);
  } else if (!has_pointer && s->pointer) {
    wl_pointer_release(s->pointer);
    s->pointer = NULL;
  }
  if (has_keyboard && !s->keyboard) {
    s->keyboard = wl_seat_get_keyboard(seat);
    wl_keyboard_add_listener(s->keyboard, &keyboard_listener, s);
  } else if (!has_keyboard && s->keyboard) {
    wl_keyboard_release(s->keyboard);
    s->keyboard = NULL;
  }
}

static void seat_name(void *data, struct wl_seat *seat, const char *name) {}

static const struct wl_seat_listener seat_listener = {.capabilities = seat_capabilities, .name = seat_name};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
                            uint32_t version) {
  struct state *s = data;
  if (strcmp(interface, wl_seat_interface.name) == 0 && !s->seat) {
    // Version 3 has release requests; later versions add frames and axis
    // details this client does not need.
    s->seat = wl_registry_bind(registry, name, &wl_seat_interface, version < 3 ? version : 3);
    wl_seat_add_listener(s->seat, &seat_listener, s);
  }
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {}

static const struct wl_registry_listener registry_listener = {
    .global = registry_global,
    .global_remove = registry_global_remove,
};

/* --- xdg surface ---------------------------------------------------------------- */

static void draw(void *data, int w, int h) {
  struct state *s = data;
  printf("configure %d %d\n", w, h);
  wl_surface_attach(s->top.surface, tc_solid_buffer(&s->c, w, h, s->color), 0, 0);
  wl_surface_damage(s->top.surface, 0, 0, w, h);
  wl_surface_commit(s->top.surface);
  if (!s->mapped) {
    s->mapped = true;
    printf("mapped\n");
  }
}

static _Noreturn void usage(void) {
  fprintf(stderr, "usage: input-client [--color RRGGBB] [--app-id ID]\n");
  exit(2);
}

int main(int argc, char **argv) {
  struct state s = {.color = 0x0000ff, .top = {.want_w = 320, .want_h = 240, .draw = draw}};
  s.top.data = &s;
  const char *app_id = "tranche-input-client";
  for (int i = 1; i < argc; i++) {
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "--color") == 0 && val) {
      if (!tc_parse_color(val, &s.color)) usage();
      i++;
    } else if (strcmp(argv[i], "--app-id") == 0 && val) {
      app_id = val;
      i++;
    } else {
      usage();
    }
  }

  tc_connect(&s.c);
  if (!s.c.wm_base) tc_die("xdg_wm_base missing");
  s.registry = wl_display_get_registry(s.c.display);
  wl_registry_add_listener(s.registry, &registry_listener, &s);
  if (wl_display_roundtrip(s.c.display) < 0) tc_die("roundtrip failed");
  if (!s.seat) tc_die("wl_seat missing");

  tc_toplevel_create(&s.c, &s.top, app_id, "input-client");
  xdg_toplevel_set_fullscreen(s.top.toplevel, NULL);
  wl_surface_commit(s.top.surface);

  while (!s.top.closed && wl_display_dispatch(s.c.display) != -1) {
  }
  if (s.top.closed) {
    printf("closed\n");
    return 0;
  }
  if (tc_report_protocol_error(&s.c)) return 1;
  printf("disconnected\n");
  return 0;
}
