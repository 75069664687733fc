#include "renderer_info.hpp"

#include <cstring>

namespace tranche::render {

namespace {
// Runs `fn` with the GLES2 renderer's EGL context current, restoring the
// caller's context afterwards; false when the context cannot be made current.
template <typename F>
bool with_gles2_context(wlr_renderer* renderer, F&& fn) {
  wlr_egl* egl = wlr_gles2_renderer_get_egl(renderer);
  EGLDisplay display = wlr_egl_get_display(egl);
  EGLDisplay prev_display = eglGetCurrentDisplay();
  EGLContext prev_context = eglGetCurrentContext();
  EGLSurface prev_draw = eglGetCurrentSurface(EGL_DRAW), prev_read = eglGetCurrentSurface(EGL_READ);
  if (!eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, wlr_egl_get_context(egl))) return false;
  fn();
  if (prev_context != EGL_NO_CONTEXT) eglMakeCurrent(prev_display, prev_draw, prev_read, prev_context);
  else eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
  return true;
}
}  // namespace

bool renderer_is_software(wlr_renderer* renderer) {
  if (wlr_renderer_is_pixman(renderer)) return true;
  if (!wlr_renderer_is_gles2(renderer)) return false;
  bool software = false;
  with_gles2_context(renderer, [&] {
    const char* name = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    software = name && (strstr(name, "llvmpipe") || strstr(name, "softpipe") || strstr(name, "swrast"));
  });
  return software;
}

void renderer_finish(wlr_renderer* renderer) {
  // pixman draws synchronously.
  if (wlr_renderer_is_gles2(renderer)) with_gles2_context(renderer, [] { glFinish(); });
}

}  // namespace tranche::render
