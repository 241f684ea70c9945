// shim/pthread_mutex_timedlock.cpp — pthread_mutex_timedlock (absolute time
// on CLOCK_REALTIME) and pthread_mutex_clocklock (CLOCK_REALTIME or
// CLOCK_MONOTONIC; any other clock is EINVAL before anything else). As in
// glibc the timespec is only checked when the caller would block: EINVAL for
// tv_nsec outside [0, 1e9), ETIMEDOUT for a time already past.
#include "core/export.h"
#include "shim/mutex.h"
#include "shim/sync_common.h"

WEFT_EXPORT int pthread_mutex_clocklock(pthread_mutex_t* m, clockid_t clk,
                                        const struct timespec* abstime) {
  if (!weft::sync::futex_clock_ok(clk)) return EINVAL;
  return weft::mutex::lock(m, abstime, clk, false,
                           weft::sync::called_by_program(__builtin_return_address(0)));
}

WEFT_EXPORT int pthread_mutex_timedlock(pthread_mutex_t* m, const struct timespec* abstime) {
  return weft::mutex::lock(m, abstime, CLOCK_REALTIME, false,
                           weft::sync::called_by_program(__builtin_return_address(0)));
}
