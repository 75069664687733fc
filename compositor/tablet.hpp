// Drawing tablets (tablet-v2): pens, erasers and the like reach a surface that
// takes tablet input as tablet events (pressure, tilt, distance...), any other
// surface as an emulated pointer (tip = left button), as sway does. The tool
// moves the cursor. Pads are advertised, their buttons not yet routed.
#pragma once

#include <list>
#include <memory>

#include "listener.hpp"

struct wlr_input_device;
struct wlr_tablet_manager_v2;
struct wlr_tablet_tool;
struct wlr_tablet_v2_tablet;
struct wlr_tablet_v2_tablet_tool;

namespace tranche {

class Seat;

class Tablets {
 public:
  explicit Tablets(Seat& seat);
  ~Tablets();
  Tablets(const Tablets&) = delete;
  Tablets& operator=(const Tablets&) = delete;

  void add_device(wlr_input_device* device);  // a tablet or a pad

 private:
  struct Device;
  wlr_tablet_v2_tablet* tablet_for(wlr_input_device* device);
  wlr_tablet_v2_tablet_tool* tool_for(wlr_tablet_tool* tool);
  // Moves the cursor, then gives the tool to the surface under it: tablet
  // events where the surface takes them, else pointer emulation.
  void position(wlr_input_device* device, wlr_tablet_tool* tool, bool absolute, double x, double y, double dx,
                double dy, uint32_t time_msec);

  Seat& seat_;
  wlr_tablet_manager_v2* manager_;
  std::list<std::unique_ptr<Device>> devices_;
  Listener axis_, proximity_, tip_, button_;
};

}  // namespace tranche
