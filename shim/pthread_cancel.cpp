// shim/pthread_cancel.cpp — cancelling another G.
//
// glibc marks the target's cancelhandling and, for asynchronous
// cancellation, signals its task; a G has no task, so weft marks the bits as
// glibc does and interrupts the G's wait (core/signal.h): every cancellation
// point of shim/ checks the bits when its wait returns and acts on them
// through glibc's own unwinding (cleanup handlers, destructors, re-acquiring
// a condvar's mutex). A G blocked in the kernel inside a cancellation point
// (waitpid, sigwait, ...) has its call interrupted (core/syscall_cancel.h).
// A G with asynchronous cancellation is also made to act wherever it is
// safe: running the program's code, at a system call in libc, or in a weft
// wait that is not a cancellation point (core/async_cancel.h). Cancelling
// oneself is left to glibc, which handles it without signals.
#include <errno.h>
#include <pthread.h>

#include "core/async_cancel.h"
#include "core/cancel_bits.h"
#include "core/export.h"
#include "core/real.h"
#include "core/signal.h"
#include "core/syscall_cancel.h"
#include "shim/thread.h"

WEFT_EXPORT int pthread_cancel(pthread_t t) {
  using namespace weft;
  G* g = g_of(t);
  if (!runtime_active() || !g || g == current_g())
    return real<int (*)(pthread_t)>("pthread_cancel")(t);
  if (g->life.load(std::memory_order_acquire) >= kExited) return 0;
  int ch = __atomic_fetch_or(cancel_bits::word(g->tcb),
                             cancel_bits::kCanceling | cancel_bits::kCanceled, __ATOMIC_SEQ_CST);
  // A thread with cancellation disabled is left alone, as NPTL sends it no
  // signal (its waits must not end early); once it enables, its next
  // cancellation point acts (each looks before it waits), or glibc at once
  // for the asynchronous type.
  if (ch & cancel_bits::kDisabled) return 0;
  interrupt_g(g);
  interrupt_kernel_call(g);
  async_cancel_request(g);
  return 0;
}
