// core/clock.h — conversions between the clocks of POSIX calls and the
// runtime's CLOCK_MONOTONIC nanoseconds.
#pragma once
#include <stdint.h>
#include <time.h>

#include "core/sys.h"

namespace weft {

inline int64_t timespec_ns(const timespec& ts) {
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// An absolute deadline on `clock`, as CLOCK_MONOTONIC ns (always > 0).
// A later change of a non-monotonic clock is not followed.
inline int64_t to_monotonic(const timespec& deadline, clockid_t clock) {
  int64_t d = timespec_ns(deadline);
  if (clock != CLOCK_MONOTONIC) {
    timespec now;
    clock_gettime(clock, &now);
    d = sys::now_ns() + (d - timespec_ns(now));
  }
  return d > 0 ? d : 1;
}

}  // namespace weft
