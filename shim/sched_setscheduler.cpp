// shim/sched_setscheduler.cpp — sched_setscheduler, sched_setparam,
// sched_getscheduler, sched_getparam and sched_rr_get_interval. Aimed at the
// a thread (pid 0 for the caller, the id gettid() gives a thread, or the
// process id for the main thread), they act on its G as
// pthread_setschedparam does (shim/pthread_setschedparam.cpp): the kernel
// would otherwise change the policy of an M, which runs other Gs too. Any
// other pid is passed to the kernel. SCHED_RESET_ON_FORK is accepted and ignored (a G forks as its
// M, which keeps its own policy).
#include <errno.h>
#include <sched.h>
#include <unistd.h>

#include "core/export.h"
#include "core/prio_runq.h"
#include "core/real.h"
#include "core/sys.h"
#include "shim/identity.h"
#include "shim/thread.h"

namespace weft {
namespace {

// The G a pid names (shim/identity.h), released when it goes out of scope;
// g is nullptr for the kernel to answer.
struct Named {
  explicit Named(pid_t pid) : g(thread_named(pid)) {}
  ~Named() { release_named(g); }
  Named(const Named&) = delete;
  Named& operator=(const Named&) = delete;
  G* const g;
};

int fail(int err) {
  if (!err) return 0;
  errno = err;
  return -1;
}

}  // namespace
}  // namespace weft

using namespace weft;

WEFT_EXPORT int sched_setscheduler(pid_t pid, int policy, const struct sched_param* param) {
  Named named(pid);
  G* g = named.g;
  if (!g)
    return real<int (*)(pid_t, int, const sched_param*)>("sched_setscheduler")(pid, policy, param);
  if (!param || policy < 0) return fail(EINVAL);
  return fail(change_sched(g, policy & ~SCHED_RESET_ON_FORK, param));
}

WEFT_EXPORT int sched_setparam(pid_t pid, const struct sched_param* param) {
  Named named(pid);
  G* g = named.g;
  if (!g) return real<int (*)(pid_t, const sched_param*)>("sched_setparam")(pid, param);
  if (!param) return fail(EINVAL);
  return fail(change_sched(g, tcb_field<int>(g->tcb, tcb_off::kSchedPolicy), param));
}

WEFT_EXPORT int sched_getscheduler(pid_t pid) {
  Named named(pid);
  G* g = named.g;
  if (!g) return real<int (*)(pid_t)>("sched_getscheduler")(pid);
  return tcb_field<int>(g->tcb, tcb_off::kSchedPolicy);
}

// The kernel reports the priority the task runs at: a held PRIO_PROTECT
// ceiling's, if higher than its own.
WEFT_EXPORT int sched_getparam(pid_t pid, struct sched_param* param) {
  Named named(pid);
  G* g = named.g;
  if (!g) return real<int (*)(pid_t, sched_param*)>("sched_getparam")(pid, param);
  if (!param) return fail(EINVAL);
  int policy;
  current_sched(g, &policy, &param->sched_priority);
  return 0;
}

// SCHED_RR's slice is the kernel's; SCHED_FIFO has none (0); for the fair
// policies the kernel's answer for the M is as good as any.
WEFT_EXPORT int sched_rr_get_interval(pid_t pid, struct timespec* interval) {
  Named named(pid);
  G* g = named.g;
  int policy = g ? tcb_field<int>(g->tcb, tcb_off::kSchedPolicy) : SCHED_OTHER;
  if (policy != SCHED_FIFO && policy != SCHED_RR)
    return real<int (*)(pid_t, timespec*)>("sched_rr_get_interval")(g ? 0 : pid, interval);
  *interval = sys::ns_to_timespec(policy == SCHED_RR ? rr_interval_ns() : 0);
  return 0;
}
