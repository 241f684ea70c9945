// shim/pthread_sigmask.cpp — pthread_sigmask and sigprocmask: a G's mask is
// its own (core/signal.h), whatever M it runs on. As glibc: glibc's two
// reserved signals are dropped from the set silently, and an unknown `how`
// is EINVAL. Callers that are not Gs reach libc.
#include <errno.h>
#include <signal.h>

#include "core/export.h"
#include "core/self.h"
#include "core/signal.h"
#include "shim/blocking_call.h"
#include "shim/signal_calls.h"

namespace weft {

// The work of both, as an errno value; also rt_sigprocmask's through
// syscall() (shim/signal_syscall.cpp).
int change_thread_mask(int how, const sigset_t* set, sigset_t* old) {
  if (set && how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK) return EINVAL;
  G* self = current_g();
  uint64_t before;
  if (set)
    sigmask_change(self, how, sigset_bits(set), &before);
  else
    before = self->sigmask.load(std::memory_order_relaxed);
  if (old) {
    sigemptyset(old);
    old->__val[0] = before;
  }
  return 0;
}

}  // namespace weft

using namespace weft;

WEFT_EXPORT int pthread_sigmask(int how, const sigset_t* set, sigset_t* old) {
  G* self = current_g();
  if (!self || self->is_g0) return WEFT_CALL_REAL(pthread_sigmask, how, set, old);
  return change_thread_mask(how, set, old);
}

WEFT_EXPORT int sigprocmask(int how, const sigset_t* set, sigset_t* old) {
  G* self = current_g();
  if (!self || self->is_g0) return WEFT_CALL_REAL(sigprocmask, how, set, old);
  int err = change_thread_mask(how, set, old);
  if (err) errno = err;
  return err ? -1 : 0;
}
