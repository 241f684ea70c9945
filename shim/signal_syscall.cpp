// shim/signal_syscall.cpp — the signal-mask and signal-wait system calls
// made through syscall(): they go where their libc wrappers go (a G's mask
// and waits are weft's, core/signal.h). Raw results (-errno).
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>

#include "core/g.h"
#include "core/self.h"
#include "core/signal.h"
#include "core/sys.h"
#include "shim/signal_calls.h"

namespace weft {

bool signal_syscall(long n, const long* a, long* r) {
  G* self = current_g();
  if (!self || self->is_g0) return false;
  switch (n) {
    case SYS_rt_sigprocmask:
      if (a[3] != 8) return false;  // the kernel's EINVAL
      *r = -change_thread_mask(int(a[0]), reinterpret_cast<const sigset_t*>(a[1]),
                               reinterpret_cast<sigset_t*>(a[2]));
      return true;
    case SYS_rt_sigpending: {
      if (a[1] > 8) return false;
      uint64_t set = sigpending_of(self);
      __builtin_memcpy(reinterpret_cast<void*>(a[0]), &set, size_t(a[1]));
      *r = 0;
      return true;
    }
    case SYS_rt_sigsuspend:
      if (a[1] != 8) return false;
      *r = suspend_g(self, *reinterpret_cast<const uint64_t*>(a[0]));
      return true;
    case SYS_pause:
      *r = suspend_g(self, self->sigmask.load(std::memory_order_relaxed));
      return true;
    case SYS_rt_sigtimedwait:
      if (a[3] != 8) return false;
      *r = timedwait_g(reinterpret_cast<const sigset_t*>(a[0]), reinterpret_cast<siginfo_t*>(a[1]),
                       reinterpret_cast<const struct timespec*>(a[2]));
      return true;
    case SYS_kill:
    case SYS_pidfd_send_signal:
    case SYS_rt_sigqueueinfo:
      *r = sys::call6(n, a[0], a[1], a[2], a[3]);
      if (*r == 0) take_own_signals_now(self);
      return true;
    case SYS_sigaltstack:
      *r = altstack_g(self, reinterpret_cast<const stack_t*>(a[0]), reinterpret_cast<stack_t*>(a[1]));
      return true;
    default:
      return false;
  }
}

}  // namespace weft
