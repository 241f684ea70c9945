// shim/sigwait.cpp — sigtimedwait, sigwaitinfo, sigwait. While signals are
// routed by weft (core/signal.h) a G parks until one of the set is pending
// for it or for the process; while one thread exists the kernel holds them,
// and the G waits in the kernel as a blocking system call. Cancellation
// points. As glibc: an SI_TKILL si_code is reported as SI_USER, and sigwait
// retries after EINTR (it never returns it); a bad timeout is EINVAL.
#include <errno.h>
#include <signal.h>

#include "core/export.h"
#include "core/signal.h"
#include "core/sigmask.h"
#include "core/sys.h"
#include "shim/blocking_call.h"
#include "shim/signal_calls.h"

using namespace weft;

namespace weft {
// The raw result (signal number or -errno), for syscall(SYS_rt_sigtimedwait).
long timedwait_g(const sigset_t* set, siginfo_t* info, const struct timespec* timeout) {
  long r;
  if (signals_routed()) {
    if (timeout && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000))
      return -EINVAL;
    sync::cancel_point();
    int64_t deadline = -1;
    if (timeout) deadline = sys::now_ns() + timeout->tv_sec * 1000000000 + timeout->tv_nsec;
    r = sigwait_g(current_g(), sigset_bits(set), info, deadline,
                  [] { return sync::cancel_pending(); });
    if (r == -EINTR) sync::cancel_point();
  } else {
    r = blocking::call_cancellable([&] {
      return sys::call6(SYS_rt_sigtimedwait, (long)set, (long)info, (long)timeout, _NSIG / 8);
    });
  }
  if (r > 0 && info && info->si_code == SI_TKILL) info->si_code = SI_USER;
  return r;
}
}  // namespace weft

WEFT_EXPORT int sigtimedwait(const sigset_t* set, siginfo_t* info, const struct timespec* timeout) {
  if (!current_g()) return WEFT_CALL_REAL(sigtimedwait, set, info, timeout);
  return static_cast<int>(blocking::libc_result(timedwait_g(set, info, timeout)));
}

WEFT_EXPORT int sigwaitinfo(const sigset_t* set, siginfo_t* info) {
  if (!current_g()) return WEFT_CALL_REAL(sigwaitinfo, set, info);
  return static_cast<int>(blocking::libc_result(timedwait_g(set, info, nullptr)));
}

WEFT_EXPORT int sigwait(const sigset_t* set, int* sig) {
  if (!current_g()) return WEFT_CALL_REAL(sigwait, set, sig);
  long r;
  do r = timedwait_g(set, nullptr, nullptr);
  while (r == -EINTR);
  if (r < 0) return static_cast<int>(-r);
  *sig = static_cast<int>(r);
  return 0;
}
