// Request parsing, validation and error replies: every way a request can be wrong
// becomes {"ok": false, "error": ...}, so a bad client never reaches the compositor.
#include "ipc/ipc.hpp"

#include <cstdlib>
#include <stdexcept>

namespace tranche::ipc {
namespace {

// Compact, one line (JSON escapes newlines in strings); invalid UTF-8 from a
// window title must not throw here.
std::string dump_line(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string error_reply(std::string_view text) {
  return dump_line({{"ok", false}, {"error", text}});
}

std::string ok_reply(json result) {
  return dump_line({{"ok", true}, {"result", std::move(result)}});
}

}  // namespace

void Dispatcher::add(std::string name, std::string summary, Command command) {
  // Programming errors: fail loudly at start-up rather than serve a shadowed command.
  if (name.empty() || name == "help") throw std::invalid_argument("reserved IPC command name: '" + name + "'");
  if (!command) throw std::invalid_argument("IPC command '" + name + "' has no implementation");
  if (commands_.contains(name)) throw std::invalid_argument("IPC command added twice: '" + name + "'");
  commands_.emplace(std::move(name), Entry{std::move(summary), std::move(command)});
}

std::string Dispatcher::handle_line(std::string_view line) const {
  json request = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded()) return error_reply("malformed JSON request");
  if (!request.is_object()) return error_reply("request must be a JSON object");

  auto command = request.find("command");
  if (command == request.end()) return error_reply("request has no \"command\"");
  if (!command->is_string()) return error_reply("\"command\" must be a string");
  const auto& name = command->get_ref<const std::string&>();

  json args = json::object();
  if (auto it = request.find("args"); it != request.end()) {
    if (!it->is_object()) return error_reply("\"args\" must be an object");
    args = std::move(*it);
  }

  if (name == "help") {
    json list = json::array({{{"name", "help"}, {"summary", "list the commands"}}});
    for (const auto& [n, entry] : commands_) list.push_back({{"name", n}, {"summary", entry.summary}});
    return ok_reply(std::move(list));
  }

  auto entry = commands_.find(name);
  if (entry == commands_.end()) return error_reply("unknown command '" + name + "' (try 'help')");

  try {
    auto result = entry->second.command(args);
    if (!result) return error_reply(result.error());
    return ok_reply(std::move(*result));
  } catch (const std::exception& e) {
    return error_reply("command '" + name + "' failed: " + e.what());
  } catch (...) {
    return error_reply("command '" + name + "' failed");
  }
}

std::filesystem::path socket_path_for(std::string_view wayland_socket) {
  const char* dir = std::getenv("XDG_RUNTIME_DIR");
  if (!dir || !*dir) return {};
  // WAYLAND_DISPLAY may be an absolute path; only its last component names the instance.
  auto name = std::filesystem::path(wayland_socket).filename().string();
  return std::filesystem::path(dir) / ("tranche." + name + ".ipc");
}

}  // namespace tranche::ipc
