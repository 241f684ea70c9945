// core/sleep.h — timed sleeps that park the G on its P's timer heap.
#pragma once
#include <time.h>

namespace weft {

// Sleeps until `deadline` (absolute, on CLOCK_REALTIME, CLOCK_MONOTONIC,
// CLOCK_BOOTTIME or CLOCK_TAI). A G parks; a non-G caller sleeps in the
// kernel. Returns 0, or EINTR when a signal interrupted the sleep.
int sleep_until(const timespec& deadline, clockid_t clock);

// Yields the processor: a G goes to the back of its P's run queue; a non-G
// calls the real sched_yield.
void yield();

}  // namespace weft
