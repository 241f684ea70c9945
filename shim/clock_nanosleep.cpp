// shim/clock_nanosleep.cpp — clock_nanosleep and nanosleep on
// weft::sleep_until.
//
// CLOCK_REALTIME, MONOTONIC, BOOTTIME and TAI are weft's: tv_nsec outside
// [0, 1e9) or a negative tv_sec is EINVAL (the kernel's check); a relative
// sleep becomes a deadline on CLOCK_MONOTONIC (BOOTTIME for BOOTTIME, which
// keeps counting in suspend), as the kernel measures relative sleeps; with
// TIMER_ABSTIME the deadline is on the given clock. Every other clock id
// (CPU clocks, *_ALARM, invalid ones) goes to libc's clock_nanosleep, which
// gives glibc's own answer (EINVAL, ENOTSUP, or a real sleep). As in the
// kernel, *rem is written only when a relative sleep is interrupted. Both
// are cancellation points.
#include <errno.h>
#include <stdint.h>

#include "core/export.h"
#include "core/sleep.h"
#include "shim/clock_sleep.h"
#include "shim/sync_common.h"

namespace weft {
namespace {

constexpr long kNsPerSec = 1000000000;

// a + b, saturating at sync::kFarFuture.
timespec add(const timespec& a, const timespec& b) {
  timespec r;
  if (b.tv_sec >= sync::kFarFuture || a.tv_sec >= sync::kFarFuture - b.tv_sec) {
    r.tv_sec = sync::kFarFuture;
    r.tv_nsec = 0;
    return r;
  }
  r.tv_sec = a.tv_sec + b.tv_sec;
  r.tv_nsec = a.tv_nsec + b.tv_nsec;
  if (r.tv_nsec >= kNsPerSec) {
    r.tv_nsec -= kNsPerSec;
    ++r.tv_sec;
  }
  return r;
}

// max(0, a - b)
timespec sub(const timespec& a, const timespec& b) {
  timespec r{a.tv_sec - b.tv_sec, a.tv_nsec - b.tv_nsec};
  if (r.tv_nsec < 0) {
    r.tv_nsec += kNsPerSec;
    --r.tv_sec;
  }
  if (r.tv_sec < 0) r = timespec{0, 0};
  return r;
}

int forward(clockid_t clk, int flags, const timespec* req, timespec* rem) {
  static decltype(&clock_nanosleep) fn;
  return sync::call_real_blocking(&fn, "clock_nanosleep", clk, flags, req, rem);
}

}  // namespace

int clock_sleep(clockid_t clk, int flags, const timespec* req, timespec* rem) {
  if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME &&
      clk != CLOCK_TAI)
    return forward(clk, flags, req, rem);
  sync::cancel_point();
  if (!sync::valid_nsec(req->tv_nsec) || req->tv_sec < 0) return EINVAL;
  timespec deadline;
  clockid_t on;
  if (flags & TIMER_ABSTIME) {
    deadline = *req;
    if (deadline.tv_sec > sync::kFarFuture) deadline = timespec{sync::kFarFuture, 0};
    on = clk;
  } else {
    on = clk == CLOCK_BOOTTIME ? CLOCK_BOOTTIME : CLOCK_MONOTONIC;
    timespec now;
    clock_gettime(on, &now);
    deadline = add(now, *req);
  }
  int e;
  {
    sync::AsyncCancelScope cancellable;
    e = sleep_until(deadline, on);
  }
  // A G the runtime woke early to be cancelled acts on it here.
  sync::cancel_point();
  if (e == EINTR) {
    if (rem != nullptr && !(flags & TIMER_ABSTIME)) {
      timespec now;
      clock_gettime(on, &now);
      *rem = sub(deadline, now);
    }
    return EINTR;
  }
  return 0;
}

}  // namespace weft

WEFT_EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec* req,
                                struct timespec* rem) {
  return weft::clock_sleep(clk, flags, req, rem);
}

WEFT_EXPORT int nanosleep(const struct timespec* req, struct timespec* rem) {
  int e = weft::clock_sleep(CLOCK_REALTIME, 0, req, rem);
  if (e == 0) return 0;
  errno = e;
  return -1;
}
