// shim/pthread_setschedparam.cpp — scheduling policy and priority of a
// thread. NPTL passes them to the kernel task; a G has none, so the values
// are validated and permitted as the kernel would, kept in the TCB's own
// fields (schedpolicy, schedparam), where a later get reads them, and given
// to weft's scheduler: SCHED_FIFO and SCHED_RR levels order the Gs among
// themselves (core/prio_runq.h). The kernel thread (M) keeps its own policy.
// A new thread inherits its creator's (shim/pthread_create.cpp), or takes
// its attribute's under PTHREAD_EXPLICIT_SCHED.
//
// As in NPTL, a thread holding PRIO_PROTECT mutexes runs at the highest of
// their ceilings when that is above its own priority (shim/mutex_tpp.cpp),
// while the TCB keeps the priority it asked for.
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>

#include "core/export.h"
#include "core/prio_runq.h"
#include "core/real.h"
#include "core/sched.h"
#include "core/sys.h"
#include "shim/thread.h"

namespace weft {
namespace {

bool real_time(int policy) { return policy == SCHED_FIFO || policy == SCHED_RR; }

// The highest PRIO_PROTECT ceiling g holds (its tpp data starts with it, as
// NPTL's struct priority_protection_data does); 0 if none.
int ceiling_held(G* g) {
  const int* tpp = tcb_field<const int*>(g->tcb, tcb_off::kTpp);
  return tpp ? *tpp : 0;
}

// Whether the kernel would let a SCHED_OTHER task of this process take
// (policy, prio): asked of the caller's kernel thread itself, which takes it
// for an instant and gets its own back. Only the kernel knows every rule
// (CAP_SYS_NICE in the initial user namespace, RLIMIT_RTPRIO, a cgroup
// without real-time runtime); lowering a real-time task is always allowed.
int kernel_permits(int policy, int prio) {
  long tid = sys::gettid();
  long old = sys::call6(SYS_sched_getscheduler, tid);
  sched_param old_param{};
  if (old < 0 || sys::call6(SYS_sched_getparam, tid, long(&old_param)) < 0) return int(-old);
  sched_param param{prio};
  long r = sys::call6(SYS_sched_setscheduler, tid, policy | (old & SCHED_RESET_ON_FORK),
                      long(&param));
  if (r < 0) return int(-r);
  sys::call6(SYS_sched_setscheduler, tid, old, long(&old_param));
  return 0;
}

long rtprio_limit() {
  rlimit rl{};
  return sys::call6(SYS_prlimit64, 0, RLIMIT_RTPRIO, 0, long(&rl)) == 0 ? long(rl.rlim_cur) : 0;
}

}  // namespace

int validate_sched(int policy, const sched_param* param) {
  switch (policy) {
    case SCHED_OTHER:
    case SCHED_BATCH:
    case SCHED_IDLE:
    case SCHED_FIFO:
    case SCHED_RR:
      break;
    default:
      return EINVAL;
  }
  if (param->sched_priority < sched_get_priority_min(policy) ||
      param->sched_priority > sched_get_priority_max(policy))
    return EINVAL;
  return 0;
}

// The kernel's rule for an unprivileged task (sched_setscheduler(2)): it may
// keep its real-time policy at its level or lower; a new policy needs a
// nonzero RLIMIT_RTPRIO and a higher level one within it. A privileged one
// may do anything: kernel_permits tells which, for a SCHED_OTHER task.
int sched_permission(int cur_policy, int cur_prio, int policy, int prio) {
  if (!real_time(policy)) return 0;
  bool was_real_time = real_time(cur_policy);
  if (was_real_time && policy == cur_policy && prio <= cur_prio) return 0;
  int err = kernel_permits(policy, prio);
  if (err && was_real_time && prio <= cur_prio && rtprio_limit() != 0) return 0;
  return err;
}

void current_sched(G* g, int* policy, int* prio) {
  *policy = tcb_field<int>(g->tcb, tcb_off::kSchedPolicy);
  uint32_t rt = g->rt.load(std::memory_order_relaxed);
  *prio = rt ? int(rt_level(rt)) : tcb_field<int>(g->tcb, tcb_off::kSchedParam);
}

void store_sched(G* g, int policy, int priority) {
  tcb_field<int>(g->tcb, tcb_off::kSchedPolicy) = policy;
  tcb_field<int>(g->tcb, tcb_off::kSchedParam) = priority;
  int ceiling = ceiling_held(g);
  apply_priority(g, policy, real_time(policy) && ceiling > priority ? ceiling : priority);
}

void apply_priority(G* g, int policy, int priority) {
  rt_change(g, rt_value(policy, priority));
  G* self = current_g();
  if (self && g == self && self->m->p) note_running(self->m->p, self);
}

int change_sched(G* g, int policy, const sched_param* param) {
  if (int err = validate_sched(policy, param)) return err;
  int prio = param->sched_priority, ceiling = ceiling_held(g);
  if (real_time(policy) && ceiling > prio) prio = ceiling;
  int cur_policy, cur_prio;
  current_sched(g, &cur_policy, &cur_prio);
  if (int err = sched_permission(cur_policy, cur_prio, policy, prio)) return err;
  store_sched(g, policy, param->sched_priority);
  preempt_point(current_g());
  return 0;
}

}  // namespace weft

using namespace weft;

WEFT_EXPORT int pthread_setschedparam(pthread_t t, int policy, const struct sched_param* param) {
  G* g = g_of(t);
  if (!runtime_active() || !g)
    return real<int (*)(pthread_t, int, const sched_param*)>("pthread_setschedparam")(t, policy,
                                                                                      param);
  return change_sched(g, policy, param);
}

WEFT_EXPORT int pthread_getschedparam(pthread_t t, int* policy, struct sched_param* param) {
  G* g = g_of(t);
  if (!runtime_active() || !g)
    return real<int (*)(pthread_t, int*, sched_param*)>("pthread_getschedparam")(t, policy, param);
  *policy = tcb_field<int>(g->tcb, tcb_off::kSchedPolicy);
  param->sched_priority = tcb_field<int>(g->tcb, tcb_off::kSchedParam);
  return 0;
}

WEFT_EXPORT int pthread_setschedprio(pthread_t t, int prio) {
  G* g = g_of(t);
  if (!runtime_active() || !g)
    return real<int (*)(pthread_t, int)>("pthread_setschedprio")(t, prio);
  sched_param param{prio};
  return change_sched(g, tcb_field<int>(g->tcb, tcb_off::kSchedPolicy), &param);
}
