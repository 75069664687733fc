#include "xdg_shell.hpp"

#include "layer_shell.hpp"
#include "output.hpp"
#include "view.hpp"

namespace tranche {

void handle_new_xdg_toplevel(Server& server, wlr_xdg_toplevel* toplevel) {
  new View(server, toplevel);  // owns itself; dies with the toplevel
}

void handle_new_xdg_popup(Server& server, wlr_xdg_popup* popup) {
  // Popups of layer surfaces are created by the layer surface (see layer_shell);
  // their parent is still null here, until zwlr_layer_surface_v1.get_popup.
  if (!popup->parent) return;
  wlr_xdg_surface* parent = wlr_xdg_surface_try_from_wlr_surface(popup->parent);
  if (!parent || !parent->data) return;
  new Popup(server, popup, static_cast<wlr_scene_tree*>(parent->data));
}

Popup::Popup(Server& server, wlr_xdg_popup* popup, wlr_scene_tree* parent_tree)
    : server_(server), popup_(popup) {
  wlr_scene_tree* tree = wlr_scene_xdg_surface_create(parent_tree, popup->base);
  popup->base->data = tree;  // for nested popups
  commit_.connect(&popup->base->surface->events.commit, [this](void*) {
    if (popup_->base->initial_commit) unconstrain();
  });
  reposition_.connect(&popup->events.reposition, [this](void*) { unconstrain(); });
  destroy_.connect(&popup->events.destroy, [this](void*) { delete this; });
}

void Popup::unconstrain() {
  // Walk to the root surface (a toplevel or a layer surface); the constraint box
  // is the output in that surface's coordinates.
  wlr_surface* root = popup_->parent;
  while (wlr_xdg_surface* xdg = wlr_xdg_surface_try_from_wlr_surface(root)) {
    if (xdg->role != WLR_XDG_SURFACE_ROLE_POPUP || !xdg->popup) break;
    root = xdg->popup->parent;
  }
  wlr_scene_tree* root_tree = nullptr;
  if (wlr_xdg_surface* xdg = wlr_xdg_surface_try_from_wlr_surface(root)) {
    root_tree = static_cast<wlr_scene_tree*>(xdg->data);
  } else if (wlr_layer_surface_v1* layer = wlr_layer_surface_v1_try_from_wlr_surface(root)) {
    if (layer->data) root_tree = static_cast<LayerSurface*>(layer->data)->scene_tree();
  }
  if (!root_tree) {
    wlr_xdg_surface_schedule_configure(popup_->base);
    return;
  }
  int lx = 0, ly = 0;
  wlr_scene_node_coords(&root_tree->node, &lx, &ly);
  Output* output = server_.output_at(lx, ly);
  if (!output) output = server_.focused_output();
  if (!output) {
    wlr_xdg_surface_schedule_configure(popup_->base);
    return;
  }
  wlr_box box = output->layout_box();
  box.x -= lx;
  box.y -= ly;
  wlr_xdg_popup_unconstrain_from_box(popup_, &box);  // also schedules the configure
}

}  // namespace tranche
