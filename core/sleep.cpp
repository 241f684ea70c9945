// core/sleep.cpp — sleeping and yielding (see core/sleep.h).
#include "core/sleep.h"

#include <errno.h>
#include <sched.h>

#include "core/clock.h"
#include "core/sched.h"
#include "core/sys.h"

namespace weft {

int sleep_until(const timespec& deadline, clockid_t clock) {
  G* self = current_g();
  if (!self || self->is_g0) {
    long r = sys::call6(SYS_clock_nanosleep, clock, TIMER_ABSTIME, (long)&deadline, 0);
    return r == -EINTR ? EINTR : 0;
  }
  int64_t when = to_monotonic(deadline, clock);
  if (when <= sys::now_ns()) {
    yield_current(self);  // a sleep is a scheduling point, even when due
    return 0;
  }
  uint64_t seq = begin_wait(self);
  return park_until(self, seq, when, nullptr, nullptr) == kWaitInterrupted ? EINTR : 0;
}

void yield() {
  G* self = current_g();
  if (!self || self->is_g0) {
    sys::call6(SYS_sched_yield);
    return;
  }
  yield_current(self);
}

}  // namespace weft
