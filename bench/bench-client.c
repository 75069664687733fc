/*
 * bench-client: the Wayland client side of tranche's compositor benchmark.
 *
 *   bench-client startup [--dir DIR] [--socket NAME] [--poll-us US] [--timeout S] [--log FILE] -- CMD ARGS...
 *     Starts CMD (a compositor), polls for its socket every US microseconds and times exec to the first
 *     successful wl_display_roundtrip. Prints one JSON line {"pid":..,"startup_ms":..,"socket":..} and then
 *     keeps the compositor running until its standard input closes or it gets SIGTERM/SIGINT, when it stops
 *     the compositor (SIGTERM, then SIGKILL) and exits.
 *
 *   bench-client set-mode WxH@HZ
 *     Sets the mode of the compositor's enabled outputs with wlr-output-management (a custom mode where the output
 *     has no such mode, as on the headless backend) and prints the result as JSON.
 *
 *   bench-client animate --windows N [--size WxH] [--grid COLSxROWS] [--cell WxH] [--margin PX]
 *                        [--place none|drag] [--warmup S] [--duration S] [--compositor-pid PID] [--timeout S]
 *                        [--hook CMD]
 *     One process drives N xdg-shell toplevels with wl_shm buffers. Each redraws on every frame callback
 *     (new content, full damage) and asks for wp_presentation feedback on every commit. After the windows
 *     are mapped (and, with --place drag, dragged into their tiles with a wlr virtual pointer), it warms up,
 *     then measures for --duration seconds: presented frames, commit-to-present latency, the compositor's
 *     CPU time (/proc/PID/stat) and RSS. Prints one JSON object on stdout. Diagnostics go to stderr.
 *     --hook CMD: runs `CMD on` just before the window and `CMD off` just after it (bench/callgrind turns
 *     the compositor's instruction counting on and off with it).
 *
 * Window i sits in tile (i % cols, i / cols): x = col*cell_w + margin, y = row*cell_h + margin. Its pixels
 * carry its number (red = i*8+4, green = 0xA5) and the frame counter (blue), so a wlr-screencopy capture
 * tells how much of each window is visible and where it is.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/input-event-codes.h>
#include <wayland-client.h>

#include "presentation-time-client-protocol.h"
#include "wlr-output-management-unstable-v1-client-protocol.h"
#include "wlr-screencopy-unstable-v1-client-protocol.h"
#include "wlr-virtual-pointer-unstable-v1-client-protocol.h"
#include "xdg-decoration-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

#define NBUF 4
#define MAX_WINDOWS 256
#define ID_MARKER 0xA5u

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("bench-client: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

static void note(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("bench-client: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

/* The clock of all timestamps: CLOCK_MONOTONIC, or the compositor's presentation clock once known. */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(bench_clock, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static uint64_t percentile(const uint64_t *sorted, size_t n, double p) {
  if (n == 0) return 0;
  size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return sorted[rank - 1];
}

struct u64vec {
  uint64_t *v;
  size_t n, cap;
};

static void vec_push(struct u64vec *vec, uint64_t x) {
  if (vec->n == vec->cap) {
    vec->cap = vec->cap ? vec->cap * 2 : 4096;
    vec->v = realloc(vec->v, vec->cap * sizeof *vec->v);
    if (!vec->v) die("out of memory");
  }
  vec->v[vec->n++] = x;
}

/* ---------------------------------------------------------------- /proc readers */

/* utime+stime of a process (all its threads) in seconds, or -1. */
static double proc_cpu_s(int pid) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t len = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[len] = 0;
  char *p = strrchr(buf, ')'); /* the command name may contain spaces */
  if (!p) return -1;
  p += 2;
  /* Now at field 3 (state); utime and stime are fields 14 and 15. */
  unsigned long long utime = 0, stime = 0;
  int field = 3;
  char *save = NULL;
  for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save), ++field) {
    if (field == 14) utime = strtoull(tok, NULL, 10);
    if (field == 15) {
      stime = strtoull(tok, NULL, 10);
      break;
    }
  }
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* On-CPU time in seconds summed over the process's threads from schedstat (ns resolution), or -1. */
static double proc_schedstat_s(int pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR *dir = opendir(path);
  if (!dir) return -1;
  unsigned long long total = 0;
  bool any = false;
  struct dirent *e;
  while ((e = readdir(dir))) {
    if (e->d_name[0] == '.') continue;
    char file[300];
    snprintf(file, sizeof file, "/proc/%d/task/%s/schedstat", pid, e->d_name);
    FILE *f = fopen(file, "r");
    if (!f) continue;
    unsigned long long run = 0;
    if (fscanf(f, "%llu", &run) == 1) {
      total += run;
      any = true;
    }
    fclose(f);
  }
  closedir(dir);
  return any ? (double)total / 1e9 : -1;
}

/* VmRSS in KiB, or -1. */
static long proc_rss_kib(int pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long kib = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  fclose(f);
  return kib;
}

static double self_cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---------------------------------------------------------------- startup mode */

static volatile sig_atomic_t stop_requested;
static void on_stop_signal(int sig) { (void)sig; stop_requested = 1; }

/* The socket to connect to: DIR/NAME, or with no name the first DIR/wayland-N that exists. */
static bool find_socket(const char *dir, const char *name, char *out, size_t size) {
  struct stat st;
  if (name && *name) {
    snprintf(out, size, "%s/%s", dir, name);
    return stat(out, &st) == 0 && S_ISSOCK(st.st_mode);
  }
  for (int i = 0; i < 33; ++i) {
    snprintf(out, size, "%s/wayland-%d", dir, i);
    if (stat(out, &st) == 0 && S_ISSOCK(st.st_mode)) return true;
  }
  return false;
}

static void stop_child(pid_t pid) {
  if (pid <= 0) return;
  int status;
  if (waitpid(pid, &status, WNOHANG) == pid) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 300; ++i) { /* 3 s */
    if (waitpid(pid, &status, WNOHANG) == pid) return;
    usleep(10000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
}

static int run_startup(int argc, char **argv) {
  const char *dir = getenv("XDG_RUNTIME_DIR"), *name = NULL, *log = NULL;
  long poll_us = 500;
  double timeout_s = 10;
  int i = 0;
  for (; i < argc; ++i) {
    if (!strcmp(argv[i], "--")) {
      ++i;
      break;
    } else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
    else if (!strcmp(argv[i], "--socket") && i + 1 < argc) name = argv[++i];
    else if (!strcmp(argv[i], "--poll-us") && i + 1 < argc) poll_us = atol(argv[++i]);
    else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) timeout_s = atof(argv[++i]);
    else if (!strcmp(argv[i], "--log") && i + 1 < argc) log = argv[++i];
    else die("startup: unknown argument %s", argv[i]);
  }
  if (i >= argc) die("startup: no command after --");
  if (!dir) die("startup: no --dir and no XDG_RUNTIME_DIR");

  struct sigaction sa = {0};
  sa.sa_handler = on_stop_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  int log_fd = -1;
  if (log) {
    log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) die("cannot open %s: %s", log, strerror(errno));
  }
  pid_t parent = getpid();
  uint64_t t_exec = now_ns();
  pid_t pid = fork();
  if (pid < 0) die("fork: %s", strerror(errno));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the probe */
    if (getppid() != parent) _exit(127);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    if (log_fd >= 0) {
      dup2(log_fd, 1);
      dup2(log_fd, 2);
    } else {
      dup2(2, 1);
    }
    signal(SIGPIPE, SIG_DFL);
    execvp(argv[i], argv + i);
    fprintf(stderr, "bench-client: exec %s: %s\n", argv[i], strerror(errno));
    _exit(127);
  }

  char path[4096];
  uint64_t deadline = t_exec + (uint64_t)(timeout_s * 1e9);
  long attempts = 0;
  uint64_t t_done = 0;
  struct timespec pause = {0, poll_us * 1000};
  while (!stop_requested) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      printf("{\"error\":\"compositor exited during start-up (status %d)\"}\n", status);
      fflush(stdout);
      return 1;
    }
    if (now_ns() > deadline) {
      printf("{\"error\":\"no successful roundtrip within %.1f s\"}\n", timeout_s);
      fflush(stdout);
      stop_child(pid);
      return 1;
    }
    ++attempts;
    if (find_socket(dir, name, path, sizeof path)) {
      struct wl_display *display = wl_display_connect(path);
      if (display) {
        /* A compositor that accepted the connection but hangs must not hang us. */
        alarm((unsigned)(timeout_s + 1));
        int ok = wl_display_roundtrip(display);
        alarm(0);
        if (ok >= 0) t_done = now_ns();
        wl_display_disconnect(display);
        if (t_done) break;
      }
    }
    nanosleep(&pause, NULL);
  }
  if (!t_done) {
    stop_child(pid);
    return 1;
  }
  printf("{\"pid\":%d,\"startup_ms\":%.3f,\"socket\":\"%s\",\"attempts\":%ld,\"poll_us\":%ld}\n", (int)pid,
         (double)(t_done - t_exec) / 1e6, path, attempts, poll_us);
  fflush(stdout);

  /* Supervise until told to stop (stdin closes, or a signal), or the compositor exits on its own. */
  while (!stop_requested) {
    struct pollfd pfd = {.fd = 0, .events = POLLIN};
    int r = poll(&pfd, 1, 100);
    if (r > 0) {
      char buf[256];
      ssize_t n = read(0, buf, sizeof buf);
      if (n <= 0) break;
    }
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      note("compositor exited (status %d)", status);
      return 2;
    }
  }
  stop_child(pid);
  return 0;
}

/* ---------------------------------------------------------------- animate mode: state */

struct window;

struct buffer {
  struct wl_buffer *wl;
  uint32_t *pixels;
  bool busy;
};

struct feedback {
  struct window *win;
  struct wp_presentation_feedback *fb;
  uint64_t t_commit;
};

struct window {
  int id;
  int tx, ty;
  struct wl_surface *surface;
  struct xdg_surface *xdg_surface;
  struct xdg_toplevel *toplevel;
  struct zxdg_toplevel_decoration_v1 *decoration;
  int decoration_mode; /* 0 none/unknown, 1 client, 2 server */
  struct buffer buffers[NBUF];
  struct wl_callback *frame_cb;
  bool configured, committed_first, mapped, closed, want_draw;
  uint32_t frame;
  int configure_w, configure_h;
  /* statistics */
  uint64_t presented_total, discarded_total;
  uint64_t presented_in, frame_done_in, commits_in, discarded_in, no_buffer;
};

static struct {
  struct wl_display *display;
  struct wl_registry *registry;
  struct wl_compositor *compositor;
  struct wl_shm *shm;
  struct xdg_wm_base *wm_base;
  struct wp_presentation *presentation;
  struct zxdg_decoration_manager_v1 *decoration_manager;
  struct zwlr_virtual_pointer_manager_v1 *vp_manager;
  struct zwlr_screencopy_manager_v1 *screencopy;
  struct wl_seat *seat;
  uint32_t seat_caps;
  struct wl_pointer *pointer;
  struct zwlr_virtual_pointer_v1 *vpointer;
  struct wl_output *output;
  int out_w, out_h, out_refresh_mhz;
  bool out_mode_seen;
  int32_t clock_id;
  bool clock_seen;

  /* pointer state */
  struct wl_surface *pointer_focus;
  double pointer_sx, pointer_sy;
  uint32_t button_serial;
  struct wl_surface *button_surface;
  bool button_pressed;

  int width, height, cols, rows, cell_w, cell_h, margin;
  int nwin;
  struct window *windows;

  /* measurement window */
  bool measuring;
  uint64_t t0, t1;
  bool drawing; /* false once finished: stop committing */
  struct u64vec latencies; /* ns, for commits inside the window */
  struct u64vec present_times; /* presentation timestamps inside the window */
  uint32_t last_refresh_ns;
  uint32_t last_flags;
  int pending_feedbacks;
  uint64_t feedbacks_bad_clock;
} g;

/* ---------------------------------------------------------------- drawing */

static int create_shm_file(size_t size) {
  int fd = memfd_create("bench-client", MFD_CLOEXEC);
  if (fd < 0) die("memfd_create: %s", strerror(errno));
  if (ftruncate(fd, (off_t)size) < 0) die("ftruncate: %s", strerror(errno));
  return fd;
}

static void buffer_release(void *data, struct wl_buffer *wl_buffer);
static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

static void create_buffers(struct window *w) {
  int stride = g.width * 4;
  size_t one = (size_t)stride * (size_t)g.height, size = one * NBUF;
  int fd = create_shm_file(size);
  void *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) die("mmap: %s", strerror(errno));
  struct wl_shm_pool *pool = wl_shm_create_pool(g.shm, fd, (int32_t)size);
  for (int i = 0; i < NBUF; ++i) {
    w->buffers[i].wl =
        wl_shm_pool_create_buffer(pool, (int32_t)(one * i), g.width, g.height, stride, WL_SHM_FORMAT_XRGB8888);
    w->buffers[i].pixels = (uint32_t *)((char *)data + one * i);
    w->buffers[i].busy = false;
    wl_buffer_add_listener(w->buffers[i].wl, &buffer_listener, w);
  }
  wl_shm_pool_destroy(pool);
  close(fd);
}

/* New content every frame: the window's id in red/green, the frame counter in blue, and a bar that moves. */
static void paint(struct window *w, uint32_t *px) {
  uint32_t base = ((uint32_t)(w->id * 8 + 4) << 16) | (ID_MARKER << 8);
  uint32_t fill = base | (w->frame & 0xffu);
  uint32_t bar = base | (~w->frame & 0xffu);
  int bar_x = (int)((w->frame * 4u) % (uint32_t)g.width), bar_w = g.width / 8 + 1;
  for (int y = 0; y < g.height; ++y) {
    uint32_t *row = px + (size_t)y * (size_t)g.width;
    for (int x = 0; x < g.width; ++x) row[x] = fill;
    for (int x = bar_x; x < bar_x + bar_w && x < g.width; ++x) row[x] = bar;
  }
}

static void frame_done(void *data, struct wl_callback *cb, uint32_t time);
static const struct wl_callback_listener frame_listener = {.done = frame_done};

static void fb_sync_output(void *data, struct wp_presentation_feedback *fb, struct wl_output *output) {}

static void fb_finish(struct feedback *f) {
  wp_presentation_feedback_destroy(f->fb);
  free(f);
  --g.pending_feedbacks;
}

static void fb_presented(void *data, struct wp_presentation_feedback *fb, uint32_t tv_sec_hi, uint32_t tv_sec_lo,
                         uint32_t tv_nsec, uint32_t refresh, uint32_t seq_hi, uint32_t seq_lo, uint32_t flags) {
  struct feedback *f = data;
  struct window *w = f->win;
  uint64_t t = (((uint64_t)tv_sec_hi << 32) | tv_sec_lo) * 1000000000ull + tv_nsec;
  w->presented_total++;
  if (g.measuring && t >= g.t0 && t < g.t1) {
    w->presented_in++;
    vec_push(&g.present_times, t);
    g.last_refresh_ns = refresh;
    g.last_flags = flags;
  }
  if (g.measuring && f->t_commit >= g.t0 && f->t_commit < g.t1) {
    if (t >= f->t_commit) vec_push(&g.latencies, t - f->t_commit);
    else g.feedbacks_bad_clock++;
  }
  fb_finish(f);
}

static void fb_discarded(void *data, struct wp_presentation_feedback *fb) {
  struct feedback *f = data;
  f->win->discarded_total++;
  if (g.measuring && f->t_commit >= g.t0 && f->t_commit < g.t1) f->win->discarded_in++;
  fb_finish(f);
}

static const struct wp_presentation_feedback_listener feedback_listener = {
    .sync_output = fb_sync_output, .presented = fb_presented, .discarded = fb_discarded};

static void draw(struct window *w) {
  if (w->closed || !g.drawing) return;
  struct buffer *b = NULL;
  for (int i = 0; i < NBUF; ++i)
    if (!w->buffers[i].busy) {
      b = &w->buffers[i];
      break;
    }
  if (!b) { /* all buffers held by the compositor: draw when one comes back */
    w->want_draw = true;
    w->no_buffer++;
    return;
  }
  w->want_draw = false;
  w->frame++;
  paint(w, b->pixels);
  wl_surface_attach(w->surface, b->wl, 0, 0);
  wl_surface_damage_buffer(w->surface, 0, 0, g.width, g.height);
  w->frame_cb = wl_surface_frame(w->surface);
  wl_callback_add_listener(w->frame_cb, &frame_listener, w);
  if (g.presentation) {
    struct feedback *f = calloc(1, sizeof *f);
    if (!f) die("out of memory");
    f->win = w;
    f->fb = wp_presentation_feedback(g.presentation, w->surface);
    wp_presentation_feedback_add_listener(f->fb, &feedback_listener, f);
    ++g.pending_feedbacks;
    f->t_commit = now_ns();
    if (g.measuring && f->t_commit >= g.t0 && f->t_commit < g.t1) w->commits_in++;
  } else if (g.measuring) {
    uint64_t t = now_ns();
    if (t >= g.t0 && t < g.t1) w->commits_in++;
  }
  wl_surface_commit(w->surface);
  b->busy = true;
  w->committed_first = true;
}

static void buffer_release(void *data, struct wl_buffer *wl_buffer) {
  struct window *w = data;
  for (int i = 0; i < NBUF; ++i)
    if (w->buffers[i].wl == wl_buffer) w->buffers[i].busy = false;
  if (w->want_draw && !w->frame_cb) draw(w);
}

static void frame_done(void *data, struct wl_callback *cb, uint32_t time) {
  struct window *w = data;
  wl_callback_destroy(cb);
  w->frame_cb = NULL;
  w->mapped = true;
  if (g.measuring) {
    uint64_t t = now_ns();
    if (t >= g.t0 && t < g.t1) w->frame_done_in++;
  }
  draw(w);
}

/* ---------------------------------------------------------------- protocol listeners */

static void wm_base_ping(void *data, struct xdg_wm_base *base, uint32_t serial) { xdg_wm_base_pong(base, serial); }
static const struct xdg_wm_base_listener wm_base_listener = {.ping = wm_base_ping};

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial) {
  struct window *w = data;
  xdg_surface_ack_configure(xdg_surface, serial);
  w->configured = true;
}
static const struct xdg_surface_listener xdg_surface_listener = {.configure = xdg_surface_configure};

static void toplevel_configure(void *data, struct xdg_toplevel *t, int32_t width, int32_t height,
                               struct wl_array *states) {
  struct window *w = data;
  /* Sizes are suggestions for a floating window; every window keeps the benchmark's size. */
  w->configure_w = width;
  w->configure_h = height;
}
static void toplevel_close(void *data, struct xdg_toplevel *t) {
  struct window *w = data;
  w->closed = true;
  note("window %d was closed by the compositor", w->id);
}
static void toplevel_bounds(void *data, struct xdg_toplevel *t, int32_t width, int32_t height) {}
static void toplevel_caps(void *data, struct xdg_toplevel *t, struct wl_array *caps) {}
static const struct xdg_toplevel_listener toplevel_listener = {.configure = toplevel_configure,
                                                               .close = toplevel_close,
                                                               .configure_bounds = toplevel_bounds,
                                                               .wm_capabilities = toplevel_caps};

static void decoration_configure(void *data, struct zxdg_toplevel_decoration_v1 *d, uint32_t mode) {
  struct window *w = data;
  w->decoration_mode = mode == ZXDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE ? 1 : 2;
}
static const struct zxdg_toplevel_decoration_v1_listener decoration_listener = {.configure = decoration_configure};

static void presentation_clock(void *data, struct wp_presentation *p, uint32_t clk_id) {
  g.clock_id = (int32_t)clk_id;
  g.clock_seen = true;
}
static const struct wp_presentation_listener presentation_listener = {.clock_id = presentation_clock};

static void output_geometry(void *data, struct wl_output *o, int32_t x, int32_t y, int32_t pw, int32_t ph,
                            int32_t subpixel, const char *make, const char *model, int32_t transform) {}
static void output_mode(void *data, struct wl_output *o, uint32_t flags, int32_t width, int32_t height,
                        int32_t refresh) {
  if (flags & WL_OUTPUT_MODE_CURRENT) {
    g.out_w = width;
    g.out_h = height;
    g.out_refresh_mhz = refresh;
    g.out_mode_seen = true;
  }
}
static void output_done(void *data, struct wl_output *o) {}
static void output_scale(void *data, struct wl_output *o, int32_t factor) {}
static void output_name(void *data, struct wl_output *o, const char *name) {}
static void output_description(void *data, struct wl_output *o, const char *description) {}
static const struct wl_output_listener output_listener = {.geometry = output_geometry,
                                                          .mode = output_mode,
                                                          .done = output_done,
                                                          .scale = output_scale,
                                                          .name = output_name,
                                                          .description = output_description};

static void pointer_enter(void *data, struct wl_pointer *p, uint32_t serial, struct wl_surface *surface,
                          wl_fixed_t sx, wl_fixed_t sy) {
  g.pointer_focus = surface;
  g.pointer_sx = wl_fixed_to_double(sx);
  g.pointer_sy = wl_fixed_to_double(sy);
}
static void pointer_leave(void *data, struct wl_pointer *p, uint32_t serial, struct wl_surface *surface) {
  if (g.pointer_focus == surface) g.pointer_focus = NULL;
}
static void pointer_motion(void *data, struct wl_pointer *p, uint32_t time, wl_fixed_t sx, wl_fixed_t sy) {
  g.pointer_sx = wl_fixed_to_double(sx);
  g.pointer_sy = wl_fixed_to_double(sy);
}
static void pointer_button(void *data, struct wl_pointer *p, uint32_t serial, uint32_t time, uint32_t button,
                           uint32_t state) {
  if (state == WL_POINTER_BUTTON_STATE_PRESSED) {
    g.button_serial = serial;
    g.button_surface = g.pointer_focus;
    g.button_pressed = true;
  }
}
static void pointer_axis(void *data, struct wl_pointer *p, uint32_t time, uint32_t axis, wl_fixed_t value) {}
static void pointer_frame(void *data, struct wl_pointer *p) {}
static void pointer_axis_source(void *data, struct wl_pointer *p, uint32_t source) {}
static void pointer_axis_stop(void *data, struct wl_pointer *p, uint32_t time, uint32_t axis) {}
static void pointer_axis_discrete(void *data, struct wl_pointer *p, uint32_t axis, int32_t discrete) {}
static const struct wl_pointer_listener pointer_listener = {.enter = pointer_enter,
                                                            .leave = pointer_leave,
                                                            .motion = pointer_motion,
                                                            .button = pointer_button,
                                                            .axis = pointer_axis,
                                                            .frame = pointer_frame,
                                                            .axis_source = pointer_axis_source,
                                                            .axis_stop = pointer_axis_stop,
                                                            .axis_discrete = pointer_axis_discrete};

static void seat_capabilities(void *data, struct wl_seat *seat, uint32_t caps) {
  g.seat_caps = caps;
  if ((caps & WL_SEAT_CAPABILITY_POINTER) && !g.pointer) {
    g.pointer = wl_seat_get_pointer(seat);
    wl_pointer_add_listener(g.pointer, &pointer_listener, NULL);
  } else if (!(caps & WL_SEAT_CAPABILITY_POINTER) && g.pointer) {
    wl_pointer_release(g.pointer);
    g.pointer = NULL;
  }
}
static void seat_name(void *data, struct wl_seat *seat, const char *name) {}
static const struct wl_seat_listener seat_listener = {.capabilities = seat_capabilities, .name = seat_name};

static uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

static void registry_global(void *data, struct wl_registry *r, uint32_t name, const char *iface, uint32_t version) {
  if (!strcmp(iface, wl_compositor_interface.name)) {
    g.compositor = wl_registry_bind(r, name, &wl_compositor_interface, min_u32(version, 4));
  } else if (!strcmp(iface, wl_shm_interface.name)) {
    g.shm = wl_registry_bind(r, name, &wl_shm_interface, 1);
  } else if (!strcmp(iface, xdg_wm_base_interface.name)) {
    g.wm_base = wl_registry_bind(r, name, &xdg_wm_base_interface, min_u32(version, 5));
    xdg_wm_base_add_listener(g.wm_base, &wm_base_listener, NULL);
  } else if (!strcmp(iface, wp_presentation_interface.name)) {
    g.presentation = wl_registry_bind(r, name, &wp_presentation_interface, 1);
    wp_presentation_add_listener(g.presentation, &presentation_listener, NULL);
  } else if (!strcmp(iface, zxdg_decoration_manager_v1_interface.name)) {
    g.decoration_manager = wl_registry_bind(r, name, &zxdg_decoration_manager_v1_interface, 1);
  } else if (!strcmp(iface, zwlr_virtual_pointer_manager_v1_interface.name)) {
    g.vp_manager = wl_registry_bind(r, name, &zwlr_virtual_pointer_manager_v1_interface, 1);
  } else if (!strcmp(iface, zwlr_screencopy_manager_v1_interface.name)) {
    g.screencopy = wl_registry_bind(r, name, &zwlr_screencopy_manager_v1_interface, min_u32(version, 3));
  } else if (!strcmp(iface, wl_seat_interface.name) && !g.seat) {
    g.seat = wl_registry_bind(r, name, &wl_seat_interface, min_u32(version, 5));
    wl_seat_add_listener(g.seat, &seat_listener, NULL);
  } else if (!strcmp(iface, wl_output_interface.name) && !g.output) {
    g.output = wl_registry_bind(r, name, &wl_output_interface, min_u32(version, 4));
    wl_output_add_listener(g.output, &output_listener, NULL);
  }
}
static void registry_remove(void *data, struct wl_registry *r, uint32_t name) {}
static const struct wl_registry_listener registry_listener = {.global = registry_global,
                                                              .global_remove = registry_remove};

/* ---------------------------------------------------------------- event pumping */

/* Dispatch events for up to timeout_ms (one poll). Dies if the connection is gone. */
static void pump(int timeout_ms) {
  struct wl_display *d = g.display;
  while (wl_display_prepare_read(d) != 0)
    if (wl_display_dispatch_pending(d) < 0) die("connection lost: %s", strerror(errno));
  if (wl_display_flush(d) < 0 && errno != EAGAIN) {
    wl_display_cancel_read(d);
    die("connection lost (flush): %s", strerror(errno));
  }
  struct pollfd pfd = {.fd = wl_display_get_fd(d), .events = POLLIN};
  int r = poll(&pfd, 1, timeout_ms);
  if (r > 0) {
    if (wl_display_read_events(d) < 0) die("connection lost (read): %s", strerror(errno));
  } else {
    wl_display_cancel_read(d);
  }
  if (wl_display_dispatch_pending(d) < 0) die("connection lost: %s", strerror(errno));
}

/* Pump until pred() holds or timeout_s passes; true if it held. */
static bool pump_until(bool (*pred)(void *), void *arg, double timeout_s) {
  uint64_t end = now_ns() + (uint64_t)(timeout_s * 1e9);
  while (!pred(arg)) {
    uint64_t t = now_ns();
    if (t >= end) return false;
    int ms = (int)((end - t) / 1000000) + 1;
    pump(ms > 50 ? 50 : ms);
  }
  return true;
}

static void pump_for(double seconds) {
  uint64_t end = now_ns() + (uint64_t)(seconds * 1e9);
  for (uint64_t t; (t = now_ns()) < end;) {
    int ms = (int)((end - t) / 1000000) + 1;
    pump(ms > 50 ? 50 : ms);
  }
}

static void roundtrip(void) {
  if (wl_display_roundtrip(g.display) < 0) die("connection lost (roundtrip): %s", strerror(errno));
}

static bool is_configured(void *arg) { return ((struct window *)arg)->configured; }
static bool is_mapped(void *arg) { return ((struct window *)arg)->mapped; }

/* ---------------------------------------------------------------- windows */

static void create_window(struct window *w) {
  w->surface = wl_compositor_create_surface(g.compositor);
  w->xdg_surface = xdg_wm_base_get_xdg_surface(g.wm_base, w->surface);
  xdg_surface_add_listener(w->xdg_surface, &xdg_surface_listener, w);
  w->toplevel = xdg_surface_get_toplevel(w->xdg_surface);
  xdg_toplevel_add_listener(w->toplevel, &toplevel_listener, w);
  char name[32];
  snprintf(name, sizeof name, "bench-%02d", w->id);
  xdg_toplevel_set_app_id(w->toplevel, name);
  xdg_toplevel_set_title(w->toplevel, name);
  if (g.decoration_manager) {
    w->decoration = zxdg_decoration_manager_v1_get_toplevel_decoration(g.decoration_manager, w->toplevel);
    zxdg_toplevel_decoration_v1_add_listener(w->decoration, &decoration_listener, w);
    zxdg_toplevel_decoration_v1_set_mode(w->decoration, ZXDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE);
  }
  create_buffers(w);
  wl_surface_commit(w->surface); /* initial commit, no buffer: asks for the first configure */
}

static void vp_move(double x, double y) {
  uint32_t t = (uint32_t)(now_ns() / 1000000);
  zwlr_virtual_pointer_v1_motion_absolute(g.vpointer, t, (uint32_t)(x + 0.5), (uint32_t)(y + 0.5),
                                          (uint32_t)g.out_w, (uint32_t)g.out_h);
  zwlr_virtual_pointer_v1_frame(g.vpointer);
}

static void vp_button(uint32_t state) {
  uint32_t t = (uint32_t)(now_ns() / 1000000);
  zwlr_virtual_pointer_v1_button(g.vpointer, t, BTN_LEFT, state);
  zwlr_virtual_pointer_v1_frame(g.vpointer);
}

/* Put the pointer over window w somewhere; true once the compositor says it entered w. */
static bool pointer_onto(struct window *w) {
  /* Where a new window usually goes first (the output's centre), then a coarse scan. */
  vp_move(g.out_w / 2.0, g.out_h / 2.0);
  roundtrip();
  if (g.pointer_focus == w->surface) return true;
  int step = 40;
  for (int y = step / 2; y < g.out_h; y += step)
    for (int x = step / 2; x < g.out_w; x += step) {
      vp_move(x, y);
      roundtrip();
      if (g.pointer_focus == w->surface) return true;
    }
  return false;
}

/* Drag window w into its tile with the virtual pointer and xdg_toplevel.move; returns an error or NULL. */
static const char *drag_into_place(struct window *w) {
  if (!pointer_onto(w)) return "the pointer never entered the window";
  double sx = g.pointer_sx, sy = g.pointer_sy;
  g.button_pressed = false;
  vp_button(WL_POINTER_BUTTON_STATE_PRESSED);
  roundtrip();
  if (!g.button_pressed || g.button_surface != w->surface) {
    vp_button(WL_POINTER_BUTTON_STATE_RELEASED);
    roundtrip();
    return "no button press arrived at the window";
  }
  xdg_toplevel_move(w->toplevel, g.seat, g.button_serial);
  roundtrip();
  vp_move(w->tx + sx, w->ty + sy);
  roundtrip();
  vp_button(WL_POINTER_BUTTON_STATE_RELEASED);
  roundtrip();
  /* Check: the pointer at the tile's centre is over this window, at the matching place. */
  double cx = w->tx + g.width / 2.0, cy = w->ty + g.height / 2.0;
  vp_move(cx, cy);
  roundtrip();
  if (g.pointer_focus != w->surface) return "after the drag the window is not under its tile's centre";
  if (g.pointer_sx < g.width / 2.0 - 1.5 || g.pointer_sx > g.width / 2.0 + 1.5 ||
      g.pointer_sy < g.height / 2.0 - 1.5 || g.pointer_sy > g.height / 2.0 + 1.5)
    return "after the drag the window is off its tile";
  return NULL;
}

/* ---------------------------------------------------------------- screencopy check */

struct capture {
  struct zwlr_screencopy_frame_v1 *frame;
  uint32_t format, width, height, stride;
  bool have_shm, buffer_done, ready, failed, y_invert;
  struct wl_buffer *buffer;
  void *data;
  size_t size;
};

static void sc_buffer(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t format, uint32_t width,
                      uint32_t height, uint32_t stride) {
  struct capture *c = data;
  c->format = format;
  c->width = width;
  c->height = height;
  c->stride = stride;
  c->have_shm = true;
}
static void sc_flags(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t flags) {
  ((struct capture *)data)->y_invert = flags & ZWLR_SCREENCOPY_FRAME_V1_FLAGS_Y_INVERT;
}
static void sc_ready(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t a, uint32_t b, uint32_t c_) {
  ((struct capture *)data)->ready = true;
}
static void sc_failed(void *data, struct zwlr_screencopy_frame_v1 *f) { ((struct capture *)data)->failed = true; }
static void sc_damage(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t x, uint32_t y, uint32_t w,
                      uint32_t h) {}
static void sc_dmabuf(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t format, uint32_t w, uint32_t h) {}
static void sc_buffer_done(void *data, struct zwlr_screencopy_frame_v1 *f) {
  ((struct capture *)data)->buffer_done = true;
}
static const struct zwlr_screencopy_frame_v1_listener sc_listener = {.buffer = sc_buffer,
                                                                     .flags = sc_flags,
                                                                     .ready = sc_ready,
                                                                     .failed = sc_failed,
                                                                     .damage = sc_damage,
                                                                     .linux_dmabuf = sc_dmabuf,
                                                                     .buffer_done = sc_buffer_done};

static bool sc_can_copy(void *arg) {
  struct capture *c = arg;
  bool v3 = zwlr_screencopy_manager_v1_get_version(g.screencopy) >= 3;
  return c->failed || (c->have_shm && (!v3 || c->buffer_done));
}
static bool sc_finished(void *arg) {
  struct capture *c = arg;
  return c->ready || c->failed;
}

struct visibility {
  bool done;
  char error[128];
  long count[MAX_WINDOWS];
  int minx[MAX_WINDOWS], miny[MAX_WINDOWS], maxx[MAX_WINDOWS], maxy[MAX_WINDOWS];
};

static void check_visibility(struct visibility *v) {
  memset(v, 0, sizeof *v);
  if (!g.screencopy || !g.output) {
    snprintf(v->error, sizeof v->error, "no wlr-screencopy");
    return;
  }
  struct capture c = {0};
  c.frame = zwlr_screencopy_manager_v1_capture_output(g.screencopy, 0, g.output);
  zwlr_screencopy_frame_v1_add_listener(c.frame, &sc_listener, &c);
  if (!pump_until(sc_can_copy, &c, 5) || c.failed || !c.have_shm) {
    snprintf(v->error, sizeof v->error, "screencopy offered no shm buffer");
    zwlr_screencopy_frame_v1_destroy(c.frame);
    return;
  }
  c.size = (size_t)c.stride * c.height;
  int fd = create_shm_file(c.size);
  c.data = mmap(NULL, c.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (c.data == MAP_FAILED) die("mmap: %s", strerror(errno));
  struct wl_shm_pool *pool = wl_shm_create_pool(g.shm, fd, (int32_t)c.size);
  c.buffer = wl_shm_pool_create_buffer(pool, 0, (int32_t)c.width, (int32_t)c.height, (int32_t)c.stride, c.format);
  wl_shm_pool_destroy(pool);
  close(fd);
  zwlr_screencopy_frame_v1_copy(c.frame, c.buffer);
  bool ok = pump_until(sc_finished, &c, 5) && c.ready;
  if (!ok) {
    snprintf(v->error, sizeof v->error, "screencopy failed");
  } else if (c.format != WL_SHM_FORMAT_XRGB8888 && c.format != WL_SHM_FORMAT_ARGB8888 &&
             c.format != WL_SHM_FORMAT_XBGR8888 && c.format != WL_SHM_FORMAT_ABGR8888) {
    snprintf(v->error, sizeof v->error, "screencopy format 0x%x not understood", c.format);
  } else {
    bool bgr = c.format == WL_SHM_FORMAT_XBGR8888 || c.format == WL_SHM_FORMAT_ABGR8888;
    for (int i = 0; i < MAX_WINDOWS; ++i) {
      v->minx[i] = v->miny[i] = 1 << 30;
      v->maxx[i] = v->maxy[i] = -1;
    }
    for (uint32_t y = 0; y < c.height; ++y) {
      const uint32_t *row = (const uint32_t *)((const char *)c.data + (size_t)y * c.stride);
      int oy = c.y_invert ? (int)(c.height - 1 - y) : (int)y;
      for (uint32_t x = 0; x < c.width; ++x) {
        uint32_t p = row[x];
        uint32_t r = bgr ? (p & 0xff) : ((p >> 16) & 0xff), gr = (p >> 8) & 0xff;
        if (gr != ID_MARKER || (r & 7) != 4) continue;
        int id = (int)(r >> 3);
        if (id >= g.nwin) continue;
        v->count[id]++;
        if ((int)x < v->minx[id]) v->minx[id] = (int)x;
        if ((int)x > v->maxx[id]) v->maxx[id] = (int)x;
        if (oy < v->miny[id]) v->miny[id] = oy;
        if (oy > v->maxy[id]) v->maxy[id] = oy;
      }
    }
    v->done = true;
  }
  munmap(c.data, c.size);
  wl_buffer_destroy(c.buffer);
  zwlr_screencopy_frame_v1_destroy(c.frame);
}

/* ---------------------------------------------------------------- animate mode */

/* Blocks until CMD is done, so the window starts (and the figures are read) only after it. */
static void run_hook(const char *hook, const char *arg) {
  if (!hook) return;
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s %s", hook, arg);
  int status = system(cmd);
  if (status != 0) die("--hook: '%s' failed (status %d)", cmd, status);
}

static int parse_pair(const char *s, int *a, int *b) { return sscanf(s, "%dx%d", a, b) == 2 ? 0 : -1; }

static int run_animate(int argc, char **argv) {
  int nwin = 1, pid = 0;
  double warmup = 3, duration = 10, timeout = 60;
  const char *place = "none", *hook = NULL;
  g.width = 220;
  g.height = 250;
  g.cols = 8;
  g.rows = 4;
  g.cell_w = 240;
  g.cell_h = 270;
  g.margin = 10;
  for (int i = 0; i < argc; ++i) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) die("animate: %s needs a value", a);
    if (!strcmp(a, "--windows")) nwin = atoi(v);
    else if (!strcmp(a, "--size")) { if (parse_pair(v, &g.width, &g.height)) die("bad --size"); }
    else if (!strcmp(a, "--grid")) { if (parse_pair(v, &g.cols, &g.rows)) die("bad --grid"); }
    else if (!strcmp(a, "--cell")) { if (parse_pair(v, &g.cell_w, &g.cell_h)) die("bad --cell"); }
    else if (!strcmp(a, "--margin")) g.margin = atoi(v);
    else if (!strcmp(a, "--place")) place = v;
    else if (!strcmp(a, "--warmup")) warmup = atof(v);
    else if (!strcmp(a, "--duration")) duration = atof(v);
    else if (!strcmp(a, "--compositor-pid")) pid = atoi(v);
    else if (!strcmp(a, "--timeout")) timeout = atof(v);
    else if (!strcmp(a, "--hook")) hook = v;
    else die("animate: unknown argument %s", a);
    ++i;
  }
  if (nwin < 1 || nwin > MAX_WINDOWS || nwin > g.cols * g.rows) die("--windows must be 1..cols*rows");
  if (strcmp(place, "none") && strcmp(place, "drag")) die("--place must be none or drag");
  /* Whatever happens, end in bounded time. */
  alarm((unsigned)(timeout + 0.5));

  g.display = wl_display_connect(NULL);
  if (!g.display) die("cannot connect to the compositor (WAYLAND_DISPLAY=%s)", getenv("WAYLAND_DISPLAY"));
  g.registry = wl_display_get_registry(g.display);
  wl_registry_add_listener(g.registry, &registry_listener, NULL);
  roundtrip();
  roundtrip(); /* the globals' initial events */
  if (!g.compositor || !g.shm || !g.wm_base) die("the compositor lacks wl_compositor, wl_shm or xdg_wm_base");
  /* Commit times are taken on the presentation clock, as the protocol asks; it is reported. */
  if (g.clock_seen) {
    struct timespec probe;
    if (clock_gettime((clockid_t)g.clock_id, &probe) == 0) bench_clock = (clockid_t)g.clock_id;
    else note("presentation clock %d is not readable; using CLOCK_MONOTONIC", g.clock_id);
  }
  if (!g.out_mode_seen) {
    g.out_w = 1920;
    g.out_h = 1080;
  }
  g.drawing = true;
  g.nwin = nwin;
  g.windows = calloc((size_t)nwin, sizeof *g.windows);

  const char *place_error = NULL;
  int place_failed_id = -1;
  /* A virtual pointer, where there is one, drags windows (--place drag) and is parked off the windows at
   * the end, so that every wlroots compositor has its cursor in the same place. */
  bool drag = !strcmp(place, "drag");
  if (g.vp_manager && g.seat) {
    g.vpointer = zwlr_virtual_pointer_manager_v1_create_virtual_pointer(g.vp_manager, g.seat);
    roundtrip();
    roundtrip();
  }
  if (drag && !g.vpointer) {
    place_error = "no zwlr_virtual_pointer_manager_v1 or wl_seat: cannot drag windows";
    drag = false;
  } else if (drag && !g.pointer) {
    place_error = "the seat has no pointer even with a virtual pointer";
    drag = false;
  }

  uint64_t t_map0 = now_ns();
  for (int i = 0; i < nwin; ++i) {
    struct window *w = &g.windows[i];
    w->id = i;
    w->tx = (i % g.cols) * g.cell_w + g.margin;
    w->ty = (i / g.cols) * g.cell_h + g.margin;
    create_window(w);
    if (!pump_until(is_configured, w, 5)) die("window %d: no configure within 5 s", i);
    draw(w);
    if (!pump_until(is_mapped, w, 5)) die("window %d: no frame callback within 5 s", i);
    if (drag && !place_error) {
      const char *err = drag_into_place(w);
      if (err) {
        place_error = err;
        place_failed_id = i;
      }
    }
  }
  if (g.vpointer) { /* park the pointer in the bottom-right corner, where no window is */
    vp_move(g.out_w - 1, g.out_h - 1);
    roundtrip();
  }
  double map_s = (double)(now_ns() - t_map0) / 1e9;

  pump_for(0.5);
  static struct visibility vis;
  check_visibility(&vis);
  pump_for(warmup);

  /* The measurement window. */
  run_hook(hook, "on");
  double cpu0 = pid ? proc_cpu_s(pid) : -1, sched0 = pid ? proc_schedstat_s(pid) : -1, self0 = self_cpu_s();
  g.t0 = now_ns();
  g.t1 = g.t0 + (uint64_t)(duration * 1e9);
  g.measuring = true;
  while (now_ns() < g.t1) {
    uint64_t left = g.t1 - now_ns();
    int ms = (int)(left / 1000000) + 1;
    pump(ms > 50 ? 50 : ms);
  }
  double cpu1 = pid ? proc_cpu_s(pid) : -1, sched1 = pid ? proc_schedstat_s(pid) : -1, self1 = self_cpu_s();
  uint64_t t_end = now_ns();
  run_hook(hook, "off");
  long rss = pid ? proc_rss_kib(pid) : -1;
  /* Collect the feedback of commits made inside the window, then stop. */
  g.drawing = false;
  uint64_t grace_end = now_ns() + 500000000ull;
  while (g.pending_feedbacks > 0 && now_ns() < grace_end) pump(20);
  int unanswered = g.pending_feedbacks;

  /* Results. */
  double span = (double)(g.t1 - g.t0) / 1e9;
  uint64_t presented = 0, frame_done = 0, commits = 0, discarded = 0, no_buffer = 0;
  uint64_t min_win = UINT64_MAX, max_win = 0;
  int closed = 0, deco_client = 0, deco_server = 0, deco_none = 0, resized = 0;
  for (int i = 0; i < nwin; ++i) {
    struct window *w = &g.windows[i];
    presented += w->presented_in;
    frame_done += w->frame_done_in;
    commits += w->commits_in;
    discarded += w->discarded_in;
    no_buffer += w->no_buffer;
    if (w->presented_in < min_win) min_win = w->presented_in;
    if (w->presented_in > max_win) max_win = w->presented_in;
    closed += w->closed;
    if (w->decoration_mode == 1) deco_client++;
    else if (w->decoration_mode == 2) deco_server++;
    else deco_none++;
    if ((w->configure_w && w->configure_w != g.width) || (w->configure_h && w->configure_h != g.height)) resized++;
  }
  qsort(g.latencies.v, g.latencies.n, sizeof(uint64_t), cmp_u64);
  qsort(g.present_times.v, g.present_times.n, sizeof(uint64_t), cmp_u64);
  size_t distinct = 0;
  for (size_t i = 0; i < g.present_times.n; ++i)
    if (i == 0 || g.present_times.v[i] != g.present_times.v[i - 1]) distinct++;
  double lat_sum = 0;
  for (size_t i = 0; i < g.latencies.n; ++i) lat_sum += (double)g.latencies.v[i];

  FILE *o = stdout;
  fprintf(o, "{\n  \"mode\": \"animate\",\n  \"windows\": %d,\n  \"window_size\": [%d, %d],\n", nwin, g.width,
          g.height);
  fprintf(o, "  \"output\": {\"seen\": %s, \"width\": %d, \"height\": %d, \"refresh_mhz\": %d},\n",
          g.out_mode_seen ? "true" : "false", g.out_w, g.out_h, g.out_refresh_mhz);
  fprintf(o, "  \"presentation\": {\"bound\": %s, \"clock_id\": %d, \"clock_monotonic\": %s, \"timed_with\": %d},\n",
          g.presentation ? "true" : "false", g.clock_seen ? g.clock_id : -1,
          g.clock_seen && g.clock_id == CLOCK_MONOTONIC ? "true" : "false", (int)bench_clock);
  fprintf(o, "  \"decorations\": {\"client_side\": %d, \"server_side\": %d, \"unset\": %d},\n", deco_client,
          deco_server, deco_none);
  fprintf(o, "  \"windows_closed\": %d,\n  \"configure_size_differs\": %d,\n  \"map_s\": %.3f,\n", closed, resized,
          map_s);
  fprintf(o, "  \"placement\": {\"method\": \"%s\", \"ok\": %s", place, place_error ? "false" : "true");
  if (place_error) fprintf(o, ", \"error\": \"%s\", \"window\": %d", place_error, place_failed_id);
  fprintf(o, "},\n");
  if (vis.done) {
    int visible_full = 0, at_tile = 0;
    double min_frac = 1;
    fprintf(o, "  \"visibility\": {\"method\": \"wlr-screencopy\", \"fraction\": [");
    for (int i = 0; i < nwin; ++i) {
      struct window *w = &g.windows[i];
      double frac = (double)vis.count[i] / ((double)g.width * g.height);
      if (frac < min_frac) min_frac = frac;
      if (vis.count[i] == (long)g.width * g.height) visible_full++;
      if (vis.minx[i] == w->tx && vis.miny[i] == w->ty && vis.maxx[i] == w->tx + g.width - 1 &&
          vis.maxy[i] == w->ty + g.height - 1)
        at_tile++;
      fprintf(o, "%s%.4f", i ? ", " : "", frac);
    }
    fprintf(o, "], \"fully_visible\": %d, \"at_tile\": %d, \"min_fraction\": %.4f},\n", visible_full, at_tile,
            min_frac);
  } else {
    fprintf(o, "  \"visibility\": {\"method\": null, \"error\": \"%s\"},\n", vis.error);
  }
  fprintf(o, "  \"measure\": {\n    \"duration_s\": %.4f,\n    \"elapsed_s\": %.4f,\n", span,
          (double)(t_end - g.t0) / 1e9);
  fprintf(o, "    \"compositor_pid\": %d,\n    \"compositor_cpu_s\": %.4f,\n    \"compositor_sched_cpu_s\": %.6f,\n",
          pid, cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1.0, sched0 >= 0 && sched1 >= 0 ? sched1 - sched0 : -1.0);
  fprintf(o, "    \"client_cpu_s\": %.4f,\n    \"compositor_rss_kib\": %ld,\n", self1 - self0, rss);
  fprintf(o, "    \"presented\": %" PRIu64 ",\n    \"frame_callbacks\": %" PRIu64 ",\n    \"commits\": %" PRIu64
             ",\n    \"discarded\": %" PRIu64 ",\n    \"no_free_buffer\": %" PRIu64
             ",\n    \"feedback_unanswered\": %d,\n    \"feedback_before_commit\": %" PRIu64 ",\n",
          presented, frame_done, commits, discarded, no_buffer, unanswered, g.feedbacks_bad_clock);
  fprintf(o, "    \"per_window_fps\": {\"min\": %.2f, \"max\": %.2f, \"mean\": %.2f},\n", (double)min_win / span,
          (double)max_win / span, (double)presented / nwin / span);
  fprintf(o, "    \"output_frames\": %zu,\n    \"output_fps\": %.2f,\n    \"refresh_ns\": %u,\n    \"flags\": %u,\n",
          distinct, (double)distinct / span, g.last_refresh_ns, g.last_flags);
  fprintf(o, "    \"per_window_presented\": [");
  for (int i = 0; i < nwin; ++i) fprintf(o, "%s%" PRIu64, i ? ", " : "", g.windows[i].presented_in);
  fprintf(o, "],\n");
  size_t n = g.latencies.n;
  fprintf(o, "    \"latency_ms\": {\"n\": %zu", n);
  if (n)
    fprintf(o, ", \"min\": %.3f, \"median\": %.3f, \"p95\": %.3f, \"p99\": %.3f, \"max\": %.3f, \"mean\": %.3f",
            (double)g.latencies.v[0] / 1e6, (double)percentile(g.latencies.v, n, 50) / 1e6,
            (double)percentile(g.latencies.v, n, 95) / 1e6, (double)percentile(g.latencies.v, n, 99) / 1e6,
            (double)g.latencies.v[n - 1] / 1e6, lat_sum / (double)n / 1e6);
  fprintf(o, "}\n  }\n}\n");
  fflush(o);
  wl_display_disconnect(g.display);
  return 0;
}

/* ---------------------------------------------------------------- set-mode (wlr-output-management) */

#define MAX_HEADS 8
#define MAX_MODES 64

struct om_mode {
  struct zwlr_output_mode_v1 *mode;
  int w, h, refresh;
};

struct om_head {
  struct zwlr_output_head_v1 *head;
  char name[64];
  bool enabled;
  struct zwlr_output_mode_v1 *current;
  struct om_mode modes[MAX_MODES];
  int nmodes;
};

static struct {
  struct zwlr_output_manager_v1 *manager;
  struct om_head heads[MAX_HEADS];
  int nheads;
  uint32_t serial;
  bool done;
  int result; /* 0 pending, 1 succeeded, -1 failed, -2 cancelled */
} om;

static void om_mode_size(void *data, struct zwlr_output_mode_v1 *m, int32_t w, int32_t h) {
  struct om_mode *mode = data;
  mode->w = w;
  mode->h = h;
}
static void om_mode_refresh(void *data, struct zwlr_output_mode_v1 *m, int32_t refresh) {
  ((struct om_mode *)data)->refresh = refresh;
}
static void om_mode_preferred(void *data, struct zwlr_output_mode_v1 *m) {}
static void om_mode_finished(void *data, struct zwlr_output_mode_v1 *m) {}
static const struct zwlr_output_mode_v1_listener om_mode_listener = {
    .size = om_mode_size, .refresh = om_mode_refresh, .preferred = om_mode_preferred, .finished = om_mode_finished};

static void om_head_name(void *data, struct zwlr_output_head_v1 *h, const char *name) {
  snprintf(((struct om_head *)data)->name, sizeof((struct om_head *)data)->name, "%s", name);
}
static void om_head_description(void *data, struct zwlr_output_head_v1 *h, const char *d) {}
static void om_head_physical_size(void *data, struct zwlr_output_head_v1 *h, int32_t w, int32_t hh) {}
static void om_head_mode(void *data, struct zwlr_output_head_v1 *h, struct zwlr_output_mode_v1 *mode) {
  struct om_head *head = data;
  if (head->nmodes >= MAX_MODES) return;
  struct om_mode *m = &head->modes[head->nmodes++];
  m->mode = mode;
  zwlr_output_mode_v1_add_listener(mode, &om_mode_listener, m);
}
static void om_head_enabled(void *data, struct zwlr_output_head_v1 *h, int32_t enabled) {
  ((struct om_head *)data)->enabled = enabled;
}
static void om_head_current_mode(void *data, struct zwlr_output_head_v1 *h, struct zwlr_output_mode_v1 *mode) {
  ((struct om_head *)data)->current = mode;
}
static void om_head_position(void *data, struct zwlr_output_head_v1 *h, int32_t x, int32_t y) {}
static void om_head_transform(void *data, struct zwlr_output_head_v1 *h, int32_t t) {}
static void om_head_scale(void *data, struct zwlr_output_head_v1 *h, wl_fixed_t scale) {}
static void om_head_finished(void *data, struct zwlr_output_head_v1 *h) {}
static void om_head_make(void *data, struct zwlr_output_head_v1 *h, const char *s) {}
static void om_head_model(void *data, struct zwlr_output_head_v1 *h, const char *s) {}
static void om_head_serial(void *data, struct zwlr_output_head_v1 *h, const char *s) {}
static const struct zwlr_output_head_v1_listener om_head_listener = {.name = om_head_name,
                                                                     .description = om_head_description,
                                                                     .physical_size = om_head_physical_size,
                                                                     .mode = om_head_mode,
                                                                     .enabled = om_head_enabled,
                                                                     .current_mode = om_head_current_mode,
                                                                     .position = om_head_position,
                                                                     .transform = om_head_transform,
                                                                     .scale = om_head_scale,
                                                                     .finished = om_head_finished,
                                                                     .make = om_head_make,
                                                                     .model = om_head_model,
                                                                     .serial_number = om_head_serial};

static void om_head(void *data, struct zwlr_output_manager_v1 *m, struct zwlr_output_head_v1 *head) {
  if (om.nheads >= MAX_HEADS) return;
  struct om_head *h = &om.heads[om.nheads++];
  h->head = head;
  zwlr_output_head_v1_add_listener(head, &om_head_listener, h);
}
static void om_done(void *data, struct zwlr_output_manager_v1 *m, uint32_t serial) {
  om.serial = serial;
  om.done = true;
}
static void om_finished(void *data, struct zwlr_output_manager_v1 *m) {}
static const struct zwlr_output_manager_v1_listener om_listener = {
    .head = om_head, .done = om_done, .finished = om_finished};

static void om_succeeded(void *data, struct zwlr_output_configuration_v1 *c) { om.result = 1; }
static void om_failed(void *data, struct zwlr_output_configuration_v1 *c) { om.result = -1; }
static void om_cancelled(void *data, struct zwlr_output_configuration_v1 *c) { om.result = -2; }
static const struct zwlr_output_configuration_v1_listener om_config_listener = {
    .succeeded = om_succeeded, .failed = om_failed, .cancelled = om_cancelled};

static void om_registry_global(void *data, struct wl_registry *r, uint32_t name, const char *iface,
                               uint32_t version) {
  if (!strcmp(iface, zwlr_output_manager_v1_interface.name))
    om.manager = wl_registry_bind(r, name, &zwlr_output_manager_v1_interface, min_u32(version, 2));
}
static const struct wl_registry_listener om_registry_listener = {.global = om_registry_global,
                                                                 .global_remove = registry_remove};

static int run_set_mode(int argc, char **argv) {
  int w, h;
  double hz = 60;
  if (argc < 1 || sscanf(argv[0], "%dx%d@%lf", &w, &h, &hz) < 2) die("usage: bench-client set-mode WxH[@HZ]");
  int refresh = (int)(hz * 1000 + 0.5);
  alarm(10);
  struct wl_display *d = wl_display_connect(NULL);
  if (!d) die("cannot connect to the compositor");
  struct wl_registry *reg = wl_display_get_registry(d);
  wl_registry_add_listener(reg, &om_registry_listener, NULL);
  wl_display_roundtrip(d);
  if (!om.manager) {
    printf("{\"ok\":false,\"error\":\"no zwlr_output_manager_v1\"}\n");
    return 1;
  }
  zwlr_output_manager_v1_add_listener(om.manager, &om_listener, NULL);
  while (!om.done)
    if (wl_display_dispatch(d) < 0) die("connection lost");
  struct zwlr_output_configuration_v1 *config = zwlr_output_manager_v1_create_configuration(om.manager, om.serial);
  zwlr_output_configuration_v1_add_listener(config, &om_config_listener, NULL);
  for (int i = 0; i < om.nheads; ++i) {
    struct om_head *head = &om.heads[i];
    if (!head->enabled) {  // outputs that are off stay off
      zwlr_output_configuration_v1_disable_head(config, head->head);
      continue;
    }
    struct zwlr_output_configuration_head_v1 *ch = zwlr_output_configuration_v1_enable_head(config, head->head);
    struct om_mode *match = NULL;
    for (int j = 0; j < head->nmodes; ++j) {
      struct om_mode *m = &head->modes[j];
      if (m->w == w && m->h == h && (!match || abs(m->refresh - refresh) < abs(match->refresh - refresh)))
        match = m;
    }
    if (match && abs(match->refresh - refresh) <= 500) zwlr_output_configuration_head_v1_set_mode(ch, match->mode);
    else zwlr_output_configuration_head_v1_set_custom_mode(ch, w, h, refresh);
  }
  zwlr_output_configuration_v1_apply(config);
  while (om.result == 0)
    if (wl_display_dispatch(d) < 0) die("connection lost");
  printf("{\"ok\":%s,\"result\":\"%s\",\"heads\":%d,\"mode\":[%d,%d,%d]}\n", om.result == 1 ? "true" : "false",
         om.result == 1 ? "succeeded" : om.result == -1 ? "failed" : "cancelled", om.nheads, w, h, refresh);
  zwlr_output_configuration_v1_destroy(config);
  wl_display_roundtrip(d);
  wl_display_disconnect(d);
  return om.result == 1 ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "startup")) return run_startup(argc - 2, argv + 2);
  if (argc >= 2 && !strcmp(argv[1], "animate")) return run_animate(argc - 2, argv + 2);
  if (argc >= 2 && !strcmp(argv[1], "set-mode")) return run_set_mode(argc - 2, argv + 2);
  fprintf(stderr, "usage: bench-client startup [options] -- COMPOSITOR ARGS...\n"
                  "       bench-client animate --windows N [options]\n"
                  "       bench-client set-mode WxH[@HZ]\n");
  return 2;
}
