/* dmabuf-client: an xdg_toplevel showing one colour from linux-dmabuf buffers
 * (allocated with GBM), reporting the dmabuf feedback it gets — the test client
 * of tranche's scanout path (tests/vm/scanout.py, bench/vm-scanout).
 *
 *   dmabuf-client [--app-id ID] [--title T] [--fullscreen] [--size WxH]
 *                 [--color RRGGBB] [--format FOURCC] [--modifier linear|invalid|0xHEX]
 *                 [--x-byte 0xNN] [--shm] [--transform N] [--immed] [--device PATH]
 *                 [--follow-feedback] [--frames N] [--seconds S]
 *                 [--change-after MS [--then-transform N] [--then-format FOURCC]]
 *                 [--bad CASE[,CASE...]] [--output NAME] [--dmabuf-version 4|5|6]
 *
 * --output NAME: fullscreen on the output of that name (implies --fullscreen).
 * --dmabuf-version: the zwp_linux_dmabuf_v1 version to bind (default 4). From
 * 6 there is no main_device: the device is the first sampling tranche's, and
 * feedback lines carry "sampling_device" (main_device then reads 0).
 * Buffers: --format (default XR24) with --modifier (default linear), allocated
 * with GBM on the DRM node of the feedback's main device (the /dev/dri node
 * whose st_rdev is main_device; --device overrides): gbm_bo_create for linear
 * (GBM_BO_USE_LINEAR | GBM_BO_USE_SCANOUT), gbm_bo_create_with_modifiers2
 * otherwise. --x-byte fills the unused byte of XR24/XB24 pixels (composition
 * writes 0xff there; direct scanout keeps the client's byte). --shm draws into
 * wl_shm buffers instead (XRGB8888 unless --format AR24) and still asks for
 * surface feedback. --transform sets wl_surface.set_buffer_transform (buffer
 * width and height swap for 90/270). --immed uses create_immed.
 * --follow-feedback: like a real client, when the surface feedback's first
 * (preferred) tranche lacks the buffers' format/modifier, reallocate with the
 * first pair of the first tranche that GBM can allocate. --change-after MS: MS ms after mapping, switch to --then-transform
 * and/or --then-format and print "changed TIME_MS".
 *
 * By default it draws once and stays. --frames N (0: no limit) / --seconds S
 * redraw at every frame callback (so planes are re-evaluated each frame) and
 * exit 0 after N frames / S seconds, printing "done FRAMES SECONDS".
 *
 * Output on stdout, one line each (tests parse them; TIME_MS is CLOCK_MONOTONIC):
 *   {"event":"feedback","scope":"default|surface","time_ms":T,"main_device":N,
 *    "tranches":[{"target_device":N,"flags":F,"formats":[["XR24","0x0"],...]}]}
 *                             one per feedback `done`
 *   device PATH               the node buffers are allocated on
 *   configured W H            the surface size it acts on (each configure)
 *   alloc FOURCC MODIFIER W H buffers (re)allocated with this format, modifier
 *                             and buffer size ("shm" for wl_shm buffers)
 *   created / failed          a dmabuf params' outcome
 *   mapped T                  the first buffer is committed
 *   changed T                 --change-after took effect
 *   follow FOURCC MODIFIER    --follow-feedback reallocates with these
 *   frame N T                 the Nth frame callback (when redrawing)
 *   presented ZERO_COPY T     wp_presentation feedback of a redraw: shown,
 *                             ZERO_COPY 1 when flagged zero_copy, else 0
 *   discarded T               ... replaced before it was shown
 *   presentation P Z D        before "done": the counts of the above
 *   error INTERFACE CODE      the connection died of a protocol error
 *
 * --bad CASE[,CASE...] tries broken imports, each case on a connection of its
 * own (once its toplevel is configured): prints "case CASE", its outcome
 * ("created", "failed" or "error INTERFACE CODE") and, when a buffer was
 * created, attaches it, commits and waits up to 5 s for the frame callback
 * ("mapped T", then "frame 1 T" or "no-frame"), then "bad-done CASE"; exits 0
 * after the last case. The test judges each outcome against the spec. Cases:
 *   no-planes        create with no plane added               (spec: INCOMPLETE)
 *   gap              only plane 1 added                       (INCOMPLETE)
 *   extra-plane      planes 0 and 1 for single-plane XR24     (INCOMPLETE or failed)
 *   plane-idx        add with plane_idx 4                     (PLANE_IDX)
 *   plane-set        plane 0 added twice                      (PLANE_SET)
 *   already-used     create twice on the same params          (ALREADY_USED)
 *   zero-size        width 0                                  (INVALID_DIMENSIONS)
 *   offset-overflow  offset 0xfffffff0                        (OUT_OF_BOUNDS)
 *   stride-overflow  stride 0x80000000, so stride * height overflows 32 bits
 *   too-small        a 64x64 buffer created as 64x4096        (OUT_OF_BOUNDS)
 *   pipe-fd          the fd of a pipe instead of a dma-buf    (failed)
 *   devnull-fd       an fd of /dev/null                       (failed or OUT_OF_BOUNDS)
 *   bad-format       a fourcc nobody knows ("TR99")           (INVALID_FORMAT, v4)
 *   bad-modifier     XR24 with I915 X-tiling                  (INVALID_FORMAT, v4)
 *   dev-t-size       v6 set_sampling_device with 4 bytes     (INVALID_DEV_T_SIZE)
 *   udmabuf          a valid XR24 dma-buf from /dev/udmabuf (a memfd), another device
 *   vgem             a valid XR24 dumb buffer exported from vgem, another device
 * Exit status: 0, or 1 on an unexpected error (a protocol error outside --bad,
 * allocation failure), 2 for usage errors. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <drm.h>
#include <drm_fourcc.h>
#include <gbm.h>
#include <linux/udmabuf.h>
#include <xf86drm.h>

#include "common.h"
#include "linux-dmabuf-v1-client-protocol.h"
#include "presentation-time-client-protocol.h"

#define MAX_BUFFERS 3
#define MAX_TRANCHES 16
#define MAX_TRANCHE_FORMATS 1024

struct state;

struct buffer {
  struct state *state;
  struct wl_buffer *wl;
  struct gbm_bo *bo;
  bool busy;
};

struct tranche {
  dev_t target_device;
  uint32_t flags;
  size_t count;
  uint16_t indices[MAX_TRANCHE_FORMATS];
};

struct format_entry {
  uint32_t format;
  uint32_t padding;
  uint64_t modifier;
};

struct feedback {
  const char *scope;
  struct zwp_linux_dmabuf_feedback_v1 *proxy;
  struct format_entry *table;  // mmapped format table
  size_t table_len;
  dev_t main_device;     // before v6
  dev_t sampling_device;  // v6: the first tranche with the sampling flag
  dev_t pending_sampling;  // ... of the feedback being received
  struct tranche pending;
  struct tranche tranches[MAX_TRANCHES];
  size_t count;  // tranches collected since the last done
  int dones;
  struct state *state;
};

struct state {
  struct test_client c;
  struct zwp_linux_dmabuf_v1 *dmabuf;
  int dmabuf_version;  // bound: --dmabuf-version
  struct wl_surface *surface;
  struct xdg_surface *xdg_surface;
  struct xdg_toplevel *toplevel;
  struct feedback default_fb, surface_fb;
  struct wp_presentation *presentation;
  long presented, zero_copy, discarded;

  // options
  const char *app_id, *title, *device_path, *bad, *output_name;
  bool fullscreen, shm, immed, follow, redraw;
  int want_w, want_h;
  uint32_t color, x_byte, format;
  uint64_t modifier;
  int transform;
  long max_frames;
  double max_seconds;
  long change_after_ms;
  int then_transform;
  uint32_t then_format;

  // running state
  int drm_fd;
  struct gbm_device *gbm;
  int pending_w, pending_h;  // from the latest xdg_toplevel.configure
  int surf_w, surf_h;        // the surface size acted on
  struct buffer buffers[MAX_BUFFERS];
  uint32_t buf_format;
  uint64_t buf_modifier;
  int buf_w, buf_h;
  bool configured, mapped, closed, changed, frame_pending;
  long frames;
  double mapped_ms;
  int params_outcome;  // 0 pending, 1 created, -1 failed
  struct wl_buffer *params_buffer;
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *fourcc_str(uint32_t f, char out[5]) {
  for (int i = 0; i < 4; i++) {
    char ch = (char)((f >> (8 * i)) & 0xff);
    out[i] = (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') ? ch : '?';
  }
  out[4] = '\0';
  return out;
}

static bool parse_fourcc(const char *s, uint32_t *out) {
  if (strlen(s) != 4) return false;
  *out = fourcc_code(s[0], s[1], s[2], s[3]);
  return true;
}

// ------------------------------------------------------------------ feedback

static void fb_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *proxy);

static void fb_format_table(void *data, struct zwp_linux_dmabuf_feedback_v1 *proxy, int32_t fd,
                            uint32_t size) {
  struct feedback *fb = data;
  if (fb->table) munmap(fb->table, fb->table_len * sizeof(struct format_entry));
  fb->table = NULL;
  fb->table_len = 0;
  void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) {
    printf("warning format table mmap failed: %s\n", strerror(errno));
    return;
  }
  fb->table = map;
  fb->table_len = size / sizeof(struct format_entry);
}

static dev_t dev_from_array(struct wl_array *a) {
  dev_t dev = 0;
  if (a->size == sizeof(dev)) memcpy(&dev, a->data, sizeof(dev));
  return dev;
}

static void fb_main_device(void *data, struct zwp_linux_dmabuf_feedback_v1 *proxy, struct wl_array *dev) {
  struct feedback *fb = data;
  fb->main_device = dev_from_array(dev);
}

static void fb_tranche_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *proxy) {
  struct feedback *fb = data;
  if (!fb->pending_sampling && (fb->pending.flags & ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SAMPLING))
    fb->pending_sampling = fb->pending.target_device;
  if (fb->count < MAX_TRANCHES) fb->tranches[fb->count++] = fb->pending;
  memset(&fb->pending, 0, sizeof(fb->pending));
}

static void fb_tranche_target_device(void *data, struct zwp_linux_dmabuf_feedback_v1 *proxy,
                                     struct wl_array *dev) {
  struct feedback *fb = data;
  fb->pending.target_device = dev_from_array(dev);
}

static void fb_tranche_formats(void *data, struct zwp_linux_dmabuf_feedback_v1 *proxy,
                               struct wl_array *indices) {
  struct feedback *fb = data;
  uint16_t *idx;
  wl_array_for_each(idx, indices) {
    if (fb->pending.count < MAX_TRANCHE_FORMATS) fb->pending.indices[fb->pending.count++] = *idx;
  }
}

static void fb_tranche_flags(void *data, struct zwp_linux_dmabuf_feedback_v1 *proxy, uint32_t flags) {
  struct feedback *fb = data;
  fb->pending.flags = flags;
}

static const struct zwp_linux_dmabuf_feedback_v1_listener feedback_listener = {
    .done = fb_done,
    .format_table = fb_format_table,
    .main_device = fb_main_device,
    .tranche_done = fb_tranche_done,
    .tranche_target_device = fb_tranche_target_device,
    .tranche_formats = fb_tranche_formats,
    .tranche_flags = fb_tranche_flags,
};

// The tranches as JSON (malloc'd).
static char *tranches_json(const struct feedback *fb) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  fputc('[', f);
  for (size_t t = 0; t < fb->count; t++) {
    const struct tranche *tr = &fb->tranches[t];
    fprintf(f, "%s{\"target_device\":%" PRIu64 ",\"flags\":%u,\"formats\":[", t ? "," : "",
            (uint64_t)tr->target_device, tr->flags);
    for (size_t i = 0; i < tr->count; i++) {
      char name[5];
      if (tr->indices[i] >= fb->table_len) {
        fprintf(f, "%s[\"bad-index-%u\",\"\"]", i ? "," : "", tr->indices[i]);
        continue;
      }
      const struct format_entry *e = &fb->table[tr->indices[i]];
      fprintf(f, "%s[\"%s\",\"0x%" PRIx64 "\"]", i ? "," : "", fourcc_str(e->format, name), e->modifier);
    }
    fputs("]}", f);
  }
  fputc(']', f);
  fclose(f);
  return out;
}

// ------------------------------------------------------------------ allocation

// The DRM node (/dev/dri/*) whose device number is dev; NULL when none.
static char *node_of_device(dev_t dev) {
  DIR *dir = opendir("/dev/dri");
  if (!dir) return NULL;
  char *found = NULL;
  struct dirent *e;
  while (!found && (e = readdir(dir))) {
    char path[300];
    struct stat st;
    snprintf(path, sizeof(path), "/dev/dri/%s", e->d_name);
    if (stat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == dev) found = strdup(path);
  }
  closedir(dir);
  return found;
}

// The first card node whose DRM driver is `driver` (vgem, ...); NULL when none.
static char *card_of_driver(const char *driver) {
  for (int i = 0; i < 64; i++) {
    char *path;
    if (asprintf(&path, "/dev/dri/card%d", i) < 0) return NULL;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    drmVersionPtr version = fd >= 0 ? drmGetVersion(fd) : NULL;
    bool match = version && strcmp(version->name, driver) == 0;
    if (version) drmFreeVersion(version);
    if (fd >= 0) close(fd);
    if (match) return path;
    free(path);
  }
  return NULL;
}

static void open_device(struct state *s) {
  dev_t dev = s->dmabuf_version >= 6 ? s->default_fb.sampling_device : s->default_fb.main_device;
  char *path = s->device_path ? strdup(s->device_path) : node_of_device(dev);
  if (!path) tc_die("no /dev/dri node for the %s device %u:%u", s->dmabuf_version >= 6 ? "sampling" : "main",
                    major(dev), minor(dev));
  s->drm_fd = open(path, O_RDWR | O_CLOEXEC);
  if (s->drm_fd < 0) tc_die("open %s: %s", path, strerror(errno));
  s->gbm = gbm_create_device(s->drm_fd);
  if (!s->gbm) tc_die("gbm_create_device(%s) failed", path);
  printf("device %s\n", path);
  free(path);
}

// The pixel value of s->color in `format` (32-bit formats; RG16 in the low half).
static uint32_t pixel_value(const struct state *s, uint32_t format) {
  uint32_t r = (s->color >> 16) & 0xff, g = (s->color >> 8) & 0xff, b = s->color & 0xff;
  switch (format) {
    case DRM_FORMAT_XRGB8888: return s->x_byte << 24 | r << 16 | g << 8 | b;
    case DRM_FORMAT_ARGB8888: return 0xffu << 24 | r << 16 | g << 8 | b;
    case DRM_FORMAT_XBGR8888: return s->x_byte << 24 | b << 16 | g << 8 | r;
    case DRM_FORMAT_ABGR8888: return 0xffu << 24 | b << 16 | g << 8 | r;
    case DRM_FORMAT_RGB565: return (r >> 3) << 11 | (g >> 2) << 5 | (b >> 3);
    case DRM_FORMAT_BGR565: return (b >> 3) << 11 | (g >> 2) << 5 | (r >> 3);
    // 10 bits a channel: a format vkms's planes do not scan out (Linux 7.2).
    case DRM_FORMAT_XRGB2101010: return (s->x_byte >> 6) << 30 | (r << 2 | r >> 6) << 20 | (g << 2 | g >> 6) << 10 | (b << 2 | b >> 6);
    case DRM_FORMAT_ARGB2101010: return 3u << 30 | (r << 2 | r >> 6) << 20 | (g << 2 | g >> 6) << 10 | (b << 2 | b >> 6);
    default: return 0;
  }
}

// The formats pixel_value() can draw in.
static bool can_draw(uint32_t format) {
  switch (format) {
    case DRM_FORMAT_XRGB8888: case DRM_FORMAT_ARGB8888: case DRM_FORMAT_XBGR8888: case DRM_FORMAT_ABGR8888:
    case DRM_FORMAT_RGB565: case DRM_FORMAT_BGR565: case DRM_FORMAT_XRGB2101010: case DRM_FORMAT_ARGB2101010:
      return true;
    default: return false;
  }
}

static int bytes_per_pixel(uint32_t format) {
  return (format == DRM_FORMAT_RGB565 || format == DRM_FORMAT_BGR565) ? 2 : 4;
}

static void fill(void *map, uint32_t stride, int w, int h, uint32_t format, uint32_t value) {
  for (int y = 0; y < h; y++) {
    uint8_t *row = (uint8_t *)map + (size_t)y * stride;
    if (bytes_per_pixel(format) == 2) {
      for (int x = 0; x < w; x++) ((uint16_t *)row)[x] = (uint16_t)value;
    } else {
      for (int x = 0; x < w; x++) ((uint32_t *)row)[x] = value;
    }
  }
}

// A GBM buffer object of the format/modifier, filled with the colour; NULL when
// GBM cannot allocate it.
static struct gbm_bo *alloc_bo(struct state *s, int w, int h, uint32_t format, uint64_t modifier) {
  struct gbm_bo *bo;
  if (modifier == DRM_FORMAT_MOD_LINEAR) {
    bo = gbm_bo_create(s->gbm, w, h, format, GBM_BO_USE_LINEAR | GBM_BO_USE_SCANOUT);
  } else if (modifier == DRM_FORMAT_MOD_INVALID) {
    bo = gbm_bo_create(s->gbm, w, h, format, GBM_BO_USE_RENDERING);
  } else {
    bo = gbm_bo_create_with_modifiers2(s->gbm, w, h, format, &modifier, 1, GBM_BO_USE_RENDERING);
  }
  if (!bo) return NULL;
  uint32_t stride = 0;
  void *map_data = NULL;
  void *map = gbm_bo_map(bo, 0, 0, w, h, GBM_BO_TRANSFER_WRITE, &stride, &map_data);
  if (!map) {
    gbm_bo_destroy(bo);
    return NULL;
  }
  fill(map, stride, w, h, format, pixel_value(s, format));
  gbm_bo_unmap(bo, map_data);
  return bo;
}

static void params_created(void *data, struct zwp_linux_buffer_params_v1 *params, struct wl_buffer *buffer) {
  struct state *s = data;
  s->params_outcome = 1;
  s->params_buffer = buffer;
}

static void params_failed(void *data, struct zwp_linux_buffer_params_v1 *params) {
  struct state *s = data;
  s->params_outcome = -1;
}

static const struct zwp_linux_buffer_params_v1_listener params_listener = {
    .created = params_created,
    .failed = params_failed,
};

static _Noreturn void die_of_connection(struct state *s);

// Waits (bounded) for the outcome of a params object after create/create_immed:
// 1 created, -1 failed. For create_immed, no event within a roundtrip is success.
static int params_outcome(struct state *s, bool immed) {
  if (wl_display_roundtrip(s->c.display) < 0) die_of_connection(s);
  double deadline = now_ms() + 10000;
  while (!immed && s->params_outcome == 0 && now_ms() < deadline) {
    if (wl_display_roundtrip(s->c.display) < 0) die_of_connection(s);
  }
  return s->params_outcome == 0 ? (immed ? 1 : 0) : s->params_outcome;
}

// A wl_buffer for the bo through zwp_linux_buffer_params_v1 (create or
// create_immed); NULL when the compositor answers `failed`.
static struct wl_buffer *import_bo(struct state *s, struct gbm_bo *bo, uint32_t format, uint64_t modifier) {
  struct zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(s->dmabuf);
  zwp_linux_buffer_params_v1_add_listener(params, &params_listener, s);
  int planes = gbm_bo_get_plane_count(bo);
  for (int p = 0; p < planes; p++) {
    int fd = gbm_bo_get_fd_for_plane(bo, p);
    if (fd < 0) tc_die("gbm_bo_get_fd_for_plane: %s", strerror(errno));
    zwp_linux_buffer_params_v1_add(params, fd, p, gbm_bo_get_offset(bo, p), gbm_bo_get_stride_for_plane(bo, p),
                                   modifier >> 32, modifier & 0xffffffff);
    close(fd);
  }
  int w = gbm_bo_get_width(bo), h = gbm_bo_get_height(bo);
  s->params_outcome = 0;
  s->params_buffer = NULL;
  struct wl_buffer *buffer = NULL;
  if (s->immed) buffer = zwp_linux_buffer_params_v1_create_immed(params, w, h, format, 0);
  else zwp_linux_buffer_params_v1_create(params, w, h, format, 0);
  int outcome = params_outcome(s, s->immed);
  zwp_linux_buffer_params_v1_destroy(params);
  if (outcome == 1) {
    printf("created\n");
    return s->immed ? buffer : s->params_buffer;
  }
  printf("failed\n");
  if (buffer) wl_buffer_destroy(buffer);
  return NULL;
}

static void draw(struct state *s);

static void buffer_release(void *data, struct wl_buffer *wl) {
  struct buffer *b = data;
  b->busy = false;
  // A redraw that found every buffer busy waits for this one.
  if (b->state->redraw && b->state->mapped && !b->state->frame_pending) draw(b->state);
}

static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

static void free_buffers(struct state *s) {
  for (int i = 0; i < MAX_BUFFERS; i++) {
    struct buffer *b = &s->buffers[i];
    if (b->wl) wl_buffer_destroy(b->wl);
    if (b->bo) gbm_bo_destroy(b->bo);
    memset(b, 0, sizeof(*b));
  }
}

static struct wl_buffer *shm_buffer(struct state *s, int w, int h, uint32_t format) {
  uint32_t shm_format = format == DRM_FORMAT_ARGB8888   ? WL_SHM_FORMAT_ARGB8888
                        : format == DRM_FORMAT_XRGB8888 ? WL_SHM_FORMAT_XRGB8888
                                                        : format;
  int stride = w * bytes_per_pixel(format);
  size_t size = (size_t)stride * (size_t)h;
  int fd = memfd_create("dmabuf-client-shm", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, (off_t)size) < 0) tc_die("memfd: %s", strerror(errno));
  void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) tc_die("mmap: %s", strerror(errno));
  fill(map, stride, w, h, format, pixel_value(s, format));
  munmap(map, size);
  struct wl_shm_pool *pool = wl_shm_create_pool(s->c.shm, fd, (int32_t)size);
  struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, w, h, stride, shm_format);
  wl_shm_pool_destroy(pool);
  close(fd);
  return buffer;
}

// (Re)allocates the buffer set for the current surface size, transform and format.
static void alloc_buffers(struct state *s, uint32_t format, uint64_t modifier) {
  int w = s->surf_w, h = s->surf_h;
  if (s->transform & 1) {
    w = s->surf_h;
    h = s->surf_w;
  }
  free_buffers(s);
  char name[5];
  int count = s->redraw ? MAX_BUFFERS : 1;
  for (int i = 0; i < count; i++) {
    struct buffer *b = &s->buffers[i];
    if (s->shm) {
      b->wl = shm_buffer(s, w, h, format);
    } else {
      b->bo = alloc_bo(s, w, h, format, modifier);
      if (!b->bo) {
        printf("error alloc %s 0x%" PRIx64 " %dx%d\n", fourcc_str(format, name), modifier, w, h);
        exit(1);
      }
      b->wl = import_bo(s, b->bo, format, modifier);
      if (!b->wl) exit(1);
    }
    b->state = s;
    wl_buffer_add_listener(b->wl, &buffer_listener, b);
  }
  s->buf_format = format;
  s->buf_modifier = modifier;
  s->buf_w = w;
  s->buf_h = h;
  if (s->shm) printf("alloc %s shm %d %d\n", fourcc_str(format, name), w, h);
  else printf("alloc %s 0x%" PRIx64 " %d %d\n", fourcc_str(format, name), modifier, w, h);
}

// ------------------------------------------------------------------ drawing

static void frame_done(void *data, struct wl_callback *cb, uint32_t time);
static const struct wl_callback_listener frame_listener = {.done = frame_done};

static void pf_sync_output(void *data, struct wp_presentation_feedback *f, struct wl_output *output) {}
static void pf_presented(void *data, struct wp_presentation_feedback *f, uint32_t tv_sec_hi, uint32_t tv_sec_lo,
                         uint32_t tv_nsec, uint32_t refresh, uint32_t seq_hi, uint32_t seq_lo, uint32_t flags) {
  struct state *s = data;
  bool zero_copy = flags & WP_PRESENTATION_FEEDBACK_KIND_ZERO_COPY;
  s->presented++;
  s->zero_copy += zero_copy;
  printf("presented %d %.3f\n", zero_copy, now_ms());
  wp_presentation_feedback_destroy(f);
}
static void pf_discarded(void *data, struct wp_presentation_feedback *f) {
  ((struct state *)data)->discarded++;
  printf("discarded %.3f\n", now_ms());
  wp_presentation_feedback_destroy(f);
}
static const struct wp_presentation_feedback_listener presentation_listener = {
    .sync_output = pf_sync_output, .presented = pf_presented, .discarded = pf_discarded};

static void draw(struct state *s) {
  struct buffer *b = NULL;
  for (int i = 0; i < MAX_BUFFERS && !b; i++) {
    if (s->buffers[i].wl && !s->buffers[i].busy) b = &s->buffers[i];
  }
  if (!b) return;  // all busy: try again at the next frame callback
  b->busy = true;
  wl_surface_set_buffer_transform(s->surface, s->transform);
  wl_surface_attach(s->surface, b->wl, 0, 0);
  wl_surface_damage_buffer(s->surface, 0, 0, INT32_MAX, INT32_MAX);
  if (s->redraw) {
    wl_callback_add_listener(wl_surface_frame(s->surface), &frame_listener, s);
    s->frame_pending = true;
    if (s->presentation)
      wp_presentation_feedback_add_listener(wp_presentation_feedback(s->presentation, s->surface),
                                            &presentation_listener, s);
  }
  wl_surface_commit(s->surface);
  if (!s->mapped) {
    s->mapped = true;
    s->mapped_ms = now_ms();
    printf("mapped %.3f\n", s->mapped_ms);
  }
}

static void frame_done(void *data, struct wl_callback *cb, uint32_t time) {
  struct state *s = data;
  wl_callback_destroy(cb);
  s->frame_pending = false;
  s->frames++;
  printf("frame %ld %.3f\n", s->frames, now_ms());
  draw(s);
}

// Whether GBM can allocate format/modifier (a small probe).
static bool can_allocate(struct state *s, uint32_t format, uint64_t modifier) {
  if (s->shm) return false;
  struct gbm_bo *bo = alloc_bo(s, 64, 64, format, modifier);
  if (bo) gbm_bo_destroy(bo);
  return bo != NULL;
}

// --follow-feedback, like a real client: keep the buffers while their
// format/modifier is in the first (preferred) tranche; otherwise reallocate with
// the first pair of the first tranche that this client draws in and GBM can
// allocate (a tranche may also list YUV and single-channel formats: vkms does).
static void follow_feedback(struct state *s, const struct feedback *fb) {
  if (fb->count == 0) return;
  const struct tranche *first = &fb->tranches[0];
  for (size_t i = 0; i < first->count; i++) {
    if (first->indices[i] >= fb->table_len) continue;
    const struct format_entry *e = &fb->table[first->indices[i]];
    if (e->format == s->buf_format && e->modifier == s->buf_modifier) return;
  }
  for (size_t t = 0; t < fb->count; t++) {
    const struct tranche *tr = &fb->tranches[t];
    for (size_t i = 0; i < tr->count; i++) {
      if (tr->indices[i] >= fb->table_len) continue;
      const struct format_entry *e = &fb->table[tr->indices[i]];
      if (e->format == s->buf_format && e->modifier == s->buf_modifier) return;  // still the best we can do
      if (!can_draw(e->format) || !can_allocate(s, e->format, e->modifier)) continue;
      char name[5];
      printf("follow %s 0x%" PRIx64 "\n", fourcc_str(e->format, name), e->modifier);
      s->buf_format = e->format;
      s->buf_modifier = e->modifier;
      if (s->mapped) {
        alloc_buffers(s, e->format, e->modifier);
        if (!s->frame_pending) draw(s);
      }
      return;
    }
  }
}

static void fb_done(void *data, struct zwp_linux_dmabuf_feedback_v1 *proxy) {
  struct feedback *fb = data;
  fb->sampling_device = fb->pending_sampling;
  fb->pending_sampling = 0;
  char *json = tranches_json(fb);
  printf("{\"event\":\"feedback\",\"scope\":\"%s\",\"time_ms\":%.3f,\"main_device\":%" PRIu64
         ",\"sampling_device\":%" PRIu64 ",\"tranches\":%s}\n",
         fb->scope, now_ms(), (uint64_t)fb->main_device, (uint64_t)fb->sampling_device, json);
  free(json);
  fb->dones++;
  struct state *s = fb->state;
  if (fb == &s->surface_fb && s->follow && s->gbm && !s->bad) follow_feedback(s, fb);
  fb->count = 0;  // the next feedback sends its tranches anew
}

// ------------------------------------------------------------------ xdg

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial) {
  struct state *s = data;
  xdg_surface_ack_configure(xdg_surface, serial);
  int w = s->pending_w > 0 ? s->pending_w : s->want_w;
  int h = s->pending_h > 0 ? s->pending_h : s->want_h;
  s->configured = true;
  if (s->mapped && w == s->surf_w && h == s->surf_h) {
    wl_surface_commit(s->surface);
    return;
  }
  s->surf_w = w;
  s->surf_h = h;
  printf("configured %d %d\n", w, h);
  if (s->bad) return;  // --bad: main() takes over once configured
  alloc_buffers(s, s->buf_format, s->buf_modifier);
  if (!s->frame_pending) draw(s);
}

static const struct xdg_surface_listener xdg_surface_listener = {.configure = xdg_surface_configure};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t w, int32_t h,
                               struct wl_array *states) {
  struct state *s = data;
  s->pending_w = w;
  s->pending_h = h;
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel) {
  struct state *s = data;
  s->closed = true;
}

static const struct xdg_toplevel_listener toplevel_listener = {
    .configure = toplevel_configure,
    .close = toplevel_close,
};

// ------------------------------------------------------------------ errors

// --bad: where a case ends when the compositor closes the connection.
static jmp_buf bad_case_end;

static _Noreturn void die_of_connection(struct state *s) {
  int err = wl_display_get_error(s->c.display);
  if (err == EPROTO) {
    const struct wl_interface *interface = NULL;
    uint32_t id = 0;
    uint32_t code = wl_display_get_protocol_error(s->c.display, &interface, &id);
    printf("error %s %u\n", interface ? interface->name : "unknown", code);
  } else {
    printf("disconnected %s\n", strerror(err));
  }
  if (s->bad) longjmp(bad_case_end, 1);  // on to the next case
  exit(1);
}

// ------------------------------------------------------------------ --bad

// A dma-buf from /dev/udmabuf over a sealed memfd, w×h XR24 filled with the colour.
static int udmabuf_fd(struct state *s, int w, int h, uint32_t *stride) {
  *stride = (uint32_t)w * 4;
  size_t size = ((size_t)*stride * h + 4095) & ~(size_t)4095;
  int memfd = memfd_create("dmabuf-client-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
  if (memfd < 0 || ftruncate(memfd, (off_t)size) < 0) tc_die("memfd: %s", strerror(errno));
  void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  if (map == MAP_FAILED) tc_die("mmap: %s", strerror(errno));
  fill(map, *stride, w, h, DRM_FORMAT_XRGB8888, pixel_value(s, DRM_FORMAT_XRGB8888));
  munmap(map, size);
  if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) tc_die("F_ADD_SEALS: %s", strerror(errno));
  int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
  if (dev < 0) tc_die("open /dev/udmabuf: %s", strerror(errno));
  struct udmabuf_create create = {.memfd = (uint32_t)memfd, .flags = UDMABUF_FLAGS_CLOEXEC, .size = size};
  int fd = ioctl(dev, UDMABUF_CREATE, &create);
  if (fd < 0) tc_die("UDMABUF_CREATE: %s", strerror(errno));
  close(dev);
  close(memfd);
  return fd;
}

// A dma-buf of a dumb buffer on vgem, w×h XR24 filled with the colour.
static int vgem_fd(struct state *s, int w, int h, uint32_t *stride) {
  char *path = card_of_driver("vgem");
  if (!path) tc_die("no vgem card");
  int dev = open(path, O_RDWR | O_CLOEXEC);
  if (dev < 0) tc_die("open %s: %s", path, strerror(errno));
  free(path);
  struct drm_mode_create_dumb create = {.width = (uint32_t)w, .height = (uint32_t)h, .bpp = 32};
  if (drmIoctl(dev, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0) tc_die("vgem CREATE_DUMB: %s", strerror(errno));
  struct drm_mode_map_dumb map_req = {.handle = create.handle};
  if (drmIoctl(dev, DRM_IOCTL_MODE_MAP_DUMB, &map_req) < 0) tc_die("vgem MAP_DUMB: %s", strerror(errno));
  void *map = mmap(NULL, create.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev, (off_t)map_req.offset);
  if (map == MAP_FAILED) tc_die("vgem mmap: %s", strerror(errno));
  fill(map, create.pitch, w, h, DRM_FORMAT_XRGB8888, pixel_value(s, DRM_FORMAT_XRGB8888));
  munmap(map, create.size);
  int fd = -1;
  if (drmPrimeHandleToFD(dev, create.handle, DRM_CLOEXEC | DRM_RDWR, &fd) < 0)
    tc_die("vgem PrimeHandleToFD: %s", strerror(errno));
  *stride = create.pitch;
  // The dma-buf keeps the object alive; the device fd may stay open with it.
  return fd;
}

static void run_bad_case(struct state *s) {
  const char *c = s->bad;
  int w = 64, h = 64;
  uint32_t format = DRM_FORMAT_XRGB8888;
  uint64_t mod = DRM_FORMAT_MOD_LINEAR;
  struct gbm_bo *bo = alloc_bo(s, w, h, format, mod);
  if (!bo) tc_die("cannot allocate a 64x64 XR24 linear buffer");
  int fd = gbm_bo_get_fd(bo);
  uint32_t stride = gbm_bo_get_stride(bo), offset = 0;
  int create_w = w, create_h = h;
  struct zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(s->dmabuf);
  zwp_linux_buffer_params_v1_add_listener(params, &params_listener, s);
  bool add = true;
  if (strcmp(c, "no-planes") == 0) {
    add = false;
  } else if (strcmp(c, "gap") == 0) {
    zwp_linux_buffer_params_v1_add(params, fd, 1, 0, stride, mod >> 32, mod & 0xffffffff);
    add = false;
  } else if (strcmp(c, "extra-plane") == 0) {
    zwp_linux_buffer_params_v1_add(params, fd, 1, 0, stride, mod >> 32, mod & 0xffffffff);
  } else if (strcmp(c, "plane-idx") == 0) {
    zwp_linux_buffer_params_v1_add(params, fd, 4, 0, stride, mod >> 32, mod & 0xffffffff);
  } else if (strcmp(c, "plane-set") == 0) {
    zwp_linux_buffer_params_v1_add(params, fd, 0, 0, stride, mod >> 32, mod & 0xffffffff);
  } else if (strcmp(c, "zero-size") == 0) {
    create_w = 0;
  } else if (strcmp(c, "offset-overflow") == 0) {
    offset = 0xfffffff0u;
  } else if (strcmp(c, "stride-overflow") == 0) {
    stride = 0x80000000u;
  } else if (strcmp(c, "too-small") == 0) {
    create_h = 4096;
  } else if (strcmp(c, "pipe-fd") == 0) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) tc_die("pipe: %s", strerror(errno));
    close(fd);
    close(p[1]);
    fd = p[0];
  } else if (strcmp(c, "devnull-fd") == 0) {
    close(fd);
    fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  } else if (strcmp(c, "bad-format") == 0) {
    format = fourcc_code('T', 'R', '9', '9');
  } else if (strcmp(c, "bad-modifier") == 0) {
    mod = I915_FORMAT_MOD_X_TILED;
  } else if (strcmp(c, "udmabuf") == 0) {
    close(fd);
    fd = udmabuf_fd(s, w, h, &stride);
  } else if (strcmp(c, "vgem") == 0) {
    close(fd);
    fd = vgem_fd(s, w, h, &stride);
  } else if (strcmp(c, "dev-t-size") == 0) {
    // v6 set_sampling_device with an array that is not a dev_t.
    struct wl_array device;
    wl_array_init(&device);
    *(uint32_t *)wl_array_add(&device, sizeof(uint32_t)) = 0;
    zwp_linux_buffer_params_v1_set_sampling_device(params, &device);
    wl_array_release(&device);
  } else if (strcmp(c, "already-used") != 0) {
    tc_die("unknown --bad case %s", c);
  }
  if (add) zwp_linux_buffer_params_v1_add(params, fd, 0, offset, stride, mod >> 32, mod & 0xffffffff);
  close(fd);
  // Anything wrong with the add requests shows up as a protocol error here.
  if (wl_display_roundtrip(s->c.display) < 0) die_of_connection(s);

  s->params_outcome = 0;
  struct wl_buffer *buffer = NULL;
  if (s->immed) buffer = zwp_linux_buffer_params_v1_create_immed(params, create_w, create_h, format, 0);
  else zwp_linux_buffer_params_v1_create(params, create_w, create_h, format, 0);
  if (strcmp(c, "already-used") == 0) zwp_linux_buffer_params_v1_create(params, create_w, create_h, format, 0);
  int outcome = params_outcome(s, s->immed);
  if (outcome == 0) {
    printf("no-outcome\n");
  } else if (outcome < 0) {
    printf("failed\n");
  } else {
    printf("created\n");
    if (!s->immed) buffer = s->params_buffer;
    // Let the compositor use it: tranche must survive texturing/scanning it.
    wl_surface_attach(s->surface, buffer, 0, 0);
    wl_surface_damage_buffer(s->surface, 0, 0, INT32_MAX, INT32_MAX);
    wl_callback_add_listener(wl_surface_frame(s->surface), &frame_listener, s);
    s->frame_pending = true;
    wl_surface_commit(s->surface);
    printf("mapped %.3f\n", now_ms());
    double deadline = now_ms() + 5000;
    while (s->frame_pending && now_ms() < deadline) {
      struct pollfd pfd = {.fd = wl_display_get_fd(s->c.display), .events = POLLIN};
      wl_display_flush(s->c.display);
      if (poll(&pfd, 1, 100) > 0 && wl_display_dispatch(s->c.display) < 0) die_of_connection(s);
      if (wl_display_dispatch_pending(s->c.display) < 0) die_of_connection(s);
    }
    if (s->frame_pending) printf("no-frame\n");
  }
  gbm_bo_destroy(bo);
}

// ------------------------------------------------------------------ main

static void registry_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
                            uint32_t version) {
  struct state *s = data;
  if (strcmp(interface, zwp_linux_dmabuf_v1_interface.name) == 0 && version >= (uint32_t)s->dmabuf_version)
    s->dmabuf = wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, (uint32_t)s->dmabuf_version);
  else if (strcmp(interface, wp_presentation_interface.name) == 0)
    s->presentation = wl_registry_bind(registry, name, &wp_presentation_interface, version < 2 ? version : 2);
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {}

static const struct wl_registry_listener registry_listener = {
    .global = registry_global,
    .global_remove = registry_global_remove,
};

static _Noreturn void usage(void) {
  fprintf(stderr,
          "usage: dmabuf-client [--app-id ID] [--title T] [--fullscreen] [--size WxH] [--color RRGGBB]\n"
          "                     [--format FOURCC] [--modifier linear|invalid|0xHEX] [--x-byte 0xNN]\n"
          "                     [--shm] [--transform N] [--immed] [--device PATH] [--follow-feedback]\n"
          "                     [--frames N] [--seconds S]\n"
          "                     [--change-after MS [--then-transform N] [--then-format FOURCC]]\n"
          "                     [--bad CASE[,CASE...]] [--output NAME] [--dmabuf-version 4|5|6]\n");
  exit(2);
}

static void parse_args(struct state *s, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    char *end = NULL;
    if (strcmp(arg, "--fullscreen") == 0) {
      s->fullscreen = true;
    } else if (strcmp(arg, "--shm") == 0) {
      s->shm = true;
    } else if (strcmp(arg, "--immed") == 0) {
      s->immed = true;
    } else if (strcmp(arg, "--follow-feedback") == 0) {
      s->follow = true;
    } else if (!val) {
      usage();
    } else {
      i++;
      if (strcmp(arg, "--app-id") == 0) {
        s->app_id = val;
      } else if (strcmp(arg, "--title") == 0) {
        s->title = val;
      } else if (strcmp(arg, "--device") == 0) {
        s->device_path = val;
      } else if (strcmp(arg, "--output") == 0) {
        s->output_name = val;
        s->fullscreen = true;
      } else if (strcmp(arg, "--bad") == 0) {
        s->bad = val;
      } else if (strcmp(arg, "--dmabuf-version") == 0) {
        s->dmabuf_version = (int)strtol(val, &end, 10);
        if (!*val || *end || s->dmabuf_version < 4 || s->dmabuf_version > 6) usage();
      } else if (strcmp(arg, "--size") == 0) {
        if (!tc_parse_size(val, &s->want_w, &s->want_h) || !s->want_w || !s->want_h) usage();
      } else if (strcmp(arg, "--color") == 0) {
        if (!tc_parse_color(val, &s->color)) usage();
      } else if (strcmp(arg, "--format") == 0) {
        if (!parse_fourcc(val, &s->format)) usage();
      } else if (strcmp(arg, "--then-format") == 0) {
        if (!parse_fourcc(val, &s->then_format)) usage();
      } else if (strcmp(arg, "--modifier") == 0) {
        if (strcmp(val, "linear") == 0) s->modifier = DRM_FORMAT_MOD_LINEAR;
        else if (strcmp(val, "invalid") == 0) s->modifier = DRM_FORMAT_MOD_INVALID;
        else if ((s->modifier = strtoull(val, &end, 0), !*val || *end)) usage();
      } else if (strcmp(arg, "--x-byte") == 0) {
        unsigned long v = strtoul(val, &end, 0);
        if (!*val || *end || v > 0xff) usage();
        s->x_byte = (uint32_t)v;
      } else if (strcmp(arg, "--transform") == 0 || strcmp(arg, "--then-transform") == 0) {
        long v = strtol(val, &end, 10);
        if (!*val || *end || v < 0 || v > 7) usage();
        *(arg[2] == 't' && arg[3] == 'h' ? &s->then_transform : &s->transform) = (int)v;
      } else if (strcmp(arg, "--frames") == 0) {
        s->max_frames = strtol(val, &end, 10);
        if (!*val || *end || s->max_frames < 0) usage();
        s->redraw = true;
      } else if (strcmp(arg, "--seconds") == 0) {
        s->max_seconds = strtod(val, &end);
        if (!*val || *end || s->max_seconds <= 0) usage();
        s->redraw = true;
      } else if (strcmp(arg, "--change-after") == 0) {
        s->change_after_ms = strtol(val, &end, 10);
        if (!*val || *end || s->change_after_ms < 0) usage();
      } else {
        usage();
      }
    }
  }
}

static struct zwp_linux_dmabuf_feedback_v1 *listen_feedback(struct state *s, struct feedback *fb,
                                                             const char *scope,
                                                             struct zwp_linux_dmabuf_feedback_v1 *proxy) {
  fb->scope = scope;
  fb->state = s;
  fb->proxy = proxy;
  zwp_linux_dmabuf_feedback_v1_add_listener(proxy, &feedback_listener, fb);
  return proxy;
}

// Connects, binds zwp_linux_dmabuf_v1 v4, waits for the default feedback (whose
// main device we allocate on), opens the device once, and creates the toplevel
// with its surface feedback.
static void connect_client(struct state *s) {
  struct feedback *old[] = {&s->default_fb, &s->surface_fb};
  for (int i = 0; i < 2; i++) {
    if (old[i]->table) munmap(old[i]->table, old[i]->table_len * sizeof(struct format_entry));
  }
  memset(&s->default_fb, 0, sizeof(s->default_fb));
  memset(&s->surface_fb, 0, sizeof(s->surface_fb));
  s->dmabuf = NULL;
  s->configured = s->mapped = s->frame_pending = false;
  s->surf_w = s->surf_h = s->pending_w = s->pending_h = 0;
  tc_connect(&s->c);
  if (!s->c.wm_base) tc_die("xdg_wm_base missing");
  struct wl_registry *registry = wl_display_get_registry(s->c.display);
  wl_registry_add_listener(registry, &registry_listener, s);
  if (wl_display_roundtrip(s->c.display) < 0) die_of_connection(s);
  if (!s->dmabuf) tc_die("zwp_linux_dmabuf_v1 version %d missing", s->dmabuf_version);

  listen_feedback(s, &s->default_fb, "default", zwp_linux_dmabuf_v1_get_default_feedback(s->dmabuf));
  double deadline = now_ms() + 10000;
  while (s->default_fb.dones == 0 && now_ms() < deadline) {
    if (wl_display_roundtrip(s->c.display) < 0) die_of_connection(s);
  }
  if (s->default_fb.dones == 0) tc_die("no default feedback within 10 s");
  if (!s->shm && !s->gbm) open_device(s);

  s->surface = wl_compositor_create_surface(s->c.compositor);
  listen_feedback(s, &s->surface_fb, "surface", zwp_linux_dmabuf_v1_get_surface_feedback(s->dmabuf, s->surface));
  s->xdg_surface = xdg_wm_base_get_xdg_surface(s->c.wm_base, s->surface);
  xdg_surface_add_listener(s->xdg_surface, &xdg_surface_listener, s);
  s->toplevel = xdg_surface_get_toplevel(s->xdg_surface);
  xdg_toplevel_add_listener(s->toplevel, &toplevel_listener, s);
  xdg_toplevel_set_app_id(s->toplevel, s->app_id);
  xdg_toplevel_set_title(s->toplevel, s->title);
  if (s->fullscreen)
    xdg_toplevel_set_fullscreen(s->toplevel, s->output_name ? tc_output_named(&s->c, s->output_name) : NULL);
  wl_surface_commit(s->surface);
}

// --bad CASE[,CASE...]: each case on a connection of its own (a protocol error
// ends it), all with one GBM device (loading Mesa is the slow part).
static int run_bad_cases(struct state *s) {
  char *list = strdup(s->bad);
  char *cases[64];
  volatile int count = 0;  // volatile: read after longjmp
  for (char *save = NULL, *c = strtok_r(list, ",", &save); c && count < 64; c = strtok_r(NULL, ",", &save))
    cases[count++] = c;
  for (volatile int i = 0; i < count; i++) {
    s->bad = cases[i];
    printf("case %s\n", s->bad);
    if (setjmp(bad_case_end) == 0) {
      connect_client(s);
      double deadline = now_ms() + 10000;
      while (!s->configured && now_ms() < deadline) {
        if (wl_display_roundtrip(s->c.display) < 0) die_of_connection(s);
      }
      if (!s->configured) tc_die("not configured within 10 s");
      run_bad_case(s);
    }
    printf("bad-done %s\n", s->bad);
    wl_display_disconnect(s->c.display);
  }
  free(list);
  return 0;
}

int main(int argc, char **argv) {
  static struct state s = {
      .app_id = "tranche-dmabuf-client",
      .dmabuf_version = 4,
      .title = "dmabuf-client",
      .want_w = 320,
      .want_h = 240,
      .color = 0x3366cc,
      .x_byte = 0xff,
      .format = DRM_FORMAT_XRGB8888,
      .modifier = DRM_FORMAT_MOD_LINEAR,
      .change_after_ms = -1,
      .then_transform = -1,
      .drm_fd = -1,
  };
  parse_args(&s, argc, argv);
  s.buf_format = s.format;
  s.buf_modifier = s.modifier;
  if (s.bad) return run_bad_cases(&s);
  connect_client(&s);

  int fd = wl_display_get_fd(s.c.display);
  while (!s.closed) {
    double now = now_ms();
    if (s.mapped && !s.changed && s.change_after_ms >= 0 && now >= s.mapped_ms + s.change_after_ms) {
      s.changed = true;
      if (s.then_transform >= 0) s.transform = s.then_transform;
      if (s.then_format) s.buf_format = s.then_format;
      printf("changed %.3f\n", now);
      alloc_buffers(&s, s.buf_format, s.buf_modifier);
      if (!s.frame_pending) draw(&s);
    }
    if (s.redraw && s.mapped &&
        ((s.max_frames > 0 && s.frames >= s.max_frames) ||
         (s.max_seconds > 0 && now >= s.mapped_ms + s.max_seconds * 1e3))) {
      printf("presentation %ld %ld %ld\n", s.presented, s.zero_copy, s.discarded);
      printf("done %ld %.3f\n", s.frames, (now - s.mapped_ms) / 1e3);
      break;
    }
    while (wl_display_prepare_read(s.c.display) != 0) {
      if (wl_display_dispatch_pending(s.c.display) < 0) die_of_connection(&s);
    }
    if (wl_display_flush(s.c.display) < 0 && errno != EAGAIN) {
      wl_display_cancel_read(s.c.display);
      die_of_connection(&s);
    }
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int ready = poll(&pfd, 1, 50);  // wakes for --change-after and --seconds
    if (ready > 0) {
      if (wl_display_read_events(s.c.display) < 0) die_of_connection(&s);
    } else {
      wl_display_cancel_read(s.c.display);
    }
    if (wl_display_dispatch_pending(s.c.display) < 0) die_of_connection(&s);
  }
  if (s.closed) printf("closed\n");
  free_buffers(&s);
  if (s.gbm) gbm_device_destroy(s.gbm);
  if (s.drm_fd >= 0) close(s.drm_fd);
  wl_display_disconnect(s.c.display);
  return 0;
}
