// tranche: parse options, load the configuration, run the compositor.
#include <cstdio>

#include "config/config.hpp"
#include "options.hpp"
#include "plane_search_budget.hpp"
#include "server.hpp"

using namespace tranche;

namespace {

wlr_log_importance log_level(const std::string& name) {
  if (name == "error") return WLR_ERROR;
  if (name == "debug") return WLR_DEBUG;
  return WLR_INFO;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_options(argc, argv);
  if (auto* exit = std::get_if<ParseExit>(&parsed)) {
    std::fputs(exit->output.c_str(), exit->code == 0 ? stdout : stderr);
    return exit->code;
  }
  Options options = std::get<Options>(std::move(parsed));
  wlr_log_init(log_level(options.log_level), nullptr);

  auto loaded = config::load(options.config_path);
  if (!loaded) {
    std::fprintf(stderr, "tranche: invalid configuration: %s\n", loaded.error().to_string().c_str());
    return 1;
  }
  config::Config* config = &loaded->config;
  if (!getenv("XDG_RUNTIME_DIR")) {
    std::fprintf(stderr, "tranche: XDG_RUNTIME_DIR is not set\n");
    return 1;
  }

  // The environment wins over the config: the VM tier sets it for every run.
  int budget_ms = config->scanout.plane_search_budget_ms;
  if (const char* env = getenv("TRANCHE_PLANE_SEARCH_BUDGET_MS"); env && atoi(env) > 0) budget_ms = atoi(env);
  set_plane_search_budget(budget_ms);
  Server server(std::move(options), std::move(*config));
  if (auto started = server.start(); !started) {
    std::fprintf(stderr, "tranche: %s\n", started.error().c_str());
    return 1;
  }
  return server.run();
}
