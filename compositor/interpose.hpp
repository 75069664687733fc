// For the tranche executable's overrides of library functions (libliftoff,
// libwayland-server): the next definition of a symbol, i.e. the library's own.
#pragma once

#include <dlfcn.h>

namespace tranche {

template <typename Fn>
Fn next_symbol(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

}  // namespace tranche
