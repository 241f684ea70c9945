// shim/sigsuspend.cpp — sigsuspend and pause: a G waits with the given mask
// until a handler runs (core/signal.h), parked, its M free for others.
// While one thread exists the kernel holds its mask, and the call goes to
// the kernel as a blocking system call. Cancellation points.
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "core/export.h"
#include "core/signal.h"
#include "core/sigmask.h"
#include "shim/blocking_call.h"
#include "shim/signal_calls.h"

using namespace weft;

namespace weft {
// The raw result (-EINTR), for syscall(SYS_rt_sigsuspend) too.
long suspend_g(G* self, uint64_t mask) {
  sync::cancel_point();
  long r;
  if (signals_routed()) {
    r = sigsuspend_g(self, mask, [] { return sync::cancel_pending(); });
  } else {
    r = blocking::call_cancellable(
        [&] { return sys::call6(SYS_rt_sigsuspend, long(&mask), 8); });
  }
  sync::cancel_point();
  return r;
}
}  // namespace weft

WEFT_EXPORT int sigsuspend(const sigset_t* mask) {
  G* self = current_g();
  if (!self || self->is_g0) return WEFT_CALL_REAL(sigsuspend, mask);
  return int(blocking::libc_result(suspend_g(self, sigset_bits(mask))));
}

WEFT_EXPORT int pause() {
  G* self = current_g();
  if (!self || self->is_g0) return WEFT_CALL_REAL(pause);
  return int(blocking::libc_result(suspend_g(self, self->sigmask.load(std::memory_order_relaxed))));
}
