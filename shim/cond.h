// shim/cond.h — pthread_cond_t internals shared by the condvar shims.
//
// Process-private condvars (weft's own algorithm, in glibc's 48 bytes;
// PTHREAD_COND_INITIALIZER is all zeros):
//  * seq (low half of glibc's __wseq): the futex word. A waiter registers,
//    reads seq while it still holds the mutex, releases the mutex and sleeps
//    while seq is unchanged. signal/broadcast bump seq and wake 1 / all. A
//    signal that comes after a waiter released the mutex bumps seq after the
//    waiter read it, so the waiter either sees the change (EAGAIN) or is
//    asleep in the FIFO futex queue and gets woken: no lost wake-up. Waking
//    a waiter that arrived later is allowed (it was blocked when the wake
//    happened) and returns are allowed to be spurious.
//  * __wrefs, as glibc: bit 0 pshared, bit 1 CLOCK_MONOTONIC, bit 2 "destroy
//    waits", bits 3+ the number of waiters inside wait. signal/broadcast skip
//    the wake when no waiter is registered; destroy waits for the count to
//    drain, so a broadcast followed by destroy (and free) is safe.
// Process-shared condvars (bit 0) keep glibc's layout and go to glibc's own
// functions, run as blocking system calls, so other processes interoperate.
// Gap: glibc's wait then releases and re-takes the mutex with its own code,
// which waits and wakes on the kernel futex. That matches weft for a
// process-shared mutex (the normal pairing); with a process-private mutex,
// Gs sleeping on that mutex can miss glibc's kernel wake-up, and a
// PRIO_INHERIT mutex cannot be used (glibc would use FUTEX_UNLOCK_PI).
#pragma once
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

namespace weft::cond {

inline constexpr unsigned kShared = 1;
inline constexpr unsigned kClockMonotonic = 2;
inline constexpr unsigned kDestroyWaits = 4;
inline constexpr unsigned kRef = 8;

inline uint32_t* seq(pthread_cond_t* c) {
  return reinterpret_cast<uint32_t*>(&c->__data.__wseq);
}
inline unsigned* wrefs(pthread_cond_t* c) { return &c->__data.__wrefs; }
inline unsigned flags(pthread_cond_t* c) {
  return __atomic_load_n(wrefs(c), __ATOMIC_RELAXED);
}

// Waits on a process-private condvar (abs == nullptr: no timeout). Returns
// 0, ETIMEDOUT, or the mutex's unlock/relock error (EPERM, EOWNERDEAD...).
int wait(pthread_cond_t* c, pthread_mutex_t* m, const timespec* abs, clockid_t clk);

}  // namespace weft::cond
