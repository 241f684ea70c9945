// shim/pthread_setschedparam.cpp — scheduling policy and priority of a
// thread. NPTL passes them to the kernel task; a G has none and weft's
// scheduler has no priorities, so the values are validated as the kernel
// would and kept in the TCB's own fields (schedpolicy, schedparam), where a
// later get reads them. A new thread inherits its creator's (shim/
// pthread_create.cpp), or takes its attribute's under PTHREAD_EXPLICIT_SCHED.
#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "core/export.h"
#include "core/real.h"
#include "shim/thread.h"

namespace weft {

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

void store_sched(G* g, int policy, int priority) {
  tcb_field<int>(g->tcb, tcb_off::kSchedPolicy) = policy;
  tcb_field<int>(g->tcb, tcb_off::kSchedParam) = priority;
}

}  // namespace weft

using namespace weft;

WEFT_EXPORT int pthread_setschedparam(pthread_t t, int policy, const struct sched_param* param) {
  G* g = g_of(t);
  if (!runtime_active() || !g)
    return real<int (*)(pthread_t, int, const sched_param*)>("pthread_setschedparam")(t, policy,
                                                                                      param);
  if (int err = validate_sched(policy, param)) return err;
  store_sched(g, policy, param->sched_priority);
  return 0;
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
  int policy = tcb_field<int>(g->tcb, tcb_off::kSchedPolicy);
  if (int err = validate_sched(policy, &param)) return err;
  store_sched(g, policy, prio);
  return 0;
}
