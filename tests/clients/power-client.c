/* power-client: sets the first output's power mode through
 * wlr-output-power-management and reports what the compositor says.
 *
 *   power-client on|off
 *
 * Prints "mode on" or "mode off" when the compositor reports the mode (the
 * initial event, then the change), "failed" when it refuses; exits 0 once the
 * requested mode is reported, 1 otherwise (5 s at most). */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "wlr-output-power-management-unstable-v1-client-protocol.h"

static struct zwlr_output_power_manager_v1 *manager;
static int reported = -1;  /* last mode the compositor reported */
static int failed;

static void registry_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
                            uint32_t version) {
  if (strcmp(interface, zwlr_output_power_manager_v1_interface.name) == 0)
    manager = wl_registry_bind(registry, name, &zwlr_output_power_manager_v1_interface, 1);
}
static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {}
static const struct wl_registry_listener registry_listener = {registry_global, registry_global_remove};

static void power_mode(void *data, struct zwlr_output_power_v1 *power, uint32_t mode) {
  reported = (int)mode;
  printf("mode %s\n", mode == ZWLR_OUTPUT_POWER_V1_MODE_ON ? "on" : "off");
  fflush(stdout);
}
static void power_failed(void *data, struct zwlr_output_power_v1 *power) {
  failed = 1;
  printf("failed\n");
  fflush(stdout);
}
static const struct zwlr_output_power_v1_listener power_listener = {power_mode, power_failed};

int main(int argc, char **argv) {
  if (argc != 2 || (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0)) {
    fprintf(stderr, "usage: power-client on|off\n");
    return 2;
  }
  uint32_t want = strcmp(argv[1], "on") == 0 ? ZWLR_OUTPUT_POWER_V1_MODE_ON : ZWLR_OUTPUT_POWER_V1_MODE_OFF;
  struct test_client c = {0};
  tc_connect(&c);
  struct wl_registry *registry = wl_display_get_registry(c.display);
  wl_registry_add_listener(registry, &registry_listener, NULL);
  wl_display_roundtrip(c.display);
  if (!manager || !c.output) tc_die("no zwlr_output_power_manager_v1 or no wl_output");

  struct zwlr_output_power_v1 *power = zwlr_output_power_manager_v1_get_output_power(manager, c.output);
  zwlr_output_power_v1_add_listener(power, &power_listener, NULL);
  wl_display_roundtrip(c.display);  /* the current mode */
  zwlr_output_power_v1_set_mode(power, want);

  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (!failed && reported != (int)want) {
    wl_display_flush(c.display);
    struct pollfd pfd = {wl_display_get_fd(c.display), POLLIN, 0};
    clock_gettime(CLOCK_MONOTONIC, &now);
    int left = 5000 - (int)((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
    if (left <= 0 || poll(&pfd, 1, left) <= 0) break;
    if (wl_display_dispatch(c.display) < 0) break;
  }
  return reported == (int)want ? 0 : 1;
}
