// core/timer.h — one-shot timers on per-P heaps.
//
// A Timer lives inside the object it wakes (a G). It is in at most one heap
// at a time: `heap` names the P whose heap holds it (nullptr when not armed)
// and `index` is its slot there, both guarded by that P's timer lock. When a
// timer fires it is removed from the heap first and its callback runs with
// no lock held, so a callback may race with a cancel; callbacks therefore
// carry a generation (seq) and the woken object checks it (see G::wait_state).
#pragma once
#include <stdint.h>

namespace weft {

struct P;
struct G;

struct Timer {
  int64_t when = 0;            // CLOCK_MONOTONIC ns
  uint64_t seq = 0;            // generation of the wait it belongs to
  P* heap = nullptr;
  int32_t index = -1;
  void (*on_timeout)(G*) = nullptr;  // runs before the G is readied
};

}  // namespace weft
