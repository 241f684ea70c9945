// core/real.cpp — see core/real.h.
#include "core/real.h"

#include <dlfcn.h>

namespace weft {

void* real_symbol(const char* name) { return dlsym(RTLD_NEXT, name); }

}  // namespace weft
