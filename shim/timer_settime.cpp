// shim/timer_settime.cpp — timer_settime, timer_gettime and
// timer_getoverrun: a SIGEV_THREAD timer of weft's is its timerfd (model:
// shim/timer.h), any other id is glibc's. Errors are the kernel's timer
// ones: EINVAL for an id that names no timer and for a missing new value.
// A weft timer's path takes no lock and makes no first-use lookup, so it
// stays async-signal-safe (libc's lookups are made only for glibc's ids).
#include <errno.h>
#include <sys/timerfd.h>

#include "core/export.h"
#include "core/real.h"
#include "core/sys.h"
#include "shim/timer.h"

namespace {

int fail(int err) {
  errno = err;
  return -1;
}

}  // namespace

WEFT_EXPORT int timer_settime(timer_t id, int flags, const itimerspec* value, itimerspec* old) {
  using namespace weft;
  if (!is_thread_timer(id)) {
    static auto real_settime =
        real<int (*)(timer_t, int, const itimerspec*, itimerspec*)>("timer_settime");
    return real_settime(id, flags, value, old);
  }
  ThreadTimer* t = thread_timer_find(id);
  if (!t || !value) return fail(EINVAL);
  // timer_settime ignores flags it does not know; timerfd_settime refuses them.
  long r = sys::call6(SYS_timerfd_settime, t->fd, flags & TIMER_ABSTIME, long(value), long(old));
  return r < 0 ? fail(int(-r)) : 0;
}

WEFT_EXPORT int timer_gettime(timer_t id, itimerspec* value) {
  using namespace weft;
  if (!is_thread_timer(id)) {
    static auto real_gettime = real<int (*)(timer_t, itimerspec*)>("timer_gettime");
    return real_gettime(id, value);
  }
  ThreadTimer* t = thread_timer_find(id);
  if (!t) return fail(EINVAL);
  long r = sys::call6(SYS_timerfd_gettime, t->fd, long(value));
  return r < 0 ? fail(int(-r)) : 0;
}

WEFT_EXPORT int timer_getoverrun(timer_t id) {
  using namespace weft;
  if (!is_thread_timer(id)) {
    static auto real_getoverrun = real<int (*)(timer_t)>("timer_getoverrun");
    return real_getoverrun(id);
  }
  ThreadTimer* t = thread_timer_find(id);
  return t ? t->overrun.load(std::memory_order_relaxed) : fail(EINVAL);
}
