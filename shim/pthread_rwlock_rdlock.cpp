// shim/pthread_rwlock_rdlock.cpp — pthread_rwlock_rdlock, _tryrdlock,
// _timedrdlock, _clockrdlock. Algorithm in shim/rwlock.h.
// glibc 2.36 results: EDEADLK when the caller holds the write lock (tryrdlock:
// EBUSY), EAGAIN at the reader limit, EINVAL for a bad clock or tv_nsec in a
// timed call, ETIMEDOUT.
#include <limits.h>

#include "core/export.h"
#include "shim/rwlock.h"
#include "shim/sync_common.h"

namespace weft::rwlock {
namespace {

bool reader_blocked(pthread_rwlock_t* l, uint32_t s) {
  return (s & kWriter) || (writers_first(l) && sync::load(wwait(l)) != 0);
}

}  // namespace

int rdlock(pthread_rwlock_t* l, const timespec* abs, clockid_t clk) {
  if (bad_timeout(abs, clk)) return EINVAL;
  if (sync::load_relaxed(&l->__data.__cur_writer) == self_tid()) return EDEADLK;
  for (;;) {
    uint32_t s = sync::load(state(l));
    if (!reader_blocked(l, s)) {
      if ((s & kReaders) + 1 >= kReaderLimit) return EAGAIN;
      if (sync::cas(state(l), s, s + 1)) return 0;
      continue;
    }
    sync::async_cancel_point();  // nothing registered yet
    sync::fetch_add(rwait(l), 1u);
    uint32_t seq = sync::load(rseq(l));
    int e = 0;
    if (reader_blocked(l, sync::load(state(l)))) e = sync::wait(rseq(l), seq, abs, clk, false);
    sync::fetch_sub(rwait(l), 1u);
    if (e == ETIMEDOUT) return e;
  }
}

int wake_readers(pthread_rwlock_t* l) {
  sync::fetch_add(rseq(l), 1u);
  return sync::wake(rseq(l), INT_MAX, false);
}

}  // namespace weft::rwlock

using namespace weft;

WEFT_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t* l) {
  if (rwlock::is_shared(l)) {
    static decltype(&pthread_rwlock_rdlock) fn;
    return sync::call_real_blocking(&fn, "pthread_rwlock_rdlock", l);
  }
  return rwlock::rdlock(l, nullptr, CLOCK_REALTIME);
}

WEFT_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t* l, const struct timespec* abstime) {
  if (rwlock::is_shared(l)) {
    static decltype(&pthread_rwlock_timedrdlock) fn;
    return sync::call_real_blocking(&fn, "pthread_rwlock_timedrdlock", l, abstime);
  }
  return rwlock::rdlock(l, abstime, CLOCK_REALTIME);
}

WEFT_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t* l, clockid_t clk,
                                           const struct timespec* abstime) {
  if (rwlock::is_shared(l)) {
    static decltype(&pthread_rwlock_clockrdlock) fn;
    return sync::call_real_blocking(&fn, "pthread_rwlock_clockrdlock", l, clk, abstime);
  }
  return rwlock::rdlock(l, abstime, clk);
}

WEFT_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t* l) {
  if (rwlock::is_shared(l)) {
    static decltype(&pthread_rwlock_tryrdlock) fn;
    return sync::real_cached(&fn, "pthread_rwlock_tryrdlock")(l);
  }
  for (;;) {
    uint32_t s = sync::load(rwlock::state(l));
    if (s & rwlock::kWriter) return EBUSY;
    if (rwlock::writers_first(l) && sync::load(rwlock::wwait(l)) != 0) return EBUSY;
    if ((s & rwlock::kReaders) + 1 >= rwlock::kReaderLimit) return EAGAIN;
    if (sync::cas(rwlock::state(l), s, s + 1)) return 0;
  }
}

WEFT_EXPORT_ALIAS(pthread_rwlock_rdlock, __pthread_rwlock_rdlock);
WEFT_EXPORT_ALIAS(pthread_rwlock_tryrdlock, __pthread_rwlock_tryrdlock);
