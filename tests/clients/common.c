#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern const char *__progname;

void tc_die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", __progname);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static void wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial) {
  xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {.ping = wm_base_ping};

static uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

static void output_geometry(void *data, struct wl_output *o, int32_t x, int32_t y, int32_t pw, int32_t ph,
                            int32_t subpixel, const char *make, const char *model, int32_t transform) {}
static void output_mode(void *data, struct wl_output *o, uint32_t flags, int32_t w, int32_t h, int32_t refresh) {}
static void output_done(void *data, struct wl_output *o) {}
static void output_scale(void *data, struct wl_output *o, int32_t factor) {}
static void output_name(void *data, struct wl_output *o, const char *name) {
  struct tc_output *out = data;
  snprintf(out->name, sizeof(out->name), "%s", name);
}
static void output_description(void *data, struct wl_output *o, const char *description) {}

static const struct wl_output_listener output_listener = {
    .geometry = output_geometry, .mode = output_mode, .done = output_done, .scale = output_scale,
    .name = output_name, .description = output_description,
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
                            const char *interface, uint32_t version) {
  struct test_client *c = data;
  if (strcmp(interface, wl_compositor_interface.name) == 0) {
    c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, min_u32(version, 4));
  } else if (strcmp(interface, wl_shm_interface.name) == 0) {
    c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
  } else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
    c->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, min_u32(version, 3));
    xdg_wm_base_add_listener(c->wm_base, &wm_base_listener, c);
  } else if (strcmp(interface, zwlr_layer_shell_v1_interface.name) == 0) {
    c->layer_shell = wl_registry_bind(registry, name, &zwlr_layer_shell_v1_interface, min_u32(version, 4));
  } else if (strcmp(interface, wl_seat_interface.name) == 0 && !c->seat) {
    c->seat = wl_registry_bind(registry, name, &wl_seat_interface, min_u32(version, 5));
  } else if (strcmp(interface, wl_output_interface.name) == 0 && c->n_outputs < TC_MAX_OUTPUTS) {
    struct tc_output *o = &c->outputs[c->n_outputs++];
    o->wl = wl_registry_bind(registry, name, &wl_output_interface, min_u32(version, 4));
    if (version >= 4) wl_output_add_listener(o->wl, &output_listener, o);
    if (!c->output) c->output = o->wl;
  }
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {}

static const struct wl_registry_listener registry_listener = {
    .global = registry_global,
    .global_remove = registry_global_remove,
};

/* The clients exit without tearing their objects down; kept here, the
 * connection and what hangs off it stay reachable, and LeakSanitizer (the
 * sanitizer lane) reports only real leaks. */
static struct wl_display *volatile connected_display __attribute__((used));

void tc_connect(struct test_client *c) {
  memset(c, 0, sizeof(*c));
  setvbuf(stdout, NULL, _IOLBF, 0);  // tests read our stdout line by line
  c->display = wl_display_connect(NULL);
  if (!c->display) tc_die("cannot connect to the Wayland display: %s", strerror(errno));
  connected_display = c->display;
  c->registry = wl_display_get_registry(c->display);
  wl_registry_add_listener(c->registry, &registry_listener, c);
  if (wl_display_roundtrip(c->display) < 0) tc_die("roundtrip failed");
  if (!c->compositor || !c->shm) tc_die("wl_compositor or wl_shm missing");
}

struct wl_output *tc_output_named(struct test_client *c, const char *name) {
  if (wl_display_roundtrip(c->display) < 0) tc_die("roundtrip failed");  // the name events
  for (int i = 0; i < c->n_outputs; i++)
    if (strcmp(c->outputs[i].name, name) == 0) return c->outputs[i].wl;
  tc_die("no wl_output named %s", name);
}

static void kb_keymap(void *data, struct wl_keyboard *kb, uint32_t format, int32_t fd, uint32_t size) { close(fd); }
static void kb_enter(void *data, struct wl_keyboard *kb, uint32_t serial, struct wl_surface *surface,
                     struct wl_array *keys) {
  printf("keyboard-enter\n");
}
static void kb_leave(void *data, struct wl_keyboard *kb, uint32_t serial, struct wl_surface *surface) {
  printf("keyboard-leave\n");
}
static void kb_key(void *data, struct wl_keyboard *kb, uint32_t serial, uint32_t time, uint32_t key, uint32_t state) {
  printf("key %u %s\n", key, state == WL_KEYBOARD_KEY_STATE_PRESSED ? "pressed" : "released");
}
static void kb_modifiers(void *data, struct wl_keyboard *kb, uint32_t serial, uint32_t depressed, uint32_t latched,
                         uint32_t locked, uint32_t group) {}
static void kb_repeat_info(void *data, struct wl_keyboard *kb, int32_t rate, int32_t delay) {}

static const struct wl_keyboard_listener keyboard_listener = {
    .keymap = kb_keymap, .enter = kb_enter, .leave = kb_leave, .key = kb_key,
    .modifiers = kb_modifiers, .repeat_info = kb_repeat_info,
};

/* The keyboard capability may come later (a virtual keyboard, say): take the keyboard then. */
static void seat_capabilities(void *data, struct wl_seat *seat, uint32_t caps) {
  struct wl_keyboard **keyboard = data;
  if ((caps & WL_SEAT_CAPABILITY_KEYBOARD) && !*keyboard) {
    *keyboard = wl_seat_get_keyboard(seat);
    wl_keyboard_add_listener(*keyboard, &keyboard_listener, NULL);
  } else if (!(caps & WL_SEAT_CAPABILITY_KEYBOARD) && *keyboard) {
    wl_keyboard_release(*keyboard);
    *keyboard = NULL;
  }
}
static void seat_name(void *data, struct wl_seat *seat, const char *name) {}

static const struct wl_seat_listener seat_listener = {.capabilities = seat_capabilities, .name = seat_name};

void tc_print_keys(struct test_client *c) {
  static struct wl_keyboard *keyboard;
  if (!c->seat) tc_die("no wl_seat");
  wl_seat_add_listener(c->seat, &seat_listener, &keyboard);
}

static void buffer_release(void *data, struct wl_buffer *buffer) { wl_buffer_destroy(buffer); }

static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

struct wl_buffer *tc_solid_buffer(struct test_client *c, int w, int h, uint32_t rgb) {
  if (w <= 0 || h <= 0) tc_die("invalid buffer size %dx%d", w, h);
  int stride = w * 4;
  size_t size = (size_t)stride * (size_t)h;
  int fd = memfd_create("tranche-test-buffer", MFD_CLOEXEC);
  if (fd < 0) tc_die("memfd_create: %s", strerror(errno));
  if (ftruncate(fd, (off_t)size) < 0) tc_die("ftruncate: %s", strerror(errno));
  uint32_t *pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (pixels == MAP_FAILED) tc_die("mmap: %s", strerror(errno));
  for (size_t i = 0; i < size / 4; i++) pixels[i] = 0xff000000u | rgb;
  munmap(pixels, size);
  struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, (int32_t)size);
  struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, w, h, stride, WL_SHM_FORMAT_XRGB8888);
  wl_shm_pool_destroy(pool);
  close(fd);
  wl_buffer_add_listener(buffer, &buffer_listener, NULL);
  return buffer;
}

bool tc_parse_color(const char *s, uint32_t *rgb) {
  if (s[0] == '#') s++;
  if (strlen(s) != 6) return false;
  char *end;
  unsigned long v = strtoul(s, &end, 16);
  if (*end != '\0') return false;
  *rgb = (uint32_t)v;
  return true;
}

bool tc_parse_size(const char *s, int *w, int *h) {
  char tail;
  return sscanf(s, "%dx%d%c", w, h, &tail) == 2 && *w >= 0 && *h >= 0;
}

bool tc_report_protocol_error(struct test_client *c) {
  if (wl_display_get_error(c->display) != EPROTO) return false;
  const struct wl_interface *interface = NULL;
  uint32_t id = 0;
  uint32_t code = wl_display_get_protocol_error(c->display, &interface, &id);
  printf("protocol-error %s %u\n", interface ? interface->name : "unknown", code);
  return true;
}

static void toplevel_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial) {
  struct tc_toplevel *t = data;
  xdg_surface_ack_configure(xdg_surface, serial);
  int w = t->pending_w > 0 ? t->pending_w : t->want_w;
  int h = t->pending_h > 0 ? t->pending_h : t->want_h;
  if (t->drawn && w == t->w && h == t->h && !t->redraw_on_configure) {
    wl_surface_commit(t->surface);
    return;
  }
  t->w = w;
  t->h = h;
  t->drawn = true;
  t->draw(t->data, w, h);
}

static const struct xdg_surface_listener toplevel_surface_listener = {.configure = toplevel_surface_configure};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t w, int32_t h,
                               struct wl_array *states) {
  struct tc_toplevel *t = data;
  t->pending_w = w;
  t->pending_h = h;
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel) {
  struct tc_toplevel *t = data;
  t->closed = true;
}

static const struct xdg_toplevel_listener toplevel_listener = {
    .configure = toplevel_configure,
    .close = toplevel_close,
};

void tc_toplevel_create(struct test_client *c, struct tc_toplevel *t, const char *app_id, const char *title) {
  if (!c->wm_base) tc_die("xdg_wm_base missing");
  t->surface = wl_compositor_create_surface(c->compositor);
  t->xdg_surface = xdg_wm_base_get_xdg_surface(c->wm_base, t->surface);
  xdg_surface_add_listener(t->xdg_surface, &toplevel_surface_listener, t);
  t->toplevel = xdg_surface_get_toplevel(t->xdg_surface);
  xdg_toplevel_add_listener(t->toplevel, &toplevel_listener, t);
  if (app_id) xdg_toplevel_set_app_id(t->toplevel, app_id);
  if (title) xdg_toplevel_set_title(t->toplevel, title);
}

int tc_toplevel_run(struct test_client *c, struct tc_toplevel *t) {
  while (!t->closed && wl_display_dispatch(c->display) != -1) {
  }
  if (t->closed) {
    printf("closed\n");
    return 0;
  }
  if (tc_report_protocol_error(c)) return 1;
  printf("disconnected\n");
  return 0;
}
