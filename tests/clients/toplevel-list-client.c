/* toplevel-list-client: prints the windows ext-foreign-toplevel-list-v1 tells
 * it about, as they come and go, until the compositor goes away.
 *
 *   toplevel-list-client
 *
 * Prints "toplevel IDENTIFIER app_id=APP title=TITLE" when a handle's state is
 * complete (its done event) and again when it changes, "closed IDENTIFIER" when
 * it goes. Exits 1 when the global is missing. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "ext-foreign-toplevel-list-v1-client-protocol.h"

struct handle {
  char *identifier, *app_id, *title;
};

static void replace(char **slot, const char *value) {
  free(*slot);
  *slot = strdup(value ? value : "");
}

static void h_closed(void *data, struct ext_foreign_toplevel_handle_v1 *handle) {
  struct handle *h = data;
  printf("closed %s\n", h->identifier ? h->identifier : "?");
  fflush(stdout);
  ext_foreign_toplevel_handle_v1_destroy(handle);
  free(h->identifier);
  free(h->app_id);
  free(h->title);
  free(h);
}
static void h_done(void *data, struct ext_foreign_toplevel_handle_v1 *handle) {
  struct handle *h = data;
  printf("toplevel %s app_id=%s title=%s\n", h->identifier ? h->identifier : "?", h->app_id ? h->app_id : "",
         h->title ? h->title : "");
  fflush(stdout);
}
static void h_title(void *data, struct ext_foreign_toplevel_handle_v1 *handle, const char *title) {
  replace(&((struct handle *)data)->title, title);
}
static void h_app_id(void *data, struct ext_foreign_toplevel_handle_v1 *handle, const char *app_id) {
  replace(&((struct handle *)data)->app_id, app_id);
}
static void h_identifier(void *data, struct ext_foreign_toplevel_handle_v1 *handle, const char *identifier) {
  replace(&((struct handle *)data)->identifier, identifier);
}
static const struct ext_foreign_toplevel_handle_v1_listener handle_listener = {
    .closed = h_closed, .done = h_done, .title = h_title, .app_id = h_app_id, .identifier = h_identifier};

static void l_toplevel(void *data, struct ext_foreign_toplevel_list_v1 *list,
                       struct ext_foreign_toplevel_handle_v1 *toplevel) {
  ext_foreign_toplevel_handle_v1_add_listener(toplevel, &handle_listener, calloc(1, sizeof(struct handle)));
}
static void l_finished(void *data, struct ext_foreign_toplevel_list_v1 *list) {}
static const struct ext_foreign_toplevel_list_v1_listener list_listener = {.toplevel = l_toplevel,
                                                                            .finished = l_finished};

static struct ext_foreign_toplevel_list_v1 *list;
static void registry_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
                            uint32_t version) {
  if (strcmp(interface, ext_foreign_toplevel_list_v1_interface.name) == 0)
    list = wl_registry_bind(registry, name, &ext_foreign_toplevel_list_v1_interface, 1);
}
static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {}
static const struct wl_registry_listener registry_listener = {registry_global, registry_global_remove};

int main(int argc, char **argv) {
  if (argc != 1) {
    fprintf(stderr, "usage: toplevel-list-client\n");
    return 2;
  }
  struct test_client c = {0};
  tc_connect(&c);
  struct wl_registry *registry = wl_display_get_registry(c.display);
  wl_registry_add_listener(registry, &registry_listener, NULL);
  wl_display_roundtrip(c.display);
  if (!list) tc_die("no ext_foreign_toplevel_list_v1");
  ext_foreign_toplevel_list_v1_add_listener(list, &list_listener, NULL);
  printf("listening\n");
  fflush(stdout);
  while (wl_display_dispatch(c.display) >= 0) {
  }
  return 0;
}
