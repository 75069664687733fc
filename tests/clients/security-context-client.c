/* security-context-client: opens a sandbox's socket (security-context-v1),
 * as Flatpak does for an app.
 *
 *   security-context-client PATH
 *
 * Binds a Unix socket at PATH, hands it to the compositor with
 * wp_security_context_manager_v1.create_listener (engine "org.tranche.test",
 * app id "tranche.sandboxed"), prints "listening PATH" and stays until it is
 * killed (the compositor stops accepting on PATH when this client goes: the
 * close fd's other end closes with it). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"
#include "security-context-v1-client-protocol.h"

static struct wp_security_context_manager_v1 *manager;

static void registry_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
                            uint32_t version) {
  if (strcmp(interface, wp_security_context_manager_v1_interface.name) == 0)
    manager = wl_registry_bind(registry, name, &wp_security_context_manager_v1_interface, 1);
}
static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {}
static const struct wl_registry_listener registry_listener = {.global = registry_global,
                                                              .global_remove = registry_global_remove};

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: security-context-client PATH\n");
    return 2;
  }
  struct test_client c;
  tc_connect(&c);
  struct wl_registry *registry = wl_display_get_registry(c.display);
  wl_registry_add_listener(registry, &registry_listener, NULL);
  if (wl_display_roundtrip(c.display) < 0) tc_die("roundtrip failed");
  if (!manager) tc_die("wp_security_context_manager_v1 missing");

  int listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(argv[1]) >= sizeof addr.sun_path) tc_die("path too long");
  strcpy(addr.sun_path, argv[1]);
  unlink(argv[1]);
  if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listen_fd, 8) != 0)
    tc_die("cannot listen on %s", argv[1]);
  int close_fds[2];
  if (pipe2(close_fds, O_CLOEXEC) != 0) tc_die("pipe failed");

  struct wp_security_context_v1 *context =
      wp_security_context_manager_v1_create_listener(manager, listen_fd, close_fds[1]);
  close(listen_fd);
  close(close_fds[1]);  // close_fds[0] stays open while we live
  wp_security_context_v1_set_sandbox_engine(context, "org.tranche.test");
  wp_security_context_v1_set_app_id(context, "tranche.sandboxed");
  wp_security_context_v1_set_instance_id(context, "1");
  wp_security_context_v1_commit(context);
  wp_security_context_v1_destroy(context);
  if (wl_display_roundtrip(c.display) < 0) {
    tc_report_protocol_error(&c);
    tc_die("the compositor refused the security context");
  }
  printf("listening %s\n", argv[1]);
  while (wl_display_dispatch(c.display) != -1) {
  }
  return 0;
}
