/* im-client: an input method (input-method-unstable-v2) for the tests.
 *
 *   im-client [--grab] [--forward] [--popup WxH] [--color RRGGBB]
 *             [--commit TEXT] [--preedit TEXT]
 *
 * Binds zwp_input_method_manager_v2 and takes the seat's input method. Prints
 * "ready" once bound, then what the compositor says, each applied on `done`:
 * "activate", "deactivate", "surrounding-text TEXT CURSOR ANCHOR",
 * "content-type HINT PURPOSE", "done SERIAL"; "unavailable" (then exits 3).
 * SIGUSR1 sends commit_string(--commit, default "漢字") and commit, printing
 * "sent commit"; SIGUSR2 set_preedit_string(--preedit, default "かん") and
 * commit ("sent preedit"). With --popup it shows a WxH popup surface of
 * --color (default 00ff00) while active and prints "popup-rectangle X Y W H"
 * for each text_input_rectangle. With --grab it grabs the keyboard and prints
 * "grab-key CODE pressed|released"; with --forward it types each grabbed key
 * on a virtual keyboard of its own (what an IME does with keys it does not
 * use). Exits when the connection ends. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common.h"
#include "input-method-unstable-v2-client-protocol.h"
#include "virtual-keyboard-unstable-v1-client-protocol.h"

struct state {
  struct test_client c;
  struct zwp_input_method_manager_v2 *manager;
  struct zwp_virtual_keyboard_manager_v1 *vk_manager;
  struct zwp_input_method_v2 *im;
  struct zwp_virtual_keyboard_v1 *vk;
  bool vk_keymap;   // the virtual keyboard has one: only then may it send keys
  uint32_t serial;  // done events received
  bool pending_active, active, unavailable;
  bool grab, forward;
  int popup_w, popup_h;
  uint32_t color;
  struct wl_surface *popup_surface;
  struct zwp_input_popup_surface_v2 *popup;
  const char *commit_text, *preedit_text;
  char *surrounding;
  uint32_t cursor, anchor, hint, purpose;
  bool have_surrounding, have_content_type;
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
                            uint32_t version) {
  struct state *s = data;
  if (strcmp(interface, zwp_input_method_manager_v2_interface.name) == 0)
    s->manager = wl_registry_bind(registry, name, &zwp_input_method_manager_v2_interface, 1);
  else if (strcmp(interface, zwp_virtual_keyboard_manager_v1_interface.name) == 0)
    s->vk_manager = wl_registry_bind(registry, name, &zwp_virtual_keyboard_manager_v1_interface, 1);
}
static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {}
static const struct wl_registry_listener registry_listener = {.global = registry_global,
                                                              .global_remove = registry_global_remove};

static void im_activate(void *data, struct zwp_input_method_v2 *im) {
  struct state *s = data;
  s->pending_active = true;
  s->have_surrounding = s->have_content_type = false;
}
static void im_deactivate(void *data, struct zwp_input_method_v2 *im) {
  struct state *s = data;
  s->pending_active = false;
}
static void im_surrounding_text(void *data, struct zwp_input_method_v2 *im, const char *text, uint32_t cursor,
                                uint32_t anchor) {
  struct state *s = data;
  free(s->surrounding);
  s->surrounding = strdup(text);
  s->cursor = cursor;
  s->anchor = anchor;
  s->have_surrounding = true;
}
static void im_text_change_cause(void *data, struct zwp_input_method_v2 *im, uint32_t cause) {}
static void im_content_type(void *data, struct zwp_input_method_v2 *im, uint32_t hint, uint32_t purpose) {
  struct state *s = data;
  s->hint = hint;
  s->purpose = purpose;
  s->have_content_type = true;
}

static const struct zwp_input_popup_surface_v2_listener popup_listener;

static void show_popup(struct state *s) {
  if (!s->popup_w) return;
  if (!s->popup_surface) {
    s->popup_surface = wl_compositor_create_surface(s->c.compositor);
    s->popup = zwp_input_method_v2_get_input_popup_surface(s->im, s->popup_surface);
    zwp_input_popup_surface_v2_add_listener(s->popup, &popup_listener, s);
  }
  wl_surface_attach(s->popup_surface, tc_solid_buffer(&s->c, s->popup_w, s->popup_h, s->color), 0, 0);
  wl_surface_damage(s->popup_surface, 0, 0, s->popup_w, s->popup_h);
  wl_surface_commit(s->popup_surface);
}

static void im_done(void *data, struct zwp_input_method_v2 *im) {
  struct state *s = data;
  s->serial++;
  if (s->pending_active != s->active) {
    s->active = s->pending_active;
    printf("%s\n", s->active ? "activate" : "deactivate");
    if (s->active) show_popup(s);
  }
  if (s->active && s->have_surrounding) printf("surrounding-text %s %u %u\n", s->surrounding, s->cursor, s->anchor);
  if (s->active && s->have_content_type) printf("content-type %u %u\n", s->hint, s->purpose);
  printf("done %u\n", s->serial);
}
static void im_unavailable(void *data, struct zwp_input_method_v2 *im) {
  struct state *s = data;
  s->unavailable = true;
  printf("unavailable\n");
}
static const struct zwp_input_method_v2_listener im_listener = {
    .activate = im_activate, .deactivate = im_deactivate, .surrounding_text = im_surrounding_text,
    .text_change_cause = im_text_change_cause, .content_type = im_content_type, .done = im_done,
    .unavailable = im_unavailable};

static void popup_rectangle(void *data, struct zwp_input_popup_surface_v2 *popup, int32_t x, int32_t y, int32_t w,
                            int32_t h) {
  printf("popup-rectangle %d %d %d %d\n", x, y, w, h);
}
static const struct zwp_input_popup_surface_v2_listener popup_listener = {.text_input_rectangle = popup_rectangle};

static void grab_keymap(void *data, struct zwp_input_method_keyboard_grab_v2 *grab, uint32_t format, int32_t fd,
                        uint32_t size) {
  struct state *s = data;
  printf("grab-keymap\n");
  // "No keymap" (format 0, size 0: the seat's keyboard has none yet) is not one
  // a virtual keyboard can take; wlroots 0.20 sends it, 0.18 did not.
  if (s->vk && format == WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1 && size > 0) {
    zwp_virtual_keyboard_v1_keymap(s->vk, format, fd, size);
    s->vk_keymap = true;
  }
  close(fd);
}
static void grab_key(void *data, struct zwp_input_method_keyboard_grab_v2 *grab, uint32_t serial, uint32_t time,
                     uint32_t key, uint32_t state) {
  struct state *s = data;
  printf("grab-key %u %s\n", key, state == WL_KEYBOARD_KEY_STATE_PRESSED ? "pressed" : "released");
  if (s->vk && s->vk_keymap) zwp_virtual_keyboard_v1_key(s->vk, time, key, state);
}
static void grab_modifiers(void *data, struct zwp_input_method_keyboard_grab_v2 *grab, uint32_t serial,
                           uint32_t depressed, uint32_t latched, uint32_t locked, uint32_t group) {
  struct state *s = data;
  if (s->vk && s->vk_keymap) zwp_virtual_keyboard_v1_modifiers(s->vk, depressed, latched, locked, group);
}
static void grab_repeat_info(void *data, struct zwp_input_method_keyboard_grab_v2 *grab, int32_t rate,
                             int32_t delay) {}
static const struct zwp_input_method_keyboard_grab_v2_listener grab_listener = {
    .keymap = grab_keymap, .key = grab_key, .modifiers = grab_modifiers, .repeat_info = grab_repeat_info};

static _Noreturn void usage(void) {
  fprintf(stderr, "usage: im-client [--grab] [--forward] [--popup WxH] [--color RRGGBB] [--commit TEXT] "
                  "[--preedit TEXT]\n");
  exit(2);
}

int main(int argc, char **argv) {
  struct state s = {.color = 0x00ff00, .commit_text = "漢字", .preedit_text = "かん"};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "--grab") == 0) s.grab = true;
    else if (strcmp(arg, "--forward") == 0) s.forward = true;
    else if (strcmp(arg, "--popup") == 0 && val) {
      if (!tc_parse_size(val, &s.popup_w, &s.popup_h) || !s.popup_w || !s.popup_h) usage();
      i++;
    } else if (strcmp(arg, "--color") == 0 && val) {
      if (!tc_parse_color(val, &s.color)) usage();
      i++;
    } else if (strcmp(arg, "--commit") == 0 && val) s.commit_text = argv[++i];
    else if (strcmp(arg, "--preedit") == 0 && val) s.preedit_text = argv[++i];
    else usage();
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGUSR2);
  if (sigprocmask(SIG_BLOCK, &signals, NULL) < 0) tc_die("sigprocmask: %s", strerror(errno));
  int sfd = signalfd(-1, &signals, SFD_CLOEXEC);
  if (sfd < 0) tc_die("signalfd: %s", strerror(errno));

  tc_connect(&s.c);
  wl_registry_add_listener(wl_display_get_registry(s.c.display), &registry_listener, &s);
  if (wl_display_roundtrip(s.c.display) < 0) tc_die("roundtrip failed");
  if (!s.manager || !s.c.seat) tc_die("zwp_input_method_manager_v2 or wl_seat missing");
  s.im = zwp_input_method_manager_v2_get_input_method(s.manager, s.c.seat);
  zwp_input_method_v2_add_listener(s.im, &im_listener, &s);
  if (s.forward) {
    if (!s.vk_manager) tc_die("zwp_virtual_keyboard_manager_v1 missing");
    s.vk = zwp_virtual_keyboard_manager_v1_create_virtual_keyboard(s.vk_manager, s.c.seat);
  }
  if (s.grab) {
    struct zwp_input_method_keyboard_grab_v2 *grab = zwp_input_method_v2_grab_keyboard(s.im);
    zwp_input_method_keyboard_grab_v2_add_listener(grab, &grab_listener, &s);
  }
  if (wl_display_roundtrip(s.c.display) < 0) tc_die("roundtrip failed");
  printf("ready\n");

  struct pollfd fds[2] = {{.fd = wl_display_get_fd(s.c.display), .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
  while (!s.unavailable) {
    while (wl_display_prepare_read(s.c.display) != 0) {
      if (wl_display_dispatch_pending(s.c.display) < 0) goto out;
    }
    if (wl_display_flush(s.c.display) < 0 && errno != EAGAIN) {
      wl_display_cancel_read(s.c.display);
      goto out;
    }
    if (poll(fds, 2, -1) < 0) {
      wl_display_cancel_read(s.c.display);
      if (errno == EINTR) continue;
      tc_die("poll: %s", strerror(errno));
    }
    if (fds[0].revents & POLLIN) {
      if (wl_display_read_events(s.c.display) < 0) goto out;
    } else {
      wl_display_cancel_read(s.c.display);
    }
    if (fds[0].revents & (POLLERR | POLLHUP)) goto out;
    if (wl_display_dispatch_pending(s.c.display) < 0) goto out;
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      if (read(sfd, &info, sizeof(info)) != sizeof(info)) continue;
      if (info.ssi_signo == SIGUSR1) {
        zwp_input_method_v2_commit_string(s.im, s.commit_text);
        zwp_input_method_v2_commit(s.im, s.serial);
        printf("sent commit\n");
      } else {
        zwp_input_method_v2_set_preedit_string(s.im, s.preedit_text, 0, (int32_t)strlen(s.preedit_text));
        zwp_input_method_v2_commit(s.im, s.serial);
        printf("sent preedit\n");
      }
      wl_display_flush(s.c.display);
    }
  }
out:
  if (s.unavailable) return 3;
  if (tc_report_protocol_error(&s.c)) return 1;
  printf("disconnected\n");
  return 0;
}
