// shim/pthread_cancel.cpp — cancelling another G.
//
// glibc marks the target's cancelhandling and, for asynchronous
// cancellation, signals its task; a G has no task, so weft marks the bits as
// glibc does and interrupts the G's wait (core/signal.h): every cancellation
// point of shim/ checks the bits when its wait returns and acts on them
// through glibc's own unwinding (cleanup handlers, destructors, re-acquiring
// a condvar's mutex). A G blocked in the kernel inside a cancellation point
// (waitpid, sigwait, ...) has its call interrupted (core/syscall_cancel.h).
// Asynchronous cancellation of a G that never reaches a
// cancellation point waits for preemption (future work). Cancelling oneself
// is left to glibc, which handles it without signals.
#include <errno.h>
#include <pthread.h>

#include "core/export.h"
#include "core/real.h"
#include "core/signal.h"
#include "core/syscall_cancel.h"
#include "shim/thread.h"

namespace {
// nptl/descr.h
constexpr int kCanceling = 1 << 2;
constexpr int kCanceled = 1 << 3;
}  // namespace

WEFT_EXPORT int pthread_cancel(pthread_t t) {
  using namespace weft;
  G* g = g_of(t);
  if (!runtime_active() || !g || g == current_g())
    return real<int (*)(pthread_t)>("pthread_cancel")(t);
  if (g->life.load(std::memory_order_acquire) >= kExited) return 0;
  int* ch = &tcb_field<int>(g->tcb, tcb_off::kCancelHandling);
  __atomic_fetch_or(ch, kCanceling | kCanceled, __ATOMIC_SEQ_CST);
  interrupt_g(g);
  interrupt_kernel_call(g);
  return 0;
}
