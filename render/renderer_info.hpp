// Facts about the renderer that policy depends on.
#pragma once

#include "wlr.hpp"

namespace tranche::render {

// Whether the renderer draws with the CPU: pixman, or GLES2 on one of Mesa's
// software rasterizers (llvmpipe, softpipe, swrast; asked of the driver). Its
// buffers are then system memory, and the CPU may read them.
bool renderer_is_software(wlr_renderer* renderer);

// Waits until the renderer has finished what was submitted: wlroots' GLES2
// submit only flushes, and llvmpipe rasterizes on worker threads afterwards
// without fencing the buffer, so the CPU must wait before it reads a frame.
void renderer_finish(wlr_renderer* renderer);

}  // namespace tranche::render
