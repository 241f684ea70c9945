// shim/sigwait.cpp — sigtimedwait, sigwaitinfo, sigwait: a G waits in the
// kernel on its M (until the signals work parks them in weft), as a blocking
// system call. Signals sent to the G while it waits there are raised on that
// M (core/signal.h), so the call takes them. Cancellation points. As glibc:
// an SI_TKILL si_code is reported as SI_USER, and sigwait retries after
// EINTR (it never returns it).
#include <signal.h>

#include "core/export.h"
#include "shim/blocking_call.h"

using namespace weft;

namespace {
// rt_sigtimedwait's raw result.
long timedwait_g(const sigset_t* set, siginfo_t* info, const struct timespec* timeout) {
  long r = blocking::call_cancellable([&] {
    return sys::call6(SYS_rt_sigtimedwait, (long)set, (long)info, (long)timeout, _NSIG / 8);
  });
  if (r > 0 && info && info->si_code == SI_TKILL) info->si_code = SI_USER;
  return r;
}
}  // namespace

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
