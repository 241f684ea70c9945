// shim/mutex.h — pthread_mutex_t internals shared by the mutex, condvar and
// C11 shims.
//
// Model: glibc 2.36's own lock-word protocol, so a mutex in shared memory
// interoperates with processes not under weft and glibc-internal code that
// touches a mutex (the real pthread_cond_wait on a pshared condvar) still
// works:
//  * NORMAL/RECURSIVE/ERRORCHECK/ADAPTIVE: __lock 0 free, 1 locked, 2 locked
//    and maybe waited on; __owner = owner tid; __count = recursion depth.
//  * ROBUST and PRIO_INHERIT: __lock = owner tid | FUTEX_WAITERS |
//    FUTEX_OWNER_DIED; robust ones sit on the owner's robust list (TCB at
//    tcb_off::kRobustHead) exactly as glibc links them. PI mutexes use the
//    same user-space protocol instead of FUTEX_LOCK_PI: the kernel cannot
//    hand a PI futex to a fake G tid. (Gap: so a process-shared PI mutex
//    does not interoperate with a process that is not under weft.)
//  * PRIO_PROTECT: __lock = ceiling << 19 | 0/1/2.
//  * __nusers counts lock holders (pthread_mutex_destroy's EBUSY); a condvar
//    wait releases and re-takes the mutex without touching it, like glibc.
// The owner id is self_tid(): a G's fake tid or a native thread's real tid.
#pragma once
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

namespace weft::mutex {

// __kind bits (glibc nptl/pthreadP.h).
inline constexpr int kKindMask = 3;
inline constexpr int kRobust = 16;
inline constexpr int kPrioInherit = 32;
inline constexpr int kPrioProtect = 64;
inline constexpr int kPsharedBit = 128;
inline constexpr int kTypeMask = 127;  // kind & robust & PI & PP, as glibc
// weft's own bit, never read by glibc (it masks __kind with 127 | 256): a
// robust mutex initialised PTHREAD_PROCESS_PRIVATE. glibc sets kPsharedBit on
// every robust mutex because the kernel wakes a dead owner's waiters with a
// shared futex wake; this bit lets Gs park on such a mutex instead.
inline constexpr int kWeftPrivateRobust = 1 << 10;

// Lock word bits of the tid protocol (linux/futex.h).
inline constexpr uint32_t kWaiters = 0x80000000u;
inline constexpr uint32_t kOwnerDied = 0x40000000u;
inline constexpr uint32_t kTidMask = 0x3fffffffu;

// __owner values of a robust mutex whose owner died.
inline constexpr int kInconsistent = INT_MAX;
inline constexpr int kNotRecoverable = INT_MAX - 1;

// PRIO_PROTECT ceiling in the lock word.
inline constexpr int kCeilingShift = 19;
inline constexpr uint32_t kCeilingMask = 0xfff80000u;

// pthread_mutexattr_t's single int (glibc struct pthread_mutexattr).
inline constexpr int kAttrProtocolShift = 28;
inline constexpr int kAttrProtocolMask = 0x30000000;
inline constexpr int kAttrCeilingShift = 12;
inline constexpr int kAttrCeilingMask = 0x00fff000;
inline constexpr int kAttrRobust = 0x40000000;
inline constexpr int kAttrPshared = static_cast<int>(0x80000000u);
inline constexpr int kAttrFlagBits =
    kAttrRobust | kAttrPshared | kAttrProtocolMask | kAttrCeilingMask;
inline constexpr int kNoElision = 512;

inline int* lock_word(pthread_mutex_t* m) { return &m->__data.__lock; }
// The same word, for the tid and PRIO_PROTECT protocols' bit operations.
inline uint32_t* lock_bits(pthread_mutex_t* m) {
  return reinterpret_cast<uint32_t*>(&m->__data.__lock);
}
inline int kind_of(const pthread_mutex_t* m) {
  return __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED);
}

// Locks `m`, blocking until `abs` on `clk` (nullptr: forever). cond_relock:
// the re-acquisition at the end of a condvar wait (leaves __nusers alone).
// async_ok: a caller with asynchronous cancellation may be cancelled in the
// wait (the program's own lock, not a condvar's re-lock nor one weft,
// libc or the loader takes; see sync::called_by_program).
// Returns 0 or the pthread_mutex_*lock error.
int lock(pthread_mutex_t* m, const timespec* abs, clockid_t clk, bool cond_relock,
         bool async_ok);
int trylock(pthread_mutex_t* m);
// decr: also drop __nusers (false inside a condvar wait).
int unlock(pthread_mutex_t* m, bool decr);

// The three protocols behind lock/trylock/unlock, by __kind.
int tid_lock(pthread_mutex_t* m, int type, const timespec* abs, clockid_t clk,
             bool cond_relock, bool async_ok);
int tid_trylock(pthread_mutex_t* m, int type);
int tid_unlock(pthread_mutex_t* m, int type, bool decr);
int pp_lock(pthread_mutex_t* m, int type, const timespec* abs, clockid_t clk,
            bool cond_relock, bool async_ok);
int pp_trylock(pthread_mutex_t* m, int type);
int pp_unlock(pthread_mutex_t* m, int type, bool decr);

// Robust and PI types glibc knows (robust, PI, PI|robust, each of 4 kinds).
inline bool is_tid_type(int type) {
  int flags = type & ~kKindMask;
  return flags == kRobust || flags == kPrioInherit || flags == (kRobust | kPrioInherit);
}
inline bool is_pp_type(int type) { return (type & ~kKindMask) == kPrioProtect; }

// SCHED_FIFO's priority range: valid PRIO_PROTECT ceilings.
int fifo_min_prio();
int fifo_max_prio();

// The caller's base scheduling priority, and NPTL's priority-protection
// step: stop holding ceiling `prev`, start holding `next` (-1: none).
// Returns 0 or the error NPTL's sched_setscheduler call would give.
int current_priority();
int tpp_change(int prev, int next);

}  // namespace weft::mutex
