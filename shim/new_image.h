// shim/new_image.h — what every path that starts a new program image
// shares (shim/exec.cpp, shim/spawn.cpp, shim/vfork.cpp, SYS_execve in
// shim/syscall.cpp).
#pragma once
#include <errno.h>

#include "core/sigmask.h"
#include "core/wire.h"

namespace weft {

// Runs fn with the calling thread's own signal mask in its task's kernel
// mask, which a new image inherits (core/sigmask.h), and puts the M's back
// afterwards (the exec failed, or the spawn returned), keeping errno. The
// G is wired meanwhile, so that both happen on the same kernel thread even
// if fn parks (popen's allocation may).
template <class Fn>
auto with_own_mask(Fn fn) {
  bool wire = !is_wired();
  if (wire) wire_current();
  sigmask_kernel_for_exec();
  auto r = fn();
  int saved = errno;
  sigmask_kernel_restore();
  if (wire) unwire_current();
  errno = saved;
  return r;
}

}  // namespace weft
