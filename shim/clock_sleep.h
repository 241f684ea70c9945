// shim/clock_sleep.h — the sleep every sleeping shim (nanosleep,
// clock_nanosleep, sleep, usleep, thrd_sleep) is built on.
#pragma once
#include <time.h>

namespace weft {

// clock_nanosleep's contract: returns 0 or an error number (EINVAL,
// ENOTSUP, EINTR for a non-G sleep interrupted by a signal handler, after
// filling *rem for a relative sleep). A G parks on its P's timer; CPU-time
// and other clocks go to libc's clock_nanosleep as a blocking system call.
int clock_sleep(clockid_t clk, int flags, const timespec* req, timespec* rem);

}  // namespace weft
