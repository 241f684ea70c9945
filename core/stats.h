// core/stats.h — the runtime's event counters (WEFT_DEBUG=stats prints them
// at exit, schedtrace reads some; core/trace.cpp).
//
// Model. One process-wide relaxed counter per event, each on its own cache
// line. Counting is off unless WEFT_DEBUG asked for stats or schedtrace
// (stats_on, written once at start-up before any thread exists, then only
// read): then every hook costs one load of a read-mostly flag and a branch.
// Hooks sit on paths that are already slow (thread creation and exit, M
// creation, steals, hand-offs, netpoll, stack allocation), never on the
// switch fast path. Values only grow, except that a fork child starts again
// from zero (stats_reset).
#pragma once
#include <atomic>
#include <stdint.h>

namespace weft {

enum Stat : int {
  kStatThreadsCreated,  // pthread_create / thrd_create that made a G
  kStatThreadsExited,   // Gs that finished (returned, pthread_exit, cancelled)
  kStatThreadsPeak,     // most Gs alive at once (the main thread included)
  kStatMsCreated,       // kernel threads made for Ms (M0 not counted)
  kStatMsExited,        // idle Ms that ended
  kStatMsPeak,          // most Ms alive at once (M0 included)
  kStatSteals,          // Gs taken from another P's run queue
  kStatHandoffs,        // Ps the monitor retook from an M in a system call
  kStatSpareLent,       // spare Ps lent for an M stuck in the kernel
  kStatPreemptions,     // Gs preempted for running past their time slice
  kStatNetpollWakeups,  // Gs readied by the netpoller
  kStatStackHits,       // thread stacks reused from a P's warm cache
  kStatStackMisses,     // thread stacks taken from elsewhere (cold, new)
  kNumStats,
};

struct alignas(64) StatCounter {
  std::atomic<int64_t> value{0};
};

extern bool stats_on;
extern StatCounter stat_counters[kNumStats];

inline void stat_add(Stat s, int64_t n = 1) {
  if (__builtin_expect(stats_on, false)) stat_counters[s].value.fetch_add(n, std::memory_order_relaxed);
}
// Raises a peak counter (kStatThreadsPeak, kStatMsPeak) to `now`.
void stat_raise_peak(Stat s, int64_t now);
inline void stat_peak(Stat s, int64_t now) {
  if (__builtin_expect(stats_on, false)) stat_raise_peak(s, now);
}
inline int64_t stat_get(Stat s) { return stat_counters[s].value.load(std::memory_order_relaxed); }

// Threads alive now: the main thread plus those created, minus those exited.
inline int64_t stat_threads_alive() {
  return 1 + stat_get(kStatThreadsCreated) - stat_get(kStatThreadsExited);
}

// Counters to zero, peaks to one thread and one M: at start-up, and in a
// fork child, whose counters describe its own life.
void stats_reset();

}  // namespace weft
