// shim/pthread_cond_wait.cpp — pthread_cond_wait, pthread_cond_timedwait
// (absolute time on the condvar's clock) and pthread_cond_clockwait
// (CLOCK_REALTIME or CLOCK_MONOTONIC). Algorithm in shim/cond.h.
//
// glibc 2.36 order of checks: a bad tv_nsec (and, for clockwait, a bad
// clock) is EINVAL before anything else; a time already past is ETIMEDOUT
// after the mutex was released and re-taken. The mutex is re-taken on every
// path before return; __nusers is left alone across the wait (so
// pthread_mutex_destroy says EBUSY meanwhile), as glibc does.
#include <limits.h>

#include "core/export.h"
#include "shim/blocking_call.h"
#include "shim/cond.h"
#include "shim/mutex.h"
#include "shim/sync_common.h"

namespace weft::cond {
namespace {

// The waiter is done with the condvar: drop its reference and let a
// pthread_cond_destroy that waits for the last one proceed. The condvar may
// be freed once the count drains, so the wake only uses its address.
void leave(pthread_cond_t* c) {
  unsigned now = sync::fetch_sub(wrefs(c), kRef) - kRef;
  if ((now >> 3) == 0 && (now & kDestroyWaits)) sync::wake(wrefs(c), INT_MAX, false);
}

struct Waiter {
  pthread_cond_t* c;
  pthread_mutex_t* m;
};

// Cleanup when cancelled while blocked: we may have consumed a signal meant
// for another waiter, so pass one on; then leave and re-take the mutex
// (POSIX runs the cleanup handlers with it held, as NPTL does).
void on_cancel(void* arg) {
  auto* w = static_cast<Waiter*>(arg);
  sync::fetch_add(seq(w->c), 1u);
  sync::wake(seq(w->c), 1, false);
  leave(w->c);
  mutex::lock(w->m, nullptr, CLOCK_REALTIME, true, false);
}

}  // namespace

int wait(pthread_cond_t* c, pthread_mutex_t* m, const timespec* abs, clockid_t clk) {
  // A request already pending is acted upon with the mutex held, which is
  // also what NPTL's cleanup leaves the handlers with.
  sync::cancel_point();
  sync::fetch_add(wrefs(c), kRef);
  uint32_t v = sync::load(seq(c));
  int err = mutex::unlock(m, false);
  if (err != 0) {
    leave(c);
    return err;
  }
  int result = 0;
  Waiter self{c, m};
  pthread_cleanup_push(on_cancel, &self);
  for (;;) {
    int e;
    {
      sync::AsyncCancelScope cancellable;
      e = sync::wait(seq(c), v, abs, clk, false);
    }
    // A G the runtime woke to be cancelled unwinds here (through on_cancel).
    if (sync::cancel_pending()) sync::cancel_point();
    if (e == ETIMEDOUT) {
      result = ETIMEDOUT;
      break;
    }
    // A signal handler interrupted a kernel wait: keep waiting (a signal
    // that came meanwhile changed seq, so nothing is missed).
    if (e != EINTR) break;
  }
  pthread_cleanup_pop(0);
  leave(c);
  err = mutex::lock(m, nullptr, CLOCK_REALTIME, true, false);
  return err != 0 ? err : result;
}

}  // namespace weft::cond

using namespace weft;

namespace {

// Process-shared condvars: glibc's own functions (shim/cond.h), which act
// on cancellation themselves.
int shared_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  static decltype(&pthread_cond_wait) fn;
  return blocking::call_libc_cancellable(sync::real_cached(&fn, "pthread_cond_wait"), c, m);
}

int shared_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clk,
                     const timespec* abs) {
  static decltype(&pthread_cond_clockwait) fn;
  return blocking::call_libc_cancellable(sync::real_cached(&fn, "pthread_cond_clockwait"), c, m,
                                         clk, abs);
}

}  // namespace

WEFT_EXPORT int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  if (cond::flags(c) & cond::kShared) return shared_wait(c, m);
  return cond::wait(c, m, nullptr, CLOCK_REALTIME);
}

WEFT_EXPORT int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m,
                                       const struct timespec* abstime) {
  if (!sync::valid_nsec(abstime->tv_nsec)) return EINVAL;
  unsigned f = cond::flags(c);
  clockid_t clk = (f & cond::kClockMonotonic) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
  if (f & cond::kShared) return shared_clockwait(c, m, clk, abstime);
  return cond::wait(c, m, abstime, clk);
}

WEFT_EXPORT int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clk,
                                       const struct timespec* abstime) {
  if (!sync::valid_nsec(abstime->tv_nsec)) return EINVAL;
  if (!sync::futex_clock_ok(clk)) return EINVAL;
  if (cond::flags(c) & cond::kShared) return shared_clockwait(c, m, clk, abstime);
  return cond::wait(c, m, abstime, clk);
}
