/* timing-client: measures how a compositor honours fifo-v1 and commit-timing-v1.
 *
 *   timing-client (--fifo | --target-ms N | --target-refreshes R) [--seconds S]
 *                 [--queue N] [--size WxH] [--warmup-frames N] [--timeout-ms N]
 *                 [--per-frame]
 *
 * --fifo: every commit has wp_fifo_v1.set_barrier and wait_barrier and a new
 *   wl_shm buffer; no frame callbacks. The client commits as fast as the
 *   compositor lets commits go: whenever fewer than --queue (default 2) of its
 *   commits are still unanswered (no presented/discarded feedback yet), like a
 *   FIFO swapchain of that many images. Every refresh should show one new frame.
 * --target-ms N: commit-timing; each commit (after the first) targets the
 *   previous frame's presentation time + N ms (N may be fractional), and the
 *   next is committed when its feedback came.
 * --target-refreshes R: the same with a target R refresh periods (as the
 *   compositor reported them) after the previous presentation; 1.5 puts every
 *   target in the middle of a refresh, so the frame must wait for the next one.
 * Every commit asks for wp_presentation feedback. The first --warmup-frames
 * commits (default 10) are left out of the summaries below.
 *
 * Prints one JSON object on stdout when --seconds (default 3) are up and every
 * commit has been answered:
 *   {"mode", "seconds", "clock_id", "refresh_ns" (the refresh the summaries use:
 *    the latest presentation feedback's, else the wl_output mode's when the
 *    feedback says 0, as wlroots' headless backend does), "feedback_refresh_ns",
 *    "mode_refresh_ns", "committed", "presented", "discarded",
 *    "target": {"count","min_ms","median_ms","p99_ms","max_ms","early","over_2_refresh"}
 *       presented - target per frame (null in --fifo); over_2_refresh: more than two
 *       refreshes late; early: presented before
 *       its target,
 *    "interval": {"count","median_ms","p99_ms","max_ms","stdev_ms","over_1_5_refresh",
 *                 "same_refresh"} between consecutive presented frames:
 *       over_1_5_refresh: a refresh went by without a new frame of ours;
 *       same_refresh: two of our commits presented in one refresh (< 0.5 refresh apart),
 *    "latency": {"median_ms","p99_ms"} commit to presentation,
 *    "presented_ms": [...] (with --per-frame: each frame's presentation, or null)}
 * Every wait is bounded: no event for --timeout-ms (default 2000) exits 3, and
 * so does a watchdog after --seconds + 3 x --timeout-ms + 5 s (the start-up roundtrips);
 * a protocol error prints "protocol-error IFACE CODE" on stderr and exits 1. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commit-timing-v1-client-protocol.h"
#include "common.h"
#include "fifo-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"

enum mode { MODE_NONE, MODE_FIFO, MODE_TARGET_MS, MODE_TARGET_REFRESHES };
enum frame_state { PENDING, PRESENTED, DISCARDED };

struct frame {
  int64_t commit_ns, target_ns, presented_ns;  // presentation clock; target_ns -1: none
  enum frame_state state;
};

struct state {
  struct test_client c;
  struct tc_toplevel top;
  struct wp_presentation *presentation;
  struct wp_fifo_manager_v1 *fifo_manager;
  struct wp_commit_timing_manager_v1 *timing_manager;
  struct wp_fifo_v1 *fifo;
  struct wp_commit_timer_v1 *timer;
  struct wl_output *output;
  clockid_t clock;
  bool have_clock, configured, presented_ms_wanted;
  enum mode mode;
  double target_ms, target_refreshes;
  int queue;
  int64_t refresh_ns;       // the latest presentation feedback said; 0: none
  int64_t mode_refresh_ns;  // the first wl_output's current mode
  int64_t last_presented_ns;  // -1: none yet
  struct frame *frames;
  size_t n_frames, cap_frames, unanswered;
  size_t n_presented, n_discarded;
};

struct feedback_ref {
  struct state *s;
  size_t index;
};

static int64_t now_on(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// --- presentation feedback ------------------------------------------------------

static void fb_sync_output(void *data, struct wp_presentation_feedback *fb, struct wl_output *output) {}

static void fb_presented(void *data, struct wp_presentation_feedback *fb, uint32_t sec_hi, uint32_t sec_lo,
                         uint32_t nsec, uint32_t refresh, uint32_t seq_hi, uint32_t seq_lo, uint32_t flags) {
  struct feedback_ref *ref = data;
  struct state *s = ref->s;
  struct frame *f = &s->frames[ref->index];
  f->state = PRESENTED;
  f->presented_ns = (int64_t)(((uint64_t)sec_hi << 32) | sec_lo) * 1000000000 + nsec;
  if (refresh) s->refresh_ns = refresh;
  if (f->presented_ns > s->last_presented_ns) s->last_presented_ns = f->presented_ns;
  s->n_presented++;
  s->unanswered--;
  wp_presentation_feedback_destroy(fb);
  free(ref);
}

static void fb_discarded(void *data, struct wp_presentation_feedback *fb) {
  struct feedback_ref *ref = data;
  ref->s->frames[ref->index].state = DISCARDED;
  ref->s->n_discarded++;
  ref->s->unanswered--;
  wp_presentation_feedback_destroy(fb);
  free(ref);
}

static const struct wp_presentation_feedback_listener feedback_listener = {
    .sync_output = fb_sync_output, .presented = fb_presented, .discarded = fb_discarded};

static void presentation_clock_id(void *data, struct wp_presentation *p, uint32_t clk_id) {
  struct state *s = data;
  s->clock = (clockid_t)clk_id;
  s->have_clock = true;
}

static const struct wp_presentation_listener presentation_listener = {.clock_id = presentation_clock_id};

// The refresh of the output's current mode: the fallback when presentation
// feedback says 0 (wlroots' headless backend does).
static void output_geometry(void *data, struct wl_output *o, int32_t x, int32_t y, int32_t pw, int32_t ph,
                            int32_t subpixel, const char *make, const char *model, int32_t transform) {}
static void output_mode(void *data, struct wl_output *o, uint32_t flags, int32_t w, int32_t h, int32_t refresh) {
  struct state *s = data;
  if ((flags & WL_OUTPUT_MODE_CURRENT) && refresh > 0 && s->mode_refresh_ns == 0)
    s->mode_refresh_ns = (int64_t)(1e12 / refresh);
}
static void output_done(void *data, struct wl_output *o) {}
static void output_scale(void *data, struct wl_output *o, int32_t factor) {}
static const struct wl_output_listener output_listener = {
    .geometry = output_geometry, .mode = output_mode, .done = output_done, .scale = output_scale};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
                            uint32_t version) {
  struct state *s = data;
  if (strcmp(interface, wp_presentation_interface.name) == 0) {
    s->presentation = wl_registry_bind(registry, name, &wp_presentation_interface, 1);
    wp_presentation_add_listener(s->presentation, &presentation_listener, s);
  } else if (strcmp(interface, wp_fifo_manager_v1_interface.name) == 0) {
    s->fifo_manager = wl_registry_bind(registry, name, &wp_fifo_manager_v1_interface, 1);
  } else if (strcmp(interface, wl_output_interface.name) == 0 && !s->output) {
    s->output = wl_registry_bind(registry, name, &wl_output_interface, 1);  // a second proxy: common.c listens to its own
    wl_output_add_listener(s->output, &output_listener, s);
  } else if (strcmp(interface, wp_commit_timing_manager_v1_interface.name) == 0) {
    s->timing_manager = wl_registry_bind(registry, name, &wp_commit_timing_manager_v1_interface, 1);
  }
}
static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {}
static const struct wl_registry_listener registry_listener = {.global = registry_global,
                                                              .global_remove = registry_global_remove};

// --- committing ------------------------------------------------------------------

static int64_t refresh_of(const struct state *s) { return s->refresh_ns ? s->refresh_ns : s->mode_refresh_ns; }

static bool may_commit(const struct state *s) {
  if (!s->configured) return false;
  if (s->mode == MODE_FIFO) return s->unanswered < (size_t)s->queue;
  return s->unanswered == 0;  // commit-timing: the next target needs this one's presentation
}

static void commit_frame(struct state *s) {
  if (s->n_frames == s->cap_frames) {
    s->cap_frames = s->cap_frames ? 2 * s->cap_frames : 1024;
    s->frames = realloc(s->frames, s->cap_frames * sizeof(*s->frames));
    if (!s->frames) tc_die("out of memory");
  }
  size_t index = s->n_frames++;
  struct frame *f = &s->frames[index];
  *f = (struct frame){.target_ns = -1, .state = PENDING};

  // A new buffer every commit, its colour changing, so every update is new content.
  uint32_t rgb = ((uint32_t)index * 0x3b1d5) & 0xffffff;
  wl_surface_attach(s->top.surface, tc_solid_buffer(&s->c, s->top.w, s->top.h, rgb), 0, 0);
  wl_surface_damage_buffer(s->top.surface, 0, 0, s->top.w, s->top.h);
  if (s->mode == MODE_FIFO) {
    wp_fifo_v1_set_barrier(s->fifo);
    wp_fifo_v1_wait_barrier(s->fifo);
  } else if (s->last_presented_ns >= 0) {
    double offset_ns = s->mode == MODE_TARGET_MS ? s->target_ms * 1e6 : s->target_refreshes * (double)refresh_of(s);
    f->target_ns = s->last_presented_ns + (int64_t)offset_ns;
    uint64_t sec = (uint64_t)(f->target_ns / 1000000000);
    wp_commit_timer_v1_set_timestamp(s->timer, (uint32_t)(sec >> 32), (uint32_t)sec,
                                     (uint32_t)(f->target_ns % 1000000000));
  }
  struct feedback_ref *ref = malloc(sizeof(*ref));
  if (!ref) tc_die("out of memory");
  *ref = (struct feedback_ref){.s = s, .index = index};
  wp_presentation_feedback_add_listener(wp_presentation_feedback(s->presentation, s->top.surface),
                                        &feedback_listener, ref);
  f->commit_ns = now_on(s->clock);
  wl_surface_commit(s->top.surface);
  s->unanswered++;
}

// Our own xdg_surface handling (not tc_toplevel's): a later configure is acked
// and left to the next frame's commit. An extra empty commit would be held
// behind the waiting frame and apply with it, and the frame's feedback would
// then say "discarded" (superseded) though its buffer was shown.
static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial) {
  struct state *s = data;
  xdg_surface_ack_configure(xdg_surface, serial);
  if (s->configured) return;
  // The first configure: commit-timing's first frame has no target (nothing presented yet).
  s->configured = true;
  commit_frame(s);
}
static const struct xdg_surface_listener xdg_surface_listener = {.configure = xdg_surface_configure};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t w, int32_t h,
                               struct wl_array *states) {}
static void toplevel_close(void *data, struct xdg_toplevel *toplevel) {
  struct state *s = data;
  s->top.closed = true;
}
static const struct xdg_toplevel_listener toplevel_listener = {.configure = toplevel_configure,
                                                               .close = toplevel_close};

// --- waiting ----------------------------------------------------------------------

static void fail_connection(struct state *s, const char *what) {
  if (wl_display_get_error(s->c.display) == EPROTO) {
    const struct wl_interface *interface = NULL;
    uint32_t id = 0;
    uint32_t code = wl_display_get_protocol_error(s->c.display, &interface, &id);
    fprintf(stderr, "protocol-error %s %u\n", interface ? interface->name : "unknown", code);
    exit(1);
  }
  tc_die("%s failed: the connection ended", what);
}

// Reads and dispatches events for at most timeout_ms; false when none came in time.
static bool dispatch_for(struct state *s, int timeout_ms) {
  struct wl_display *d = s->c.display;
  while (wl_display_prepare_read(d) != 0)
    if (wl_display_dispatch_pending(d) < 0) fail_connection(s, "dispatch");
  if (wl_display_flush(d) < 0) {
    wl_display_cancel_read(d);
    fail_connection(s, "flush");
  }
  struct pollfd pfd = {.fd = wl_display_get_fd(d), .events = POLLIN};
  int n = poll(&pfd, 1, timeout_ms);
  if (n <= 0) {
    wl_display_cancel_read(d);
    return false;
  }
  if (wl_display_read_events(d) < 0) fail_connection(s, "read");
  if (wl_display_dispatch_pending(d) < 0) fail_connection(s, "dispatch");
  return true;
}

// --- summaries --------------------------------------------------------------------

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

// Nearest-rank percentile of sorted v (n > 0).
static double pct(const double *v, size_t n, double p) {
  size_t rank = (size_t)ceil(p / 100.0 * (double)n);
  return v[rank == 0 ? 0 : rank - 1];
}

static void print_stats_head(const char *name, double *v, size_t n) {
  qsort(v, n, sizeof(*v), cmp_double);
  printf("\"%s\":{\"count\":%zu", name, n);
  if (n) printf(",\"min_ms\":%.3f,\"median_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f", v[0], pct(v, n, 50),
                pct(v, n, 99), v[n - 1]);
}

static void report(struct state *s, double seconds, size_t warmup) {
  const char *mode = s->mode == MODE_FIFO ? "fifo" : s->mode == MODE_TARGET_MS ? "target-ms" : "target-refreshes";
  double *v = calloc(s->n_frames + 1, sizeof(*v));
  if (!v) tc_die("out of memory");
  double refresh_ms = (double)refresh_of(s) / 1e6;
  printf("{\"mode\":\"%s\",\"seconds\":%g,\"clock_id\":%d,\"refresh_ns\":%lld,\"feedback_refresh_ns\":%lld,"
         "\"mode_refresh_ns\":%lld,\"warmup_frames\":%zu,",
         mode, seconds, (int)s->clock, (long long)refresh_of(s), (long long)s->refresh_ns,
         (long long)s->mode_refresh_ns, warmup);
  printf("\"committed\":%zu,\"presented\":%zu,\"discarded\":%zu,", s->n_frames, s->n_presented, s->n_discarded);

  size_t n = 0, early = 0, over_2 = 0;
  for (size_t i = warmup; i < s->n_frames; i++) {
    const struct frame *f = &s->frames[i];
    if (f->state != PRESENTED || f->target_ns < 0) continue;
    v[n++] = (double)(f->presented_ns - f->target_ns) / 1e6;
    if (f->presented_ns < f->target_ns) early++;
    if (f->presented_ns - f->target_ns > 2 * refresh_of(s)) over_2++;
  }
  if (s->mode == MODE_FIFO) {
    printf("\"target\":null,");
  } else {
    print_stats_head("target", v, n);
    printf(",\"early\":%zu,\"over_2_refresh\":%zu},", early, over_2);
  }

  // Intervals between consecutive presented frames of ours, in commit order.
  n = 0;
  size_t over = 0, same = 0;
  double sum = 0, sum2 = 0;
  int64_t prev = -1;
  for (size_t i = 0; i < s->n_frames; i++) {
    const struct frame *f = &s->frames[i];
    if (f->state != PRESENTED) continue;
    if (prev >= 0 && i >= warmup) {
      double d = (double)(f->presented_ns - prev) / 1e6;
      v[n++] = d;
      sum += d;
      sum2 += d * d;
      if (refresh_ms > 0 && d > 1.5 * refresh_ms) over++;
      if (refresh_ms > 0 && d < 0.5 * refresh_ms) same++;
    }
    prev = f->presented_ns;
  }
  double mean = n ? sum / (double)n : 0;
  double stdev = n > 1 ? sqrt(fmax(0, (sum2 - (double)n * mean * mean) / (double)(n - 1))) : 0;
  print_stats_head("interval", v, n);
  printf(",\"stdev_ms\":%.3f,\"over_1_5_refresh\":%zu,\"same_refresh\":%zu},", stdev, over, same);

  n = 0;
  for (size_t i = warmup; i < s->n_frames; i++)
    if (s->frames[i].state == PRESENTED) v[n++] = (double)(s->frames[i].presented_ns - s->frames[i].commit_ns) / 1e6;
  qsort(v, n, sizeof(*v), cmp_double);
  if (n) printf("\"latency\":{\"median_ms\":%.3f,\"p99_ms\":%.3f}", pct(v, n, 50), pct(v, n, 99));
  else printf("\"latency\":null");

  if (s->presented_ms_wanted) {
    printf(",\"presented_ms\":[");
    for (size_t i = 0; i < s->n_frames; i++) {
      const struct frame *f = &s->frames[i];
      if (i) printf(",");
      if (f->state == PRESENTED) printf("%.3f", (double)f->presented_ns / 1e6);
      else printf("null");
    }
    printf("]");
  }
  printf("}\n");
  free(v);
}

// The roundtrips at start-up block: a watchdog bounds the whole run.
static void on_alarm(int sig) {
  static const char msg[] = "timing-client: timeout: the run did not finish in time\n";
  (void)!write(2, msg, sizeof(msg) - 1);
  _exit(3);
}

static _Noreturn void usage(void) {
  fprintf(stderr,
          "usage: timing-client (--fifo | --target-ms N | --target-refreshes R) [--seconds S] [--queue N]\n"
          "                     [--size WxH] [--warmup-frames N] [--timeout-ms N] [--per-frame]\n");
  exit(2);
}

int main(int argc, char **argv) {
  struct state s = {.top = {.want_w = 256, .want_h = 256}, .queue = 2, .last_presented_ns = -1};
  double seconds = 3;
  long warmup = 10, timeout_ms = 2000;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    char *end = NULL;
    if (strcmp(arg, "--fifo") == 0) {
      s.mode = MODE_FIFO;
    } else if (strcmp(arg, "--per-frame") == 0) {
      s.presented_ms_wanted = true;
    } else if (strcmp(arg, "--target-ms") == 0 && val) {
      s.mode = MODE_TARGET_MS;
      s.target_ms = strtod(val, &end);
      if (*end || s.target_ms < 0) usage();
      i++;
    } else if (strcmp(arg, "--target-refreshes") == 0 && val) {
      s.mode = MODE_TARGET_REFRESHES;
      s.target_refreshes = strtod(val, &end);
      if (*end || s.target_refreshes < 0) usage();
      i++;
    } else if (strcmp(arg, "--seconds") == 0 && val) {
      seconds = strtod(val, &end);
      if (*end || seconds <= 0) usage();
      i++;
    } else if (strcmp(arg, "--queue") == 0 && val) {
      s.queue = (int)strtol(val, &end, 10);
      if (*end || s.queue < 1) usage();
      i++;
    } else if (strcmp(arg, "--warmup-frames") == 0 && val) {
      warmup = strtol(val, &end, 10);
      if (*end || warmup < 0) usage();
      i++;
    } else if (strcmp(arg, "--timeout-ms") == 0 && val) {
      timeout_ms = strtol(val, &end, 10);
      if (*end || timeout_ms <= 0) usage();
      i++;
    } else if (strcmp(arg, "--size") == 0 && val) {
      if (!tc_parse_size(val, &s.top.want_w, &s.top.want_h) || s.top.want_w == 0 || s.top.want_h == 0) usage();
      i++;
    } else {
      usage();
    }
  }
  if (s.mode == MODE_NONE) usage();
  signal(SIGALRM, on_alarm);
  alarm((unsigned)(seconds + 3.0 * (double)timeout_ms / 1000.0) + 5);

  tc_connect(&s.c);
  wl_registry_add_listener(wl_display_get_registry(s.c.display), &registry_listener, &s);
  if (wl_display_roundtrip(s.c.display) < 0 || wl_display_roundtrip(s.c.display) < 0)
    fail_connection(&s, "roundtrip");  // the second one: wp_presentation.clock_id
  if (!s.presentation || !s.have_clock) tc_die("wp_presentation missing");
  if (s.mode == MODE_FIFO && !s.fifo_manager) tc_die("wp_fifo_manager_v1 missing");
  if (s.mode != MODE_FIFO && !s.timing_manager) tc_die("wp_commit_timing_manager_v1 missing");

  if (!s.c.wm_base) tc_die("xdg_wm_base missing");
  s.top.surface = wl_compositor_create_surface(s.c.compositor);
  s.top.xdg_surface = xdg_wm_base_get_xdg_surface(s.c.wm_base, s.top.surface);
  xdg_surface_add_listener(s.top.xdg_surface, &xdg_surface_listener, &s);
  s.top.toplevel = xdg_surface_get_toplevel(s.top.xdg_surface);
  xdg_toplevel_add_listener(s.top.toplevel, &toplevel_listener, &s);
  xdg_toplevel_set_app_id(s.top.toplevel, "tranche-timing-client");
  xdg_toplevel_set_title(s.top.toplevel, "timing-client");
  s.top.w = s.top.want_w;  // the client's own size: the configured one does not matter here
  s.top.h = s.top.want_h;
  if (s.mode == MODE_FIFO) s.fifo = wp_fifo_manager_v1_get_fifo(s.fifo_manager, s.top.surface);
  else s.timer = wp_commit_timing_manager_v1_get_timer(s.timing_manager, s.top.surface);
  wl_surface_commit(s.top.surface);

  // Until the first configure and through the run, no event for timeout_ms is a stall.
  int64_t start = -1, last_event = now_on(CLOCK_MONOTONIC);
  for (;;) {
    int64_t now = now_on(CLOCK_MONOTONIC);
    if (s.configured && start < 0) start = now;
    bool running = start < 0 || now - start < (int64_t)(seconds * 1e9);
    if (!running && s.unanswered == 0) break;
    if (running && s.mode == MODE_TARGET_REFRESHES && s.last_presented_ns >= 0 && refresh_of(&s) == 0)
      tc_die("neither presentation feedback nor the output reported a refresh; --target-refreshes needs one");
    if (running && may_commit(&s)) {
      commit_frame(&s);
      continue;
    }
    // Wake for the end of the run even when nothing comes.
    int wait_ms = (int)timeout_ms;
    if (running && start >= 0) {
      int64_t left_ms = ((int64_t)(seconds * 1e9) - (now - start)) / 1000000 + 1;
      if (left_ms < wait_ms) wait_ms = (int)left_ms;
    }
    if (dispatch_for(&s, wait_ms)) {
      last_event = now_on(CLOCK_MONOTONIC);
    } else if (now_on(CLOCK_MONOTONIC) - last_event >= timeout_ms * 1000000) {
      fprintf(stderr, "timing-client: timeout: no event for %ld ms (%zu commits unanswered, %zu committed)\n",
              timeout_ms, s.unanswered, s.n_frames);
      return 3;
    }
    if (s.top.closed) tc_die("the toplevel was closed");
  }
  report(&s, seconds, (size_t)warmup);
  free(s.frames);
  return 0;
}
