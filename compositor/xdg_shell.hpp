// xdg-shell popups, and the entry points Server uses for new xdg objects.
#pragma once

#include "listener.hpp"
#include "server.hpp"

namespace tranche {

// A popup lives in its parent's scene tree and is kept on its output by
// unconstraining its positioner against the output's box.
class Popup {
 public:
  Popup(Server& server, wlr_xdg_popup* popup, wlr_scene_tree* parent_tree);

 private:
  void unconstrain();

  Server& server_;
  wlr_xdg_popup* popup_;
  Listener commit_, reposition_, destroy_;
};

void handle_new_xdg_toplevel(Server& server, wlr_xdg_toplevel* toplevel);
void handle_new_xdg_popup(Server& server, wlr_xdg_popup* popup);

}  // namespace tranche
