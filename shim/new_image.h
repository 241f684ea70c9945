// shim/new_image.h — what every path that starts a new program image
// shares (shim/exec.cpp, shim/spawn.cpp, shim/vfork.cpp).
#pragma once
#include <errno.h>

#include "core/sigmask.h"

namespace weft {

// Runs fn with the calling thread's own signal mask in its task's kernel
// mask, which a new image inherits (core/sigmask.h), and puts the M's back
// afterwards (the exec failed, or the spawn returned), keeping errno.
template <class Fn>
auto with_own_mask(Fn fn) {
  sigmask_kernel_for_exec();
  auto r = fn();
  int saved = errno;
  sigmask_kernel_restore();
  errno = saved;
  return r;
}

}  // namespace weft
