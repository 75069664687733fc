#include "renderer_info.hpp"

#include <cstring>

namespace tranche {

bool renderer_is_software(wlr_renderer* renderer) {
  if (wlr_renderer_is_pixman(renderer)) return true;
  if (!wlr_renderer_is_gles2(renderer)) return false;
  wlr_egl* egl = wlr_gles2_renderer_get_egl(renderer);
  EGLDisplay display = wlr_egl_get_display(egl);
  EGLDisplay prev_display = eglGetCurrentDisplay();
  EGLContext prev_context = eglGetCurrentContext();
  EGLSurface prev_draw = eglGetCurrentSurface(EGL_DRAW), prev_read = eglGetCurrentSurface(EGL_READ);
  if (!eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, wlr_egl_get_context(egl))) return false;
  const char* name = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
  bool software = name && (strstr(name, "llvmpipe") || strstr(name, "softpipe") || strstr(name, "swrast"));
  if (prev_context != EGL_NO_CONTEXT) eglMakeCurrent(prev_display, prev_draw, prev_read, prev_context);
  else eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
  return software;
}

}  // namespace tranche
