// wlr-layer-shell surfaces: panels, backgrounds, overlays. They are arranged
// per output; exclusive zones shrink the area left for windows.
#pragma once

#include "listener.hpp"
#include "server.hpp"

namespace tranche {

class LayerSurface : public SceneObject {
 public:
  LayerSurface(Server& server, wlr_layer_surface_v1* layer);
  ~LayerSurface() override;

  Output* output() const;
  wlr_scene_tree* scene_tree() const { return scene_->tree; }
  wlr_box geometry() const;  // layout coordinates
  bool mapped() const { return layer->surface->mapped; }
  void close();  // the output went away

  Server& server;
  wlr_layer_surface_v1* layer;
  const uint64_t id;

 private:
  friend wlr_box arrange_layers(Output& output, wlr_box full);
  void move_to_layer(zwlr_layer_shell_v1_layer layer_index);

  wlr_scene_layer_surface_v1* scene_;
  zwlr_layer_shell_v1_layer current_layer_;
  Listener map_, unmap_, commit_, destroy_, new_popup_;
};

// Configures every layer surface on `output` within `full` (layout coordinates);
// returns the area left for windows.
wlr_box arrange_layers(Output& output, wlr_box full);

const char* layer_name(zwlr_layer_shell_v1_layer layer);

void handle_new_layer_surface(Server& server, wlr_layer_surface_v1* layer);

}  // namespace tranche
