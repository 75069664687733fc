/* lock-client: a screen locker (ext-session-lock-v1) for the session-lock tests.
 *
 *   lock-client [--color RRGGBB] [--no-surfaces] [--crash]
 *
 * Locks the session and gives every output (also ones that appear later) a
 * lock surface of one colour, unless --no-surfaces. Prints "locked", or
 * "finished" and exits 3; "configure W H" per lock surface; "drawn" once
 * locked with a buffer on every surface; and the keyboard events it gets
 * (tc_print_keys). --crash: abort() once drawn, as a crashing locker would.
 * SIGUSR1: unlock_and_destroy, print "unlocked", exit 0. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "ext-session-lock-v1-client-protocol.h"

#define MAX_OUTPUTS 16

struct state;

struct lock_surface {
  struct state *s;
  struct wl_surface *surface;
  struct ext_session_lock_surface_v1 *lock_surface;
  bool drawn;
};

struct state {
  struct test_client c;
  struct ext_session_lock_manager_v1 *manager;
  struct ext_session_lock_v1 *lock;
  struct lock_surface surfaces[MAX_OUTPUTS];
  int surface_count;
  uint32_t color;
  bool no_surfaces, crash, locked, finished, reported_drawn;
};

static volatile sig_atomic_t unlock_requested;
static void on_usr1(int sig) { unlock_requested = 1; }

static void report_if_drawn(struct state *s) {
  if (!s->locked || s->reported_drawn) return;
  for (int i = 0; i < s->surface_count; i++)
    if (!s->surfaces[i].drawn) return;
  s->reported_drawn = true;
  printf("drawn\n");
  if (s->crash) {
    wl_display_flush(s->c.display);
    abort();
  }
}

static void surface_configure(void *data, struct ext_session_lock_surface_v1 *lock_surface, uint32_t serial,
                              uint32_t width, uint32_t height) {
  struct lock_surface *ls = data;
  printf("configure %u %u\n", width, height);
  ext_session_lock_surface_v1_ack_configure(lock_surface, serial);
  wl_surface_attach(ls->surface, tc_solid_buffer(&ls->s->c, (int)width, (int)height, ls->s->color), 0, 0);
  wl_surface_damage(ls->surface, 0, 0, (int)width, (int)height);
  wl_surface_commit(ls->surface);
  ls->drawn = true;
  report_if_drawn(ls->s);
}

static const struct ext_session_lock_surface_v1_listener surface_listener = {.configure = surface_configure};

static void add_lock_surface(struct state *s, struct wl_output *output) {
  if (s->no_surfaces || s->surface_count == MAX_OUTPUTS) return;
  struct lock_surface *ls = &s->surfaces[s->surface_count++];
  ls->s = s;
  ls->surface = wl_compositor_create_surface(s->c.compositor);
  ls->lock_surface = ext_session_lock_v1_get_lock_surface(s->lock, ls->surface, output);
  ext_session_lock_surface_v1_add_listener(ls->lock_surface, &surface_listener, ls);
}

static void lock_locked(void *data, struct ext_session_lock_v1 *lock) {
  struct state *s = data;
  s->locked = true;
  printf("locked\n");
  report_if_drawn(s);
}

static void lock_finished(void *data, struct ext_session_lock_v1 *lock) {
  struct state *s = data;
  s->finished = true;
  printf("finished\n");
}

static const struct ext_session_lock_v1_listener lock_listener = {.locked = lock_locked, .finished = lock_finished};

static struct wl_output *pending_outputs[MAX_OUTPUTS];
static int pending_count;

static void registry_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
                            uint32_t version) {
  struct state *s = data;
  if (strcmp(interface, ext_session_lock_manager_v1_interface.name) == 0) {
    s->manager = wl_registry_bind(registry, name, &ext_session_lock_manager_v1_interface, 1);
  } else if (strcmp(interface, wl_output_interface.name) == 0) {
    struct wl_output *output = wl_registry_bind(registry, name, &wl_output_interface, 1);
    if (s->lock) add_lock_surface(s, output);  // an output plugged in while locked
    else if (pending_count < MAX_OUTPUTS) pending_outputs[pending_count++] = output;
  }
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {}

static const struct wl_registry_listener registry_listener = {.global = registry_global,
                                                              .global_remove = registry_global_remove};

static _Noreturn void usage(void) {
  fprintf(stderr, "usage: lock-client [--color RRGGBB] [--no-surfaces] [--crash]\n");
  exit(2);
}

int main(int argc, char **argv) {
  struct state s = {.color = 0x0000ff};
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--color") == 0 && i + 1 < argc) {
      if (!tc_parse_color(argv[++i], &s.color)) usage();
    } else if (strcmp(argv[i], "--no-surfaces") == 0) {
      s.no_surfaces = true;
    } else if (strcmp(argv[i], "--crash") == 0) {
      s.crash = true;
    } else {
      usage();
    }
  }
  signal(SIGUSR1, on_usr1);
  tc_connect(&s.c);
  tc_print_keys(&s.c);
  struct wl_registry *registry = wl_display_get_registry(s.c.display);
  wl_registry_add_listener(registry, &registry_listener, &s);
  if (wl_display_roundtrip(s.c.display) < 0) tc_die("roundtrip failed");
  if (!s.manager) tc_die("ext_session_lock_manager_v1 missing");

  s.lock = ext_session_lock_manager_v1_lock(s.manager);
  ext_session_lock_v1_add_listener(s.lock, &lock_listener, &s);
  for (int i = 0; i < pending_count; i++) add_lock_surface(&s, pending_outputs[i]);
  wl_display_flush(s.c.display);

  struct pollfd pfd = {.fd = wl_display_get_fd(s.c.display), .events = POLLIN};
  while (!s.finished) {
    if (unlock_requested) {
      if (!s.locked) tc_die("asked to unlock before the session was locked");
      ext_session_lock_v1_unlock_and_destroy(s.lock);
      if (wl_display_roundtrip(s.c.display) < 0) tc_die("roundtrip after unlock failed");
      printf("unlocked\n");
      return 0;
    }
    while (wl_display_prepare_read(s.c.display) != 0) wl_display_dispatch_pending(s.c.display);
    wl_display_flush(s.c.display);
    int n = poll(&pfd, 1, 50);
    if (n < 0 && errno != EINTR) tc_die("poll: %s", strerror(errno));
    if (n > 0) {
      if (wl_display_read_events(s.c.display) < 0) break;
    } else {
      wl_display_cancel_read(s.c.display);
    }
    if (wl_display_dispatch_pending(s.c.display) < 0) break;
  }
  if (s.finished) return 3;
  if (tc_report_protocol_error(&s.c)) return 1;
  printf("disconnected\n");
  return 1;
}
