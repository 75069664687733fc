/* syncobj-client: an xdg_toplevel that presents dmabuf buffers with explicit sync
 * (linux-drm-syncobj-v1), with acquire fences a test signals late or never.
 *
 *   syncobj-client --card /dev/dri/cardN [--size WxH] [--fullscreen] [--fifo]
 *                  [--animate RRGGBB,RRGGBB] [--error KIND] [--no-sync]
 *
 * Buffers are dumb buffers on the card node (allowed while the compositor is DRM
 * master), shared as linux-dmabuf wl_buffers; each has its own release timeline.
 * Acquire points come from sw_sync fences (debugfs, root) imported into one
 * acquire timeline, so they signal only when told.
 *
 * Commands on stdin, one a line:
 *   commit RRGGBB [MS]   fill a free buffer, commit it with an unsignalled acquire point;
 *                        with MS, also a commit-timing-v1 target MS ms from now
 *   commit-ready RRGGBB [MS]  the same with an acquire point signalled before the commit
 *   signal               signal the oldest unsignalled acquire fence
 *   drop-timelines       destroy the wp_linux_drm_syncobj_timeline_v1 objects (points stay)
 *   drop-sync-surface    destroy the wp_linux_drm_syncobj_surface_v1
 *   quit                 disconnect at once (even with commits waiting)
 *
 * Prints, one a line ("T" is CLOCK_MONOTONIC in ms):
 *   ready W H                   configured, buffers made; commands are read from now on
 *   committed N buffer B        frame N committed (N counts from 1)
 *   target N T                  frame N's commit-timing target (before its "committed")
 *   signalled N T               frame N's acquire fence signalled
 *   presented N T               frame N was presented (wp_presentation feedback)
 *   discarded N                 frame N was never presented
 *   released N T                frame N's release point signalled
 *   error TEXT                  a command could not be done
 *   protocol-error IFACE CODE   the compositor sent a protocol error (then exits 0)
 *
 * --animate A,B: no stdin; commits a new frame (alternating colours, acquire point
 * signalled on the CPU before each commit) whenever the previous one was presented.
 * --fifo: every commit carries wp_fifo_v1.set_barrier and wait_barrier (fifo-v1),
 * so that the compositor's FIFO and the acquire point both hold it.
 * --no-sync: the same buffers without linux-drm-syncobj-v1 (implicit sync, a
 * buffer is free again at wl_buffer.release), as a baseline.
 * --error KIND provokes one linux-drm-syncobj-v1 error right after `ready`:
 * surface_exists, no_surface, invalid_timeline, unsupported_buffer, no_buffer,
 * no_acquire_point, no_release_point, conflicting_points; prints "no-error" and
 * exits 1 if none came. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>

#include "commit-timing-v1-client-protocol.h"
#include "common.h"
#include "fifo-v1-client-protocol.h"
#include "linux-dmabuf-v1-client-protocol.h"
#include "linux-drm-syncobj-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"

#define NBUF 4
#define MAX_FRAMES 4096

/* linux/sw_sync.h is not exported to user space. */
struct sw_sync_create_fence_data {
  uint32_t value;
  char name[32];
  int32_t fence;
};
#define SW_SYNC_IOC_CREATE_FENCE _IOWR('W', 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC _IOW('W', 1, uint32_t)

struct buffer {
  uint32_t handle;     /* dumb buffer */
  int prime_fd;
  uint32_t *pixels;
  size_t size;
  uint32_t pitch;
  struct wl_buffer *wl;
  uint32_t release_syncobj;  /* its own release timeline */
  struct wp_linux_drm_syncobj_timeline_v1 *release_timeline;
  uint64_t release_point;
  int release_eventfd;       /* readable once release_point signalled; -1 when free */
  int frame;                 /* the frame using it */
};

struct state {
  struct test_client c;
  int drm_fd;
  int sw_sync_fd;
  uint32_t sw_sync_value;       /* fences created so far */
  uint32_t sw_sync_signalled;   /* timeline value reached */
  struct zwp_linux_dmabuf_v1 *dmabuf;
  struct wp_linux_drm_syncobj_manager_v1 *syncobj_manager;
  struct wp_presentation *presentation;
  struct wp_fifo_manager_v1 *fifo_manager;
  struct wp_commit_timing_manager_v1 *timing_manager;
  struct wp_fifo_v1 *fifo;        /* with --fifo */
  struct wp_commit_timer_v1 *timer;
  clockid_t clock;                /* wp_presentation's: targets are on it */
  struct wl_surface *surface;
  struct xdg_surface *xdg_surface;
  struct xdg_toplevel *toplevel;
  struct wp_linux_drm_syncobj_surface_v1 *sync_surface;
  uint32_t acquire_syncobj;
  struct wp_linux_drm_syncobj_timeline_v1 *acquire_timeline;
  uint64_t acquire_point;
  int frame_sw_value[MAX_FRAMES]; /* sw_sync value of frame N's acquire fence; 0: none */
  struct buffer buffers[NBUF];
  int width, height, want_w, want_h;
  bool configured, fullscreen, quit;
  int frames;
  uint32_t animate[2];
  bool animating;
  bool import_done, import_ok;
  bool no_sync;
  bool use_fifo;
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int64_t now_ns_on(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void presentation_clock_id(void *data, struct wp_presentation *p, uint32_t clk_id) {
  ((struct state *)data)->clock = (clockid_t)clk_id;
}
static const struct wp_presentation_listener presentation_listener = {.clock_id = presentation_clock_id};

/* --- globals ---------------------------------------------------------------- */

static void global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
                   uint32_t version) {
  struct state *s = data;
  if (strcmp(interface, zwp_linux_dmabuf_v1_interface.name) == 0 && version >= 3)
    s->dmabuf = wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, 3);
  else if (strcmp(interface, wp_linux_drm_syncobj_manager_v1_interface.name) == 0)
    s->syncobj_manager = wl_registry_bind(registry, name, &wp_linux_drm_syncobj_manager_v1_interface, 1);
  else if (strcmp(interface, wp_presentation_interface.name) == 0) {
    s->presentation = wl_registry_bind(registry, name, &wp_presentation_interface, 1);
    wp_presentation_add_listener(s->presentation, &presentation_listener, s);
  } else if (strcmp(interface, wp_fifo_manager_v1_interface.name) == 0)
    s->fifo_manager = wl_registry_bind(registry, name, &wp_fifo_manager_v1_interface, 1);
  else if (strcmp(interface, wp_commit_timing_manager_v1_interface.name) == 0)
    s->timing_manager = wl_registry_bind(registry, name, &wp_commit_timing_manager_v1_interface, 1);
}
static void global_remove(void *data, struct wl_registry *registry, uint32_t name) {}
static const struct wl_registry_listener registry_listener = {.global = global, .global_remove = global_remove};

/* --- DRM: dumb buffers and syncobjs on the card node ---------------------------- */

static uint32_t new_timeline(struct state *s, struct wp_linux_drm_syncobj_timeline_v1 **proxy) {
  uint32_t handle;
  int fd;
  if (drmSyncobjCreate(s->drm_fd, 0, &handle) != 0) tc_die("drmSyncobjCreate: %s", strerror(errno));
  if (drmSyncobjHandleToFD(s->drm_fd, handle, &fd) != 0) tc_die("drmSyncobjHandleToFD: %s", strerror(errno));
  *proxy = wp_linux_drm_syncobj_manager_v1_import_timeline(s->syncobj_manager, fd);
  close(fd);
  return handle;
}

static void params_created(void *data, struct zwp_linux_buffer_params_v1 *params, struct wl_buffer *buffer) {
  struct state *s = data;
  s->import_done = s->import_ok = true;
  zwp_linux_buffer_params_v1_destroy(params);
  for (int i = 0; i < NBUF; ++i)
    if (!s->buffers[i].wl) {
      s->buffers[i].wl = buffer;
      return;
    }
}
static void params_failed(void *data, struct zwp_linux_buffer_params_v1 *params) {
  struct state *s = data;
  s->import_done = true;
  s->import_ok = false;
  zwp_linux_buffer_params_v1_destroy(params);
}
static const struct zwp_linux_buffer_params_v1_listener params_listener = {.created = params_created,
                                                                            .failed = params_failed};

/* A wl_buffer for buffer b: LINEAR first, then the implicit modifier. */
static void make_wl_buffer(struct state *s, struct buffer *b) {
  const uint64_t modifiers[] = {DRM_FORMAT_MOD_LINEAR, DRM_FORMAT_MOD_INVALID};
  for (size_t m = 0; m < 2 && !b->wl; ++m) {
    struct zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(s->dmabuf);
    zwp_linux_buffer_params_v1_add(params, b->prime_fd, 0, 0, b->pitch, modifiers[m] >> 32,
                                   modifiers[m] & 0xffffffff);
    zwp_linux_buffer_params_v1_add_listener(params, &params_listener, s);
    zwp_linux_buffer_params_v1_create(params, s->width, s->height, DRM_FORMAT_XRGB8888, 0);
    s->import_done = false;
    while (!s->import_done)
      if (wl_display_dispatch(s->c.display) < 0) {
        if (tc_report_protocol_error(&s->c)) exit(0);
        tc_die("connection lost while importing a dmabuf");
      }
  }
  if (!b->wl) tc_die("the compositor could not import a %dx%d XRGB8888 dumb buffer", s->width, s->height);
}

static void buffer_release(void *data, struct wl_buffer *wl) {
  struct buffer *b = data;
  if (b->release_eventfd < 0) return;
  printf("released %d %.3f\n", b->frame, now_ms());
  close(b->release_eventfd);
  b->release_eventfd = -1;
}
static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

static void make_buffer(struct state *s, struct buffer *b) {
  struct drm_mode_create_dumb create = {.width = s->width, .height = s->height, .bpp = 32};
  if (drmIoctl(s->drm_fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) != 0)
    tc_die("DRM_IOCTL_MODE_CREATE_DUMB: %s", strerror(errno));
  struct drm_mode_map_dumb map = {.handle = create.handle};
  if (drmIoctl(s->drm_fd, DRM_IOCTL_MODE_MAP_DUMB, &map) != 0) tc_die("DRM_IOCTL_MODE_MAP_DUMB: %s", strerror(errno));
  b->pixels = mmap(NULL, create.size, PROT_READ | PROT_WRITE, MAP_SHARED, s->drm_fd, map.offset);
  if (b->pixels == MAP_FAILED) tc_die("mmap of a dumb buffer: %s", strerror(errno));
  b->handle = create.handle;
  b->size = create.size;
  b->pitch = create.pitch;
  if (drmPrimeHandleToFD(s->drm_fd, b->handle, DRM_CLOEXEC | DRM_RDWR, &b->prime_fd) != 0)
    tc_die("drmPrimeHandleToFD: %s", strerror(errno));
  make_wl_buffer(s, b);
  b->release_eventfd = -1;
  if (s->no_sync) {
    wl_buffer_add_listener(b->wl, &buffer_listener, b);
    return;
  }
  b->release_syncobj = new_timeline(s, &b->release_timeline);
}

static void fill(struct buffer *b, int w, int h, uint32_t rgb) {
  struct dma_buf_sync sync = {.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE};
  ioctl(b->prime_fd, DMA_BUF_IOCTL_SYNC, &sync);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) b->pixels[y * (b->pitch / 4) + x] = 0xff000000u | rgb;
  sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE;
  ioctl(b->prime_fd, DMA_BUF_IOCTL_SYNC, &sync);
}

/* --- presentation feedback --------------------------------------------------------- */

static void fb_sync_output(void *data, struct wp_presentation_feedback *fb, struct wl_output *output) {}
static void fb_presented(void *data, struct wp_presentation_feedback *fb, uint32_t tv_sec_hi, uint32_t tv_sec_lo,
                         uint32_t tv_nsec, uint32_t refresh, uint32_t seq_hi, uint32_t seq_lo, uint32_t flags);
static void fb_discarded(void *data, struct wp_presentation_feedback *fb) {
  printf("discarded %d\n", (int)(intptr_t)data);
  wp_presentation_feedback_destroy(fb);
}
static const struct wp_presentation_feedback_listener feedback_listener = {
    .sync_output = fb_sync_output, .presented = fb_presented, .discarded = fb_discarded};

static struct state *the_state; /* for the animation, driven from feedback */
static void commit_frame(struct state *s, uint32_t rgb, bool ready, double target_ms);

static void fb_presented(void *data, struct wp_presentation_feedback *fb, uint32_t tv_sec_hi, uint32_t tv_sec_lo,
                         uint32_t tv_nsec, uint32_t refresh, uint32_t seq_hi, uint32_t seq_lo, uint32_t flags) {
  int frame = (int)(intptr_t)data;
  double t = (((uint64_t)tv_sec_hi << 32) | tv_sec_lo) * 1e3 + tv_nsec / 1e6;
  printf("presented %d %.3f\n", frame, t);
  wp_presentation_feedback_destroy(fb);
  struct state *s = the_state;
  if (s->animating && frame == s->frames) commit_frame(s, s->animate[frame % 2], true, -1);
}

/* --- frames --------------------------------------------------------------------------- */

static struct buffer *free_buffer(struct state *s) {
  for (int i = 0; i < NBUF; ++i)
    if (s->buffers[i].release_eventfd < 0) return &s->buffers[i];
  return NULL;
}

static int new_fence(struct state *s) {
  struct sw_sync_create_fence_data data = {.value = ++s->sw_sync_value};
  snprintf(data.name, sizeof data.name, "syncobj-client-%u", data.value);
  if (ioctl(s->sw_sync_fd, SW_SYNC_IOC_CREATE_FENCE, &data) != 0) tc_die("sw_sync fence: %s", strerror(errno));
  return data.fence;
}

/* The next acquire point: an unsignalled sw_sync fence, or signalled at once. */
static uint64_t next_acquire_point(struct state *s, bool ready) {
  uint64_t point = ++s->acquire_point;
  if (ready) {
    if (drmSyncobjTimelineSignal(s->drm_fd, &s->acquire_syncobj, &point, 1) != 0)
      tc_die("drmSyncobjTimelineSignal: %s", strerror(errno));
    return point;
  }
  if (s->sw_sync_fd < 0) tc_die("sw_sync is not available (root, debugfs, module sw_sync)");
  int fence = new_fence(s);
  uint32_t temporary;
  if (drmSyncobjCreate(s->drm_fd, 0, &temporary) != 0 || drmSyncobjImportSyncFile(s->drm_fd, temporary, fence) != 0 ||
      drmSyncobjTransfer(s->drm_fd, s->acquire_syncobj, point, temporary, 0, 0) != 0)
    tc_die("importing a sw_sync fence into the acquire timeline: %s", strerror(errno));
  drmSyncobjDestroy(s->drm_fd, temporary);
  close(fence);
  return point;
}

/* target_ms >= 0: a commit-timing target that many ms from now. */
static void commit_frame(struct state *s, uint32_t rgb, bool ready, double target_ms) {
  struct buffer *b = free_buffer(s);
  if (!b) {
    printf("error no free buffer (all %d wait for their release point)\n", NBUF);
    return;
  }
  if (s->frames + 1 >= MAX_FRAMES) {
    printf("error too many frames\n");
    return;
  }
  int frame = ++s->frames;
  fill(b, s->width, s->height, rgb);
  uint64_t acquire = s->no_sync ? 0 : next_acquire_point(s, ready);
  s->frame_sw_value[frame] = ready ? 0 : (int)s->sw_sync_value;
  b->frame = frame;
  if (s->no_sync) {
    b->release_eventfd = eventfd(0, EFD_CLOEXEC);  /* only marks it busy: wl_buffer.release frees it */
  } else {
    b->release_point++;
    b->release_eventfd = eventfd(0, EFD_CLOEXEC);
    if (drmSyncobjEventfd(s->drm_fd, b->release_syncobj, b->release_point, b->release_eventfd, 0) != 0)
      tc_die("drmSyncobjEventfd: %s", strerror(errno));
    wp_linux_drm_syncobj_surface_v1_set_acquire_point(s->sync_surface, s->acquire_timeline, acquire >> 32,
                                                      acquire & 0xffffffff);
    wp_linux_drm_syncobj_surface_v1_set_release_point(s->sync_surface, b->release_timeline,
                                                      b->release_point >> 32, b->release_point & 0xffffffff);
  }
  wl_surface_attach(s->surface, b->wl, 0, 0);
  wl_surface_damage_buffer(s->surface, 0, 0, s->width, s->height);
  if (s->fifo) {
    wp_fifo_v1_set_barrier(s->fifo);
    wp_fifo_v1_wait_barrier(s->fifo);
  }
  if (target_ms >= 0) {
    if (!s->timer) tc_die("no wp_commit_timing_manager_v1");
    int64_t target = now_ns_on(s->clock) + (int64_t)(target_ms * 1e6);
    uint64_t sec = (uint64_t)(target / 1000000000);
    wp_commit_timer_v1_set_timestamp(s->timer, (uint32_t)(sec >> 32), (uint32_t)sec, (uint32_t)(target % 1000000000));
    printf("target %d %.3f\n", frame, target / 1e6);
  }
  if (s->presentation) {
    struct wp_presentation_feedback *fb = wp_presentation_feedback(s->presentation, s->surface);
    wp_presentation_feedback_add_listener(fb, &feedback_listener, (void *)(intptr_t)frame);
  }
  wl_surface_commit(s->surface);
  printf("committed %d buffer %d\n", frame, (int)(b - s->buffers));
}

/* Signals the oldest unsignalled sw_sync fence (one step of the timeline). */
static void signal_next(struct state *s) {
  if (s->sw_sync_signalled >= s->sw_sync_value) {
    printf("error nothing to signal\n");
    return;
  }
  uint32_t one = 1;
  if (ioctl(s->sw_sync_fd, SW_SYNC_IOC_INC, &one) != 0) tc_die("sw_sync inc: %s", strerror(errno));
  s->sw_sync_signalled++;
  for (int f = 1; f <= s->frames; ++f)
    if (s->frame_sw_value[f] == (int)s->sw_sync_signalled) printf("signalled %d %.3f\n", f, now_ms());
}

static void check_releases(struct state *s, struct pollfd *fds, int first) {
  for (int i = 0; i < NBUF; ++i) {
    struct pollfd *p = &fds[first + i];
    if (p->fd < 0 || !(p->revents & POLLIN)) continue;
    struct buffer *b = &s->buffers[i];
    printf("released %d %.3f\n", b->frame, now_ms());
    close(b->release_eventfd);
    b->release_eventfd = -1;
  }
}

static void command(struct state *s, char *line) {
  line[strcspn(line, "\r\n")] = 0;
  uint32_t rgb;
  char colour[16];
  double target_ms = -1;
  bool ready = strncmp(line, "commit-ready ", 13) == 0;
  if ((ready || strncmp(line, "commit ", 7) == 0) &&
      sscanf(line + (ready ? 13 : 7), "%15s %lf", colour, &target_ms) >= 1 && tc_parse_color(colour, &rgb))
    commit_frame(s, rgb, ready, target_ms);
  else if (strcmp(line, "signal") == 0) signal_next(s);
  else if (strcmp(line, "drop-timelines") == 0) {
    wp_linux_drm_syncobj_timeline_v1_destroy(s->acquire_timeline);
    for (int i = 0; i < NBUF; ++i) wp_linux_drm_syncobj_timeline_v1_destroy(s->buffers[i].release_timeline);
    printf("dropped timelines\n");
  } else if (strcmp(line, "drop-sync-surface") == 0) {
    wp_linux_drm_syncobj_surface_v1_destroy(s->sync_surface);
    printf("dropped sync surface\n");
  } else if (strcmp(line, "quit") == 0) s->quit = true;
  else if (*line) printf("error unknown command '%s'\n", line);
}

/* --- provoked protocol errors ----------------------------------------------------- */

static void set_points(struct state *s, struct wp_linux_drm_syncobj_surface_v1 *sync, bool acquire, bool release) {
  if (acquire) wp_linux_drm_syncobj_surface_v1_set_acquire_point(sync, s->acquire_timeline, 0, 1);
  if (release) wp_linux_drm_syncobj_surface_v1_set_release_point(sync, s->buffers[0].release_timeline, 0, 1);
}

static void provoke(struct state *s, const char *kind) {
  if (strcmp(kind, "surface_exists") == 0) {
    wp_linux_drm_syncobj_manager_v1_get_surface(s->syncobj_manager, s->surface);
  } else if (strcmp(kind, "no_surface") == 0) {
    xdg_toplevel_destroy(s->toplevel);
    xdg_surface_destroy(s->xdg_surface);
    wl_surface_destroy(s->surface);
    set_points(s, s->sync_surface, true, false);
  } else if (strcmp(kind, "invalid_timeline") == 0) {
    int not_a_syncobj = eventfd(0, EFD_CLOEXEC);
    wp_linux_drm_syncobj_manager_v1_import_timeline(s->syncobj_manager, not_a_syncobj);
    close(not_a_syncobj);
  } else if (strcmp(kind, "unsupported_buffer") == 0) {
    set_points(s, s->sync_surface, true, true);
    wl_surface_attach(s->surface, tc_solid_buffer(&s->c, s->width, s->height, 0x808080), 0, 0);
    wl_surface_commit(s->surface);
  } else if (strcmp(kind, "no_buffer") == 0) {
    set_points(s, s->sync_surface, true, true);
    wl_surface_commit(s->surface);
  } else if (strcmp(kind, "no_acquire_point") == 0) {
    set_points(s, s->sync_surface, false, true);
    wl_surface_attach(s->surface, s->buffers[0].wl, 0, 0);
    wl_surface_commit(s->surface);
  } else if (strcmp(kind, "no_release_point") == 0) {
    set_points(s, s->sync_surface, true, false);
    wl_surface_attach(s->surface, s->buffers[0].wl, 0, 0);
    wl_surface_commit(s->surface);
  } else if (strcmp(kind, "conflicting_points") == 0) {
    wp_linux_drm_syncobj_surface_v1_set_acquire_point(s->sync_surface, s->acquire_timeline, 0, 5);
    wp_linux_drm_syncobj_surface_v1_set_release_point(s->sync_surface, s->acquire_timeline, 0, 5);
    wl_surface_attach(s->surface, s->buffers[0].wl, 0, 0);
    wl_surface_commit(s->surface);
  } else {
    tc_die("unknown --error kind '%s'", kind);
  }
  if (wl_display_roundtrip(s->c.display) < 0 && tc_report_protocol_error(&s->c)) exit(0);
  printf("no-error\n");
  exit(1);
}

/* --- xdg-shell ------------------------------------------------------------------------ */

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial) {
  struct state *s = data;
  xdg_surface_ack_configure(xdg_surface, serial);
  s->configured = true;
}
static const struct xdg_surface_listener xdg_surface_listener = {.configure = xdg_surface_configure};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t w, int32_t h,
                               struct wl_array *states) {
  struct state *s = data;
  if (!s->width) {  /* the size is fixed once buffers exist */
    s->width = w > 0 ? w : s->want_w;
    s->height = h > 0 ? h : s->want_h;
  }
}
static void toplevel_close(void *data, struct xdg_toplevel *toplevel) { ((struct state *)data)->quit = true; }
static const struct xdg_toplevel_listener toplevel_listener = {.configure = toplevel_configure,
                                                               .close = toplevel_close};

int main(int argc, char **argv) {
  static struct state state = {.drm_fd = -1, .sw_sync_fd = -1, .want_w = 320, .want_h = 240, .clock = CLOCK_MONOTONIC};
  struct state *s = &state;
  the_state = s;
  const char *card = NULL, *error_kind = NULL;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--card") == 0 && i + 1 < argc) card = argv[++i];
    else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc && tc_parse_size(argv[i + 1], &s->want_w, &s->want_h)) ++i;
    else if (strcmp(argv[i], "--fullscreen") == 0) s->fullscreen = true;
    else if (strcmp(argv[i], "--no-sync") == 0) s->no_sync = true;
    else if (strcmp(argv[i], "--fifo") == 0) s->use_fifo = true;
    else if (strcmp(argv[i], "--error") == 0 && i + 1 < argc) error_kind = argv[++i];
    else if (strcmp(argv[i], "--animate") == 0 && i + 1 < argc) {
      char *comma = strchr(argv[++i], ',');
      if (!comma) tc_die("--animate wants RRGGBB,RRGGBB");
      *comma = 0;
      if (!tc_parse_color(argv[i], &s->animate[0]) || !tc_parse_color(comma + 1, &s->animate[1]))
        tc_die("--animate wants RRGGBB,RRGGBB");
      s->animating = true;
    } else tc_die("usage: syncobj-client --card PATH [--size WxH] [--fullscreen] [--fifo] [--animate A,B] [--error KIND]");
  }
  if (!card) tc_die("--card is required");
  s->drm_fd = open(card, O_RDWR | O_CLOEXEC);
  if (s->drm_fd < 0) tc_die("cannot open %s: %s", card, strerror(errno));
  s->sw_sync_fd = open("/sys/kernel/debug/sync/sw_sync", O_RDWR | O_CLOEXEC);  /* -1: only commit-ready */

  tc_connect(&s->c);
  struct wl_registry *registry = wl_display_get_registry(s->c.display);
  wl_registry_add_listener(registry, &registry_listener, s);
  wl_display_roundtrip(s->c.display);
  if (!s->dmabuf) tc_die("no zwp_linux_dmabuf_v1 (version 3 or later)");
  if (!s->syncobj_manager && !s->no_sync) tc_die("no wp_linux_drm_syncobj_manager_v1");
  if (!s->c.wm_base) tc_die("no xdg_wm_base");
  if (s->use_fifo && !s->fifo_manager) tc_die("no wp_fifo_manager_v1");

  s->surface = wl_compositor_create_surface(s->c.compositor);
  if (!s->no_sync) s->sync_surface = wp_linux_drm_syncobj_manager_v1_get_surface(s->syncobj_manager, s->surface);
  if (s->use_fifo) s->fifo = wp_fifo_manager_v1_get_fifo(s->fifo_manager, s->surface);
  if (s->timing_manager) s->timer = wp_commit_timing_manager_v1_get_timer(s->timing_manager, s->surface);
  s->xdg_surface = xdg_wm_base_get_xdg_surface(s->c.wm_base, s->surface);
  xdg_surface_add_listener(s->xdg_surface, &xdg_surface_listener, s);
  s->toplevel = xdg_surface_get_toplevel(s->xdg_surface);
  xdg_toplevel_add_listener(s->toplevel, &toplevel_listener, s);
  xdg_toplevel_set_title(s->toplevel, "syncobj-client");
  if (s->fullscreen) xdg_toplevel_set_fullscreen(s->toplevel, NULL);
  wl_surface_commit(s->surface);
  while (!s->configured)
    if (wl_display_dispatch(s->c.display) < 0) tc_die("connection lost before the first configure");

  if (!s->no_sync) s->acquire_syncobj = new_timeline(s, &s->acquire_timeline);
  for (int i = 0; i < NBUF; ++i) make_buffer(s, &s->buffers[i]);
  if (wl_display_roundtrip(s->c.display) < 0) {
    if (tc_report_protocol_error(&s->c)) return 0;
    tc_die("roundtrip failed");
  }
  printf("ready %d %d\n", s->width, s->height);
  if (error_kind) provoke(s, error_kind);
  if (s->animating) commit_frame(s, s->animate[0], true, -1);

  char line[256];
  size_t used = 0;
  bool stdin_open = !s->animating;
  while (!s->quit) {
    while (wl_display_prepare_read(s->c.display) != 0) wl_display_dispatch_pending(s->c.display);
    wl_display_flush(s->c.display);
    struct pollfd fds[2 + NBUF] = {{.fd = wl_display_get_fd(s->c.display), .events = POLLIN},
                                   {.fd = stdin_open ? 0 : -1, .events = POLLIN}};
    for (int i = 0; i < NBUF; ++i)
      fds[2 + i] = (struct pollfd){.fd = s->no_sync ? -1 : s->buffers[i].release_eventfd, .events = POLLIN};
    if (poll(fds, 2 + NBUF, -1) < 0 && errno != EINTR) tc_die("poll: %s", strerror(errno));
    if (fds[0].revents & POLLIN) wl_display_read_events(s->c.display);
    else wl_display_cancel_read(s->c.display);
    if (wl_display_dispatch_pending(s->c.display) < 0) {
      if (tc_report_protocol_error(&s->c)) return 0;
      tc_die("connection lost");
    }
    check_releases(s, fds, 2);
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(0, line + used, sizeof line - 1 - used);
      if (n <= 0) {
        stdin_open = false;
        s->quit = true;
      } else {
        used += n;
        line[used] = 0;
        char *nl;
        while ((nl = strchr(line, '\n'))) {
          *nl = 0;
          command(s, line);
          memmove(line, nl + 1, used - (nl + 1 - line) + 1);
          used -= nl + 1 - line;
        }
        if (used == sizeof line - 1) used = 0;  /* an overlong line: drop it */
      }
    }
    wl_display_flush(s->c.display);
  }
  return 0;
}
