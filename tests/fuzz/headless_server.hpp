// A headless tranche in the fuzzer's process, one per input, for the targets
// that speak the wire to it (fuzz-wire, fuzz-syncobj).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "server.hpp"

namespace fuzz {

// Aborts (a crash libFuzzer records) when tranche does not start.
inline std::unique_ptr<tranche::Server> start_headless_server(const std::string& name) {
  tranche::Options options;
  options.backend = tranche::BackendChoice::Headless;
  options.output_width = 320;
  options.output_height = 240;
  options.socket = "tranche-" + name;
  auto server = std::make_unique<tranche::Server>(options, tranche::config::defaults());
  auto started = server->start();
  if (!started) {
    std::fprintf(stderr, "%s: cannot start tranche: %s\n", name.c_str(), started.error().c_str());
    std::abort();
  }
  for (int i = 0; i < 10 && server->outputs().empty(); ++i) wl_event_loop_dispatch(server->loop, 1);
  return server;
}

}  // namespace fuzz
