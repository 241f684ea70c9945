// core/cputime.h — the CPU time of each G (CLOCK_THREAD_CPUTIME_ID).
//
// Model. The kernel counts CPU time per task, that is per M, which runs many
// Gs. So weft counts it per G: the time between the switch that starts a G
// on an M and the one that takes it off, summed. The clock is the CPU's
// time-stamp counter where it runs at a constant rate on every CPU
// (invariant TSC), read with rdtsc (a few ns, once per switch for both
// sides), else CLOCK_MONOTONIC; ticks become nanoseconds when read, with a
// rate measured once against CLOCK_MONOTONIC (core/cputime.cpp).
// What counts: the G's own code, weft's work on its behalf and system calls
// made without leaving the G (weft's non-blocking attempts, inline system
// calls of libc). What does not: time in a system call that weft treats as
// blocking (enter_blocking_syscall to exit: waiting there is not CPU time),
// parked or queued time, and the time of a wired G's M asleep. Because the
// clock is wall time while the G is on its M, time the kernel takes that M
// away (another process runs) counts too, as does an inline system call
// that sleeps.
//
// The clocks start at the first read of one (before it no switch reads the
// time): what a thread ran before that is not counted.
// Representation (G::cpu_clock): a stopped G holds 2*ticks; a running one
// 2*(ticks - start) + 1, so one load gives a consistent value to a reader
// on another M, and one store per side starts or stops the clock. Only the
// G's current M writes it.
#pragma once
#include <stdint.h>
#include <x86intrin.h>

#include "core/g.h"
#include "core/sys.h"

namespace weft {

namespace cputime {
extern bool use_tsc __attribute__((visibility("hidden")));
// The clocks run from the first read of a thread CPU clock (cpu_time_ns),
// so a program that never reads one pays nothing on the switch path;
// `since` is when they started.
extern std::atomic<bool> on __attribute__((visibility("hidden")));
extern int64_t since __attribute__((visibility("hidden")));
}

inline bool cpu_clocks_on() { return cputime::on.load(std::memory_order_relaxed); }

inline int64_t cpu_ticks() {
  return cputime::use_tsc ? int64_t(__rdtsc()) : sys::now_ns();
}

inline void cpu_start(G* g, int64_t now) {
  int64_t w = g->cpu_clock.load(std::memory_order_relaxed);
  if (!(w & 1)) g->cpu_clock.store(((w >> 1) - now) * 2 + 1, std::memory_order_relaxed);
}

// A clock found stopped belongs to a G that has run since before the clocks
// started.
inline void cpu_stop(G* g, int64_t now) {
  int64_t w = g->cpu_clock.load(std::memory_order_relaxed);
  int64_t ran = (w & 1) ? now : now - cputime::since;
  g->cpu_clock.store(((w >> 1) + ran) * 2, std::memory_order_relaxed);
}

// Picks the clock and starts the main thread's, which has already used the
// CPU time its kernel thread shows.
void cputime_init(G* main);
// g's CPU time in nanoseconds (g running or not; any caller).
int64_t cpu_time_ns(G* g);
// In a fork child: the forking G is a new process's only thread, whose CPU
// time starts at zero as a new task's does.
void cputime_after_fork(G* self);

}  // namespace weft
