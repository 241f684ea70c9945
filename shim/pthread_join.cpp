// shim/pthread_join.cpp — pthread_join, tryjoin_np, timedjoin_np,
// clockjoin_np and C11 thrd_join, with NPTL's results:
// Blocking joins are cancellation points while they wait.
// ESRCH for a thread already joined (while its stack is cached: as under
// NPTL, a handle is undefined once its thread is joined, and its memory may
// be gone), EINVAL for a detached one (running, or exited while its stack
// is cached) or a second joiner, EDEADLK for self-join, EBUSY (try), ETIMEDOUT; a negative tv_sec times out at once; an
// invalid tv_nsec waits as glibc's loop does.
#include <errno.h>
#include <pthread.h>
#include <threads.h>
#include <time.h>

#include "core/export.h"
#include "core/futex.h"
#include "core/real.h"
#include "shim/c11.h"
#include "shim/sync_common.h"
#include "shim/thread.h"

namespace weft {
namespace {

bool valid_clock(clockid_t c) { return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC; }

int join(pthread_t t, void** ret, clockid_t clock, const timespec* abstime, bool block) {
  G* target = g_of(t);
  // tryjoin answers EBUSY for any thread still running, before other checks.
  if (!block && __atomic_load_n(&target->exit_word, __ATOMIC_ACQUIRE) == 0) return EBUSY;
  uint32_t life = target->life.load(std::memory_order_acquire);
  if (life == kReaped) return ESRCH;
  if (life == kDetached || life == kDetachedExited) return EINVAL;
  G* self = current_g();
  if (target == self) return EDEADLK;
  G* expected = nullptr;
  if (!target->joiner.compare_exchange_strong(expected, self ? self : target,
                                              std::memory_order_acq_rel))
    return EINVAL;
  // glibc: a negative tv_sec times out at once; an invalid tv_nsec makes the
  // kernel refuse each wait, and glibc's loop retries until the thread ends.
  bool expired = abstime && abstime->tv_sec < 0;
  if (abstime && (abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000)) abstime = nullptr;
  while (__atomic_load_n(&target->exit_word, __ATOMIC_ACQUIRE) == 0) {
    // A cancellation point while it has to wait, as NPTL's (pthread_cancel
    // interrupts the wait); the target can be joined again.
    if (!expired && sync::cancel_pending()) {
      target->joiner.store(nullptr, std::memory_order_release);
      sync::cancel_point();
    }
    int r = expired ? ETIMEDOUT : futex_wait(&target->exit_word, 0, abstime, clock, false);
    if (r == ETIMEDOUT && __atomic_load_n(&target->exit_word, __ATOMIC_ACQUIRE) == 0) {
      target->joiner.store(nullptr, std::memory_order_release);
      return ETIMEDOUT;
    }
  }
  if (ret) *ret = target->result;
  target->joiner.store(nullptr, std::memory_order_relaxed);
  thread_reap(target);
  return 0;
}

// Threads weft did not make (before start-up, or a native fallback).
bool native(pthread_t t) { return !runtime_active() || !g_of(t); }

}  // namespace
}  // namespace weft

using weft::join;
using weft::native;
using weft::real;

WEFT_EXPORT int pthread_join(pthread_t t, void** ret) {
  if (native(t)) return real<int (*)(pthread_t, void**)>("pthread_join")(t, ret);
  return join(t, ret, CLOCK_REALTIME, nullptr, true);
}

WEFT_EXPORT int pthread_tryjoin_np(pthread_t t, void** ret) {
  if (native(t)) return real<int (*)(pthread_t, void**)>("pthread_tryjoin_np")(t, ret);
  return join(t, ret, CLOCK_REALTIME, nullptr, false);
}

WEFT_EXPORT int pthread_timedjoin_np(pthread_t t, void** ret, const struct timespec* abstime) {
  if (native(t))
    return real<int (*)(pthread_t, void**, const timespec*)>("pthread_timedjoin_np")(t, ret, abstime);
  return join(t, ret, CLOCK_REALTIME, abstime, true);
}

WEFT_EXPORT int pthread_clockjoin_np(pthread_t t, void** ret, clockid_t clock,
                                     const struct timespec* abstime) {
  if (native(t))
    return real<int (*)(pthread_t, void**, clockid_t, const timespec*)>("pthread_clockjoin_np")(
        t, ret, clock, abstime);
  if (!weft::valid_clock(clock)) return EINVAL;
  return join(t, ret, clock, abstime, true);
}

WEFT_EXPORT int thrd_join(thrd_t t, int* res) {
  void* result;
  int err = pthread_join(t, &result);
  if (err == 0 && res) *res = int(intptr_t(result));
  return err == 0 ? thrd_success : thrd_error;
}
