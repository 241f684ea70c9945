// shim/rwlock.h — pthread_rwlock_t internals shared by the rwlock shims.
//
// Process-private rwlocks (weft's own algorithm in glibc's 56 bytes; the
// static initialisers leave everything 0 except __flags):
//  * state (__readers): kWriter | number of readers holding it.
//  * wwait (__writers) / rwait (__pad3): writers / readers between "must
//    wait" and "done waiting". Writers sleep on wseq (__writers_futex),
//    readers on rseq (__wrphase_futex); whoever changes state in a way a
//    sleeper cares about bumps the matching seq and wakes. A sleeper
//    registers, reads seq, re-checks state, then sleeps while seq is
//    unchanged, and the changer changes state, then reads the counts
//    (sequentially consistent both sides), so no wake-up is lost.
//  * Preference (__flags), as glibc: PREFER_READER_NP (default) and
//    PREFER_WRITER_NP let readers in whenever no writer holds the lock
//    (recursive read locks never deadlock); WRITER_NONRECURSIVE_NP makes new
//    readers wait while a writer waits.
//  * __cur_writer = the writing owner's tid (EDEADLK checks, unlock's
//    reader/writer decision), as glibc.
// Process-shared rwlocks (__shared != 0) go to glibc's own functions, run as
// blocking system calls, so other processes interoperate.
#pragma once
#include <pthread.h>
#include <stdint.h>
#include <time.h>

namespace weft::rwlock {

inline constexpr uint32_t kWriter = 0x80000000u;
inline constexpr uint32_t kReaders = 0x7fffffffu;
// glibc fails a read lock with EAGAIN at 2^28 - 1 readers.
inline constexpr uint32_t kReaderLimit = 1u << 28;

inline uint32_t* state(pthread_rwlock_t* l) { return &l->__data.__readers; }
inline uint32_t* wwait(pthread_rwlock_t* l) { return &l->__data.__writers; }
inline uint32_t* rseq(pthread_rwlock_t* l) { return &l->__data.__wrphase_futex; }
inline uint32_t* wseq(pthread_rwlock_t* l) { return &l->__data.__writers_futex; }
inline uint32_t* rwait(pthread_rwlock_t* l) { return &l->__data.__pad3; }
inline bool is_shared(const pthread_rwlock_t* l) {
  return __atomic_load_n(&l->__data.__shared, __ATOMIC_RELAXED) != 0;
}
inline bool writers_first(const pthread_rwlock_t* l) {
  return l->__data.__flags == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
}

// Wakes all sleeping readers / one sleeping writer; returns how many woke.
int wake_readers(pthread_rwlock_t* l);
int wake_writer(pthread_rwlock_t* l);

int rdlock(pthread_rwlock_t* l, const timespec* abs, clockid_t clk);
int wrlock(pthread_rwlock_t* l, const timespec* abs, clockid_t clk);

// glibc checks a timed call's clock and tv_nsec up front (EINVAL), even when
// the lock is free.
inline bool bad_timeout(const timespec* abs, clockid_t clk) {
  return abs != nullptr && ((clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC) ||
                            static_cast<unsigned long>(abs->tv_nsec) >= 1000000000ul);
}

}  // namespace weft::rwlock
