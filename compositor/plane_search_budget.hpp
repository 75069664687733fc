// See plane_search_budget.cpp: how long libliftoff may search for a plane
// assignment per frame. Only the tranche executable has the hook; elsewhere
// this setting does nothing.
#pragma once

namespace tranche {
void set_plane_search_budget(int milliseconds);
}
