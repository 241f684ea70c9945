// core/futex.h — the one blocking primitive every synchronization object of
// shim/ is built on: a futex that parks Gs in user space.
//
// Model: a wait on a private word by a G puts the G on a waiter list hashed
// by the word's address and parks it (its M runs other Gs; no kernel thread is
// held). The check of *word against `expected` and the enqueue happen under
// the hash bucket's lock, and wakers take the same lock, so a wake that
// follows a change of *word can never be lost (the kernel futex contract).
// A caller that is not a G (glibc helper threads, code before start-up) waits
// in the kernel with FUTEX_WAIT_PRIVATE; the bucket counts such waiters so a
// waker issues the FUTEX_WAKE syscall only when one may be there.
// pshared words (shared with other processes, maybe not under weft) always
// use the kernel futex; a G blocking there hands its P to another M first.
#pragma once
#include <stdint.h>
#include <time.h>

namespace weft {

inline constexpr uint32_t kFutexBitsetAny = 0xffffffffu;

// Blocks while *word == expected.
// deadline: absolute time on `clock` (CLOCK_REALTIME or CLOCK_MONOTONIC),
// nullptr = forever; the caller has validated it (tv_nsec in [0, 1e9)).
// Returns 0 when woken (possibly spuriously: callers loop), EAGAIN when
// *word != expected, ETIMEDOUT, or EINTR (kernel waits interrupted by a
// signal handler).
int futex_wait(const uint32_t* word, uint32_t expected, const timespec* deadline,
               clockid_t clock, bool pshared, uint32_t bitset = kFutexBitsetAny);

// Wakes up to n waiters (G or kernel) whose bitset intersects `bitset`.
// Returns how many Gs were woken plus what the kernel reported.
// In a fork child (core/fork.cpp): forgets every waiter, G or kernel
// thread, and resets the bucket locks; none of them exists in the child.
void futex_forget_waiters_after_fork();

int futex_wake(const uint32_t* word, int n, bool pshared,
               uint32_t bitset = kFutexBitsetAny);

}  // namespace weft
