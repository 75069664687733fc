#include "layer_shell.hpp"

#include "output.hpp"
#include "seat.hpp"
#include "xdg_shell.hpp"

namespace tranche {

namespace {
wlr_scene_tree* tree_for(Server& server, zwlr_layer_shell_v1_layer layer) {
  switch (layer) {
    case ZWLR_LAYER_SHELL_V1_LAYER_BACKGROUND: return server.layers.background;
    case ZWLR_LAYER_SHELL_V1_LAYER_BOTTOM: return server.layers.bottom;
    case ZWLR_LAYER_SHELL_V1_LAYER_TOP: return server.layers.top;
    case ZWLR_LAYER_SHELL_V1_LAYER_OVERLAY: return server.layers.overlay;
  }
  return server.layers.top;
}
}  // namespace

const char* layer_name(zwlr_layer_shell_v1_layer layer) {
  switch (layer) {
    case ZWLR_LAYER_SHELL_V1_LAYER_BACKGROUND: return "background";
    case ZWLR_LAYER_SHELL_V1_LAYER_BOTTOM: return "bottom";
    case ZWLR_LAYER_SHELL_V1_LAYER_TOP: return "top";
    case ZWLR_LAYER_SHELL_V1_LAYER_OVERLAY: return "overlay";
  }
  return "unknown";
}

void handle_new_layer_surface(Server& server, wlr_layer_surface_v1* layer) {
  if (!layer->output) {
    Output* output = server.focused_output();
    if (!output) {
      wlr_layer_surface_v1_destroy(layer);  // nowhere to show it
      return;
    }
    layer->output = output->wlr;
  }
  server.layer_surfaces.push_back(std::make_unique<LayerSurface>(server, layer));
}

LayerSurface::LayerSurface(Server& server, wlr_layer_surface_v1* layer)
    : server(server),
      layer(layer),
      id(server.surface_ids.of(layer->surface)),
      scene_(wlr_scene_layer_surface_v1_create(tree_for(server, layer->pending.layer), layer)),
      current_layer_(layer->pending.layer) {
  layer->data = this;
  scene_->tree->node.data = static_cast<SceneObject*>(this);

  commit_.connect(&layer->surface->events.commit, [this](void*) {
    if (!this->layer->initialized) return;
    // A zero size leaves that dimension to the compositor, which needs both opposite
    // anchors for it; wlroots 0.18 does not check.
    const auto& state = this->layer->current;
    const uint32_t horizontal = ZWLR_LAYER_SURFACE_V1_ANCHOR_LEFT | ZWLR_LAYER_SURFACE_V1_ANCHOR_RIGHT;
    const uint32_t vertical = ZWLR_LAYER_SURFACE_V1_ANCHOR_TOP | ZWLR_LAYER_SURFACE_V1_ANCHOR_BOTTOM;
    if ((state.desired_width == 0 && (state.anchor & horizontal) != horizontal) ||
        (state.desired_height == 0 && (state.anchor & vertical) != vertical)) {
      wl_resource_post_error(this->layer->resource, ZWLR_LAYER_SURFACE_V1_ERROR_INVALID_SIZE,
                             "a zero width or height needs anchors on both opposite edges");
      return;
    }
    if (this->layer->current.layer != current_layer_) move_to_layer(this->layer->current.layer);
    // Keyboard interactivity can change while mapped: take or give back the keyboard.
    if (this->layer->surface->mapped &&
        (this->layer->current.committed & WLR_LAYER_SURFACE_V1_STATE_KEYBOARD_INTERACTIVITY)) {
      auto interactivity = this->layer->current.keyboard_interactive;
      if (interactivity == ZWLR_LAYER_SURFACE_V1_KEYBOARD_INTERACTIVITY_EXCLUSIVE &&
          this->layer->current.layer >= ZWLR_LAYER_SHELL_V1_LAYER_TOP)
        this->server.seat->focus_layer(this);
      else if (interactivity == ZWLR_LAYER_SURFACE_V1_KEYBOARD_INTERACTIVITY_NONE)
        this->server.seat->layer_unmapped(*this);  // refocuses the window if we had the keyboard
    }
    // Arranging on every commit is cheap and answers the initial commit too.
    if (this->layer->initial_commit || this->layer->current.committed) {
      if (Output* o = output()) o->arrange();
    }
  });
  map_.connect(&layer->surface->events.map, [this](void*) {
    if (Output* o = output()) o->arrange();
    // Like a new window, an interactive (exclusive or on-demand) panel or overlay gets the keyboard.
    if (this->layer->current.keyboard_interactive != ZWLR_LAYER_SURFACE_V1_KEYBOARD_INTERACTIVITY_NONE &&
        this->layer->current.layer >= ZWLR_LAYER_SHELL_V1_LAYER_TOP)
      this->server.seat->focus_layer(this);
  });
  unmap_.connect(&layer->surface->events.unmap, [this](void*) {
    this->server.seat->layer_unmapped(*this);
    if (Output* o = output()) o->arrange();
  });
  new_popup_.connect(&layer->events.new_popup, [this](void* data) {
    new Popup(this->server, static_cast<wlr_xdg_popup*>(data), scene_->tree);
  });
  destroy_.connect(&layer->events.destroy, [this](void*) {
    Server& s = this->server;
    Output* o = output();
    s.seat->layer_unmapped(*this);
    this->layer->data = nullptr;
    s.layer_surfaces.remove_if([this](const auto& l) { return l.get() == this; });  // deletes this
    if (o) o->arrange();
  });
}

LayerSurface::~LayerSurface() {
  map_.disconnect();
  unmap_.disconnect();
  commit_.disconnect();
  new_popup_.disconnect();
  destroy_.disconnect();
}

Output* LayerSurface::output() const {
  return layer->output ? server.output_of(layer->output) : nullptr;
}

wlr_box LayerSurface::geometry() const {
  int lx = 0, ly = 0;
  wlr_scene_node_coords(&scene_->tree->node, &lx, &ly);
  return {lx, ly, static_cast<int>(layer->current.actual_width), static_cast<int>(layer->current.actual_height)};
}

void LayerSurface::close() {
  layer->output = nullptr;
  wlr_layer_surface_v1_destroy(layer);
}

void LayerSurface::move_to_layer(zwlr_layer_shell_v1_layer layer_index) {
  current_layer_ = layer_index;
  wlr_scene_node_reparent(&scene_->tree->node, tree_for(server, layer_index));
}

wlr_box arrange_layers(Output& output, wlr_box full) {
  wlr_box usable = full;
  // Exclusive zones first, from the top layer down, so panels claim their edges.
  for (bool exclusive : {true, false}) {
    for (int index = ZWLR_LAYER_SHELL_V1_LAYER_OVERLAY; index >= ZWLR_LAYER_SHELL_V1_LAYER_BACKGROUND; --index) {
      for (auto& surface : output.server.layer_surfaces) {
        wlr_layer_surface_v1* layer = surface->layer;
        if (surface->output() != &output || !layer->initialized) continue;
        if (layer->current.layer != index || (layer->current.exclusive_zone > 0) != exclusive) continue;
        wlr_scene_layer_surface_v1_configure(surface->scene_, &full, &usable);
      }
    }
  }
  return usable;
}

}  // namespace tranche
