// The usage line of tranche's and tranchectl's help says "Usage:".
//
// CLI11 2.6 prints the program name without that label when it knows the
// name; people and scripts look for it after a bad option.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace tranche {

class UsageFormatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    std::string usage = CLI::Formatter::make_usage(app, std::move(name));
    size_t start = usage.find_first_not_of('\n');
    if (start != std::string::npos && usage.compare(start, 6, "Usage:") != 0) usage.insert(start, "Usage: ");
    return usage;
  }
};

inline void use_usage_formatter(CLI::App& app) { app.formatter(std::make_shared<UsageFormatter>()); }

}  // namespace tranche
