#include "tablet.hpp"

#include <linux/input-event-codes.h>

#include <cmath>

#include "seat.hpp"
#include "view.hpp"
#include "wlr.hpp"

namespace tranche {

struct Tablets::Device {
  wlr_input_device* device;
  wlr_tablet_v2_tablet* tablet = nullptr;  // null for a pad
  Listener destroy;
};

Tablets::Tablets(Seat& seat) : seat_(seat), manager_(wlr_tablet_v2_create(seat.server.display)) {
  wlr_cursor* cursor = seat.cursor;
  proximity_.connect(&cursor->events.tablet_tool_proximity, [this](void* data) {
    auto* e = static_cast<wlr_tablet_tool_proximity_event*>(data);
    wlr_tablet_v2_tablet_tool* tool = tool_for(e->tool);
    if (e->state == WLR_TABLET_TOOL_PROXIMITY_OUT) {
      wlr_tablet_v2_tablet_tool_notify_proximity_out(tool);
      return;
    }
    position(&e->tablet->base, e->tool, true, e->x, e->y, 0, 0, e->time_msec);
  });
  axis_.connect(&cursor->events.tablet_tool_axis, [this](void* data) {
    auto* e = static_cast<wlr_tablet_tool_axis_event*>(data);
    bool moved_x = e->updated_axes & WLR_TABLET_TOOL_AXIS_X, moved_y = e->updated_axes & WLR_TABLET_TOOL_AXIS_Y;
    // Mice and lenses report relative motion, pens where they are.
    bool absolute = e->tool->type != WLR_TABLET_TOOL_TYPE_MOUSE && e->tool->type != WLR_TABLET_TOOL_TYPE_LENS;
    if (moved_x || moved_y)
      position(&e->tablet->base, e->tool, absolute, moved_x ? e->x : NAN, moved_y ? e->y : NAN, e->dx, e->dy,
               e->time_msec);
    wlr_tablet_v2_tablet_tool* tool = tool_for(e->tool);
    if (!tool->focused_surface) return;
    if (e->updated_axes & WLR_TABLET_TOOL_AXIS_PRESSURE) wlr_tablet_v2_tablet_tool_notify_pressure(tool, e->pressure);
    if (e->updated_axes & WLR_TABLET_TOOL_AXIS_DISTANCE) wlr_tablet_v2_tablet_tool_notify_distance(tool, e->distance);
    if (e->updated_axes & (WLR_TABLET_TOOL_AXIS_TILT_X | WLR_TABLET_TOOL_AXIS_TILT_Y))
      wlr_tablet_v2_tablet_tool_notify_tilt(tool, e->tilt_x, e->tilt_y);
    if (e->updated_axes & WLR_TABLET_TOOL_AXIS_ROTATION) wlr_tablet_v2_tablet_tool_notify_rotation(tool, e->rotation);
    if (e->updated_axes & WLR_TABLET_TOOL_AXIS_SLIDER) wlr_tablet_v2_tablet_tool_notify_slider(tool, e->slider);
    if (e->updated_axes & WLR_TABLET_TOOL_AXIS_WHEEL) wlr_tablet_v2_tablet_tool_notify_wheel(tool, e->wheel_delta, 0);
  });
  tip_.connect(&cursor->events.tablet_tool_tip, [this](void* data) {
    auto* e = static_cast<wlr_tablet_tool_tip_event*>(data);
    wlr_tablet_v2_tablet_tool* tool = tool_for(e->tool);
    bool down = e->state == WLR_TABLET_TOOL_TIP_DOWN;
    if (!tool->focused_surface) {  // pointer emulation: the tip is the left button
      seat_.emulate_button(e->time_msec, BTN_LEFT, down);
      return;
    }
    if (down) {
      // Touching a window focuses it, as a click does.
      wlr_surface* surface = nullptr;
      double sx, sy;
      if (auto* view = dynamic_cast<View*>(seat_.server.object_at(seat_.cursor->x, seat_.cursor->y, &surface, &sx, &sy)))
        seat_.server.focus_view(view);
      wlr_tablet_v2_tablet_tool_notify_down(tool);
      wlr_tablet_tool_v2_start_implicit_grab(tool);
    } else {
      wlr_tablet_v2_tablet_tool_notify_up(tool);
    }
  });
  button_.connect(&cursor->events.tablet_tool_button, [this](void* data) {
    auto* e = static_cast<wlr_tablet_tool_button_event*>(data);
    wlr_tablet_v2_tablet_tool* tool = tool_for(e->tool);
    bool pressed = e->state == WLR_BUTTON_PRESSED;
    if (tool->focused_surface) {
      wlr_tablet_v2_tablet_tool_notify_button(tool, e->button,
                                              pressed ? ZWP_TABLET_PAD_V2_BUTTON_STATE_PRESSED
                                                      : ZWP_TABLET_PAD_V2_BUTTON_STATE_RELEASED);
      return;
    }
    // Emulated: the first stylus button is the right one, the second the middle.
    uint32_t button = e->button == BTN_STYLUS ? BTN_RIGHT : e->button == BTN_STYLUS2 ? BTN_MIDDLE : e->button;
    seat_.emulate_button(e->time_msec, button, pressed);
  });
}

Tablets::~Tablets() = default;

void Tablets::add_device(wlr_input_device* device) {
  auto added = std::make_unique<Device>();
  added->device = device;
  if (device->type == WLR_INPUT_DEVICE_TABLET) {
    added->tablet = wlr_tablet_create(manager_, seat_.wlr, device);
    wlr_cursor_attach_input_device(seat_.cursor, device);
  } else {
    wlr_tablet_pad_create(manager_, seat_.wlr, device);
  }
  Device* d = added.get();
  d->destroy.connect(&device->events.destroy, [this, d](void*) {
    devices_.remove_if([d](const auto& other) { return other.get() == d; });
  });
  devices_.push_back(std::move(added));
}

wlr_tablet_v2_tablet* Tablets::tablet_for(wlr_input_device* device) {
  for (auto& d : devices_)
    if (d->device == device) return d->tablet;
  return nullptr;
}

wlr_tablet_v2_tablet_tool* Tablets::tool_for(wlr_tablet_tool* tool) {
  // One per physical tool, made when it is first seen; wlroots frees it with the tool.
  if (!tool->data) tool->data = wlr_tablet_tool_create(manager_, seat_.wlr, tool);
  return static_cast<wlr_tablet_v2_tablet_tool*>(tool->data);
}

void Tablets::position(wlr_input_device* device, wlr_tablet_tool* wlr_tool, bool absolute, double x, double y,
                       double dx, double dy, uint32_t time_msec) {
  if (absolute) wlr_cursor_warp_absolute(seat_.cursor, device, x, y);
  else wlr_cursor_move(seat_.cursor, device, dx, dy);
  wlr_tablet_v2_tablet_tool* tool = tool_for(wlr_tool);
  wlr_tablet_v2_tablet* tablet = tablet_for(device);
  // An implicit grab (tip down) keeps the surface it started on.
  if (wlr_tablet_tool_v2_has_implicit_grab(tool) && tool->focused_surface) {
    wlr_surface* surface = nullptr;
    double sx = 0, sy = 0;
    seat_.server.object_at(seat_.cursor->x, seat_.cursor->y, &surface, &sx, &sy);
    if (surface == tool->focused_surface) wlr_tablet_v2_tablet_tool_notify_motion(tool, sx, sy);
    return;
  }
  wlr_surface* surface = nullptr;
  double sx = 0, sy = 0;
  seat_.server.object_at(seat_.cursor->x, seat_.cursor->y, &surface, &sx, &sy);
  if (!surface || !tablet || !wlr_surface_accepts_tablet_v2(surface, tablet)) {
    wlr_tablet_v2_tablet_tool_notify_proximity_out(tool);
    seat_.refresh_pointer(time_msec);  // the pointer follows the tool
    return;
  }
  wlr_tablet_v2_tablet_tool_notify_proximity_in(tool, tablet, surface);
  wlr_tablet_v2_tablet_tool_notify_motion(tool, sx, sy);
}

}  // namespace tranche
