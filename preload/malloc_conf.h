// preload/malloc_conf.h — see preload/malloc_conf.cpp.
#pragma once

namespace weft {

// Must run before the process's first allocation.
void configure_malloc(char** envp);

}  // namespace weft
