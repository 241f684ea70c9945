// shim/pthread_rwlock_wrlock.cpp — pthread_rwlock_wrlock, _trywrlock,
// _timedwrlock, _clockwrlock. Algorithm in shim/rwlock.h.
// glibc 2.36 results: EDEADLK when the caller already holds the write lock
// (trywrlock: EBUSY), EINVAL for a bad clock or tv_nsec in a timed call,
// ETIMEDOUT.
#include <limits.h>

#include "core/export.h"
#include "shim/rwlock.h"
#include "shim/sync_common.h"

namespace weft::rwlock {
namespace {

bool try_take(pthread_rwlock_t* l) {
  uint32_t expected = 0;
  if (!sync::cas(state(l), expected, kWriter)) return false;
  sync::store_relaxed(&l->__data.__cur_writer, self_tid());
  return true;
}

// A writer stops waiting without the lock. Under WRITER_NONRECURSIVE the
// readers it held back may go now.
void give_up(pthread_rwlock_t* l) {
  if (sync::fetch_sub(wwait(l), 1u) == 1 && writers_first(l) && sync::load(rwait(l)) != 0)
    wake_readers(l);
}

}  // namespace

int wrlock(pthread_rwlock_t* l, const timespec* abs, clockid_t clk) {
  if (bad_timeout(abs, clk)) return EINVAL;
  if (sync::load_relaxed(&l->__data.__cur_writer) == self_tid()) return EDEADLK;
  if (try_take(l)) return 0;
  sync::fetch_add(wwait(l), 1u);
  for (;;) {
    uint32_t seq = sync::load(wseq(l));
    if (sync::load(state(l)) == 0) {
      if (try_take(l)) {
        sync::fetch_sub(wwait(l), 1u);
        return 0;
      }
      continue;
    }
    if (sync::async_cancel_pending()) {
      give_up(l);
      sync::async_cancel_point();
    }
    if (sync::wait(wseq(l), seq, abs, clk, false) == ETIMEDOUT) {
      give_up(l);
      return ETIMEDOUT;
    }
  }
}

int wake_writer(pthread_rwlock_t* l) {
  sync::fetch_add(wseq(l), 1u);
  return sync::wake(wseq(l), 1, false);
}

}  // namespace weft::rwlock

using namespace weft;

WEFT_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t* l) {
  if (rwlock::is_shared(l)) {
    static decltype(&pthread_rwlock_wrlock) fn;
    return sync::call_real_blocking(&fn, "pthread_rwlock_wrlock", l);
  }
  return rwlock::wrlock(l, nullptr, CLOCK_REALTIME);
}

WEFT_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t* l, const struct timespec* abstime) {
  if (rwlock::is_shared(l)) {
    static decltype(&pthread_rwlock_timedwrlock) fn;
    return sync::call_real_blocking(&fn, "pthread_rwlock_timedwrlock", l, abstime);
  }
  return rwlock::wrlock(l, abstime, CLOCK_REALTIME);
}

WEFT_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t* l, clockid_t clk,
                                           const struct timespec* abstime) {
  if (rwlock::is_shared(l)) {
    static decltype(&pthread_rwlock_clockwrlock) fn;
    return sync::call_real_blocking(&fn, "pthread_rwlock_clockwrlock", l, clk, abstime);
  }
  return rwlock::wrlock(l, abstime, clk);
}

WEFT_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t* l) {
  if (rwlock::is_shared(l)) {
    static decltype(&pthread_rwlock_trywrlock) fn;
    return sync::real_cached(&fn, "pthread_rwlock_trywrlock")(l);
  }
  return rwlock::try_take(l) ? 0 : EBUSY;
}

WEFT_EXPORT_ALIAS(pthread_rwlock_wrlock, __pthread_rwlock_wrlock);
WEFT_EXPORT_ALIAS(pthread_rwlock_trywrlock, __pthread_rwlock_trywrlock);
