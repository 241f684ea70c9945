// shim/timer.h — POSIX timers whose expiries start threads (SIGEV_THREAD),
// shared by shim/timer_create.cpp (timer_create, timer_delete, the table,
// the dispatcher) and shim/timer_settime.cpp (timer_settime,
// timer_gettime, timer_getoverrun).
//
// Model. glibc makes such a timer a kernel timer that signals its helper
// thread, which starts a detached NPTL thread per expiry (see
// shim/sigev_thread.h for why weft does not let it). weft makes each one a
// timerfd on the same clock, which the kernel arms, reads back and counts
// exactly as it does a timer: timer_settime and timer_gettime are
// timerfd_settime and timerfd_gettime. A dispatcher G per timer waits in
// the netpoller until the timerfd is readable, reads the number of
// expiries and starts one callback thread for them, as glibc starts one
// for each signal it dequeues: timer_getoverrun then says how many more
// expiries that signal stood for (the count read, less one). A callback
// still running does not hold up the next expiry: each gets its own thread.
//
// Identity. A weft timer's timer_t is kTag | generation << 32 | slot: above
// any kernel timer id (an int, >= 0) and below glibc's own SIGEV_THREAD ids
// (a pointer shifted right, with the sign bit set), so the calls route by
// the id alone and glibc keeps every timer it made. The generation is
// bumped when a slot is freed, so a deleted timer's id stays invalid.
//
// Locking. ThreadTimer::lock (weft's mutex: a G parks on it) serialises
// timer_delete with the dispatcher's read-and-start: only the dispatcher
// closes the timerfd, after timer_delete marked the timer dead and woke it
// (by arming the timerfd to expire at once), so no call ever uses a
// descriptor number that may name another file, and timer_delete returns
// only when no callback can start any more. timer_settime, timer_gettime
// and timer_getoverrun take no lock (they are async-signal-safe): the
// kernel serialises them with the dispatcher's read, and `tag` tells them
// whether the id is live.
//
// Clocks: CLOCK_REALTIME, CLOCK_MONOTONIC and CLOCK_BOOTTIME. The others
// (CPU-time clocks, CLOCK_TAI) have no timerfd; those timers, and timers
// that notify by signal or not at all, are glibc's.
#pragma once
#include <atomic>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

namespace weft {

struct ThreadTimer {
  pthread_mutex_t lock;
  std::atomic<uint32_t> tag;  // generation (the timer_t's), | kTimerLive
  bool dispatching;           // its dispatcher runs and owns fd (under lock)
  int fd;                     // the timerfd
  std::atomic<int> overrun;   // timer_getoverrun's answer
  void (*fn)(sigval);         // sigev_notify_function
  sigval value;               // sigev_value
  pthread_attr_t attr;        // each callback thread's
  uint32_t slot;
  ThreadTimer* next_free;
};

inline constexpr uint32_t kTimerGenMask = 0x3fffffff;
inline constexpr uint32_t kTimerLive = 0x80000000;
inline constexpr uintptr_t kTimerTag = uintptr_t{1} << 62;
inline constexpr uintptr_t kTimerTagMask = uintptr_t{3} << 62;

// Whether id has weft's form (live or not): such ids are weft's to answer.
inline bool is_thread_timer(timer_t id) {
  return (reinterpret_cast<uintptr_t>(id) & kTimerTagMask) == kTimerTag;
}

// The live timer that id names; nullptr if none (EINVAL). Lock-free.
ThreadTimer* thread_timer_find(timer_t id);

}  // namespace weft
