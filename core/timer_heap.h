// core/timer_heap.h — per-P timer heaps (see core/timer.h for the model).
#pragma once
#include <stdint.h>

#include "core/sched.h"

namespace weft {

// Arms g's timer on p's heap to complete wait `seq` at `when` (monotonic ns).
// False when the heap cannot grow (out of memory): the caller must then
// time the wait out itself rather than sleep forever.
bool timer_add(P* p, G* g, int64_t when, uint64_t seq, void (*on_timeout)(G*));
// Disarms g's timer if it is still in a heap. A timer that already fired may
// still be running its callback; that callback cannot complete a wait that
// was completed already (seq check).
void timer_del(G* g);
// Runs the timeout of g, whose wait the caller just completed as timed out:
// its on_timeout, then ready(g).
void fire_timeout(G* g);
// Fires p's timers due at `now`, readying their Gs on the caller's P.
// Returns p's earliest remaining deadline (INT64_MAX if none).
int64_t run_timers(P* p, int64_t now);

}  // namespace weft
