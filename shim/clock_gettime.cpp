// shim/clock_gettime.cpp — CPU clocks of threads: clock_gettime and
// clock_getres on CLOCK_THREAD_CPUTIME_ID and on the clock ids
// pthread_getcpuclockid gives, and pthread_getcpuclockid itself.
//
// The kernel keeps CPU time per task, and a G's task (its M) runs other Gs
// too, so these clocks read the G's own time (core/cputime.h): it starts at
// zero for a new thread and grows only while the thread runs. A thread's
// clock id is the kernel's encoding (MAKE_THREAD_CPUCLOCK) of the thread's
// id, as glibc makes it, so any thread may read another's; an id that names
// no G (a thread of another process, one of weft's kernel threads) is the
// kernel's. Every other clock goes straight to libc (the vDSO) after one
// comparison.
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "core/cputime.h"
#include "core/export.h"
#include "core/real.h"
#include "core/sys.h"
#include "shim/identity.h"
#include "shim/thread.h"

namespace weft {
namespace {

using ClockFn = int (*)(clockid_t, timespec*);
ClockFn real_gettime, real_getres;

// The kernel's CPU clock ids (include/linux/posix-timers.h): ~id << 3, a
// per-thread bit and a type (PROF, VIRT, SCHED; 3 is invalid).
constexpr clockid_t kPerThread = 4, kTypeMask = 3, kSched = 2;

// Whether clock is a thread's CPU clock, and of which id (0: the caller).
bool thread_cpu_clock(clockid_t clock, pid_t* id) {
  if (clock == CLOCK_THREAD_CPUTIME_ID) {
    *id = 0;
    return true;
  }
  if (clock >= 0 || !(clock & kPerThread) || (clock & kTypeMask) == kTypeMask) return false;
  *id = ~(clock >> 3);
  return true;
}

int libc_result(long r) {
  if (r >= 0) return 0;
  errno = int(-r);
  return -1;
}

}  // namespace

bool g_clock_read(clockid_t clock, timespec* ts, bool resolution, long* result) {
  pid_t id;
  if (!thread_cpu_clock(clock, &id)) return false;
  G* g = thread_named(id);
  if (!g) return false;
  if (resolution) {
    // A G's clock is as fine as the kernel's thread clocks say theirs are.
    *result = ts ? sys::call6(SYS_clock_getres, CLOCK_THREAD_CPUTIME_ID, long(ts)) : 0;
  } else if (!ts) {
    *result = -EFAULT;
  } else {
    *ts = sys::ns_to_timespec(cpu_time_ns(g));
    *result = 0;
  }
  release_named(g);
  return true;
}

}  // namespace weft

using namespace weft;

WEFT_EXPORT int clock_gettime(clockid_t clock, struct timespec* ts) {
  long r;
  if (__builtin_expect(clock >= 0 && clock != CLOCK_THREAD_CPUTIME_ID, 1) ||
      !g_clock_read(clock, ts, false, &r)) {
    ClockFn f = real_gettime;  // a race only looks the same pointer up twice
    if (__builtin_expect(!f, 0)) f = real_gettime = real<ClockFn>("clock_gettime");
    return f(clock, ts);
  }
  return libc_result(r);
}

WEFT_EXPORT int clock_getres(clockid_t clock, struct timespec* res) {
  long r;
  if (!g_clock_read(clock, res, true, &r)) {
    ClockFn f = real_getres;
    if (!f) f = real_getres = real<ClockFn>("clock_getres");
    return f(clock, res);
  }
  return libc_result(r);
}

// As glibc's, from the thread's id; ESRCH once the thread has exited (NPTL's
// exited thread has tid 0).
WEFT_EXPORT int pthread_getcpuclockid(pthread_t t, clockid_t* clock) {
  G* g = g_of(t);
  if (!runtime_active() || !g)
    return real<int (*)(pthread_t, clockid_t*)>("pthread_getcpuclockid")(t, clock);
  if (g->life.load(std::memory_order_acquire) >= kExited) return ESRCH;
  *clock = (~clockid_t(tcb_field<int>(g->tcb, tcb_off::kTid)) << 3) | kPerThread | kSched;
  return 0;
}
