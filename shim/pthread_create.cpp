// shim/pthread_create.cpp — pthread_create and C11 thrd_create.
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <threads.h>

#include "core/export.h"
#include "core/prio_runq.h"
#include "core/real.h"
#include "core/sched.h"
#include "core/signal.h"
#include "core/stack.h"
#include "core/stats.h"
#include "core/tid.h"
#include "core/tls.h"
#include "shim/c11.h"
#include "shim/thread.h"

namespace weft {
namespace {

using CreateFn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);

int create_g(pthread_t* out, const pthread_attr_t* attr, void* (*fn)(void*), void* arg,
             bool c11) {
  enter_multithreaded_mode();
  if (!attr) attr = default_thread_attr();
  StackRequest req;
  int detach = PTHREAD_CREATE_JOINABLE;
  int inherit = PTHREAD_INHERIT_SCHED, policy = SCHED_OTHER;
  sched_param param{0};
  {
    pthread_attr_getinheritsched(attr, &inherit);
    pthread_attr_getschedpolicy(attr, &policy);
    pthread_attr_getschedparam(attr, &param);
    // getstack gives (top - size, size) with the size as set, 0 if never
    // set: the top is not NULL only after setstack (or setstackaddr). The
    // address alone cannot tell: without setstack it is NULL - size, which
    // for a size near SIZE_MAX is a low user address.
    void* addr;
    size_t raw_size;
    pthread_attr_getstack(attr, &addr, &raw_size);
    char* top = static_cast<char*>(addr) + raw_size;
    pthread_attr_getstacksize(attr, &req.stack_size);  // the default if not set
    if (top) {
      req.user_size = req.stack_size;
      req.user_stack = top - req.user_size;
    } else {
      pthread_attr_getguardsize(attr, &req.guard_size);
    }
    pthread_attr_getdetachstate(attr, &detach);
  }
  int err;
  G* g = g_alloc(req, &err);
  if (!g) return err;
  // In NPTL's order (create_thread), after the stack: the attribute's CPU
  // set, if it restricts anything (one that does not fit cpu_set_t or names
  // no usable CPU fails as the kernel would fail it), then the scheduling
  // parameters.
  cpu_set_t cpus;
  err = pthread_attr_getaffinity_np(attr, sizeof cpus, &cpus) != 0 ? EINVAL : 0;
  bool restricted = false;
  for (size_t i = 0; !err && i < CPU_SETSIZE / __NCPUBITS; i++) restricted |= ~cpus.__bits[i] != 0;
  if (!err && restricted) err = set_thread_affinity(g, sizeof cpus, &cpus);
  if (!err && inherit == PTHREAD_EXPLICIT_SCHED) err = validate_sched(policy, &param);
  // NPTL's new task is a clone of its creator when it asks the kernel for
  // the attribute's policy.
  int creator_policy = tcb_field<int>(thread_pointer(), tcb_off::kSchedPolicy);
  int creator_prio = tcb_field<int>(thread_pointer(), tcb_off::kSchedParam);
  if (G* self = current_g()) current_sched(self, &creator_policy, &creator_prio);
  if (!err && inherit == PTHREAD_EXPLICIT_SCHED)
    err = sched_permission(creator_policy, creator_prio, policy, param.sched_priority);
  if (err) {
    g_free(g, nullptr);
    return err;
  }
  g->fn = fn;
  g->arg = arg;
  g->c11 = c11;
  inherit_signal_state(g);
  sigset_t attr_mask;  // pthread_attr_setsigmask_np's, else the creator's
  if (pthread_attr_getsigmask_np(attr, &attr_mask) == 0)
    g->sigmask.store(sigset_bits(&attr_mask) & ~kUnblockable, std::memory_order_relaxed);
  if (inherit == PTHREAD_INHERIT_SCHED) {
    // From the creator's TCB: a G's, or a native thread's (0/0 if unset).
    policy = tcb_field<int>(thread_pointer(), tcb_off::kSchedPolicy);
    param.sched_priority = tcb_field<int>(thread_pointer(), tcb_off::kSchedParam);
  }
  store_sched(g, policy, param.sched_priority);
  inherit_name(g);
  g->life.store(detach == PTHREAD_CREATE_DETACHED ? kDetached : kJoinable, std::memory_order_relaxed);
  *out = handle_of(g);
  tid_assign(g);
  tcb_link(g->tcb);
  int alive = live_threads.fetch_add(1, std::memory_order_relaxed) + 1;
  stat_add(kStatThreadsCreated);
  stat_peak(kStatThreadsPeak, alive);
  if (rt_level(g) && rt_level(g) < rt_level(rt_value(creator_policy, creator_prio)))
    ready_at_head(g);
  else
    ready(g, true);
  preempt_point(current_g());  // a higher-priority thread runs at once
  return 0;
}

}  // namespace
}  // namespace weft

WEFT_EXPORT int pthread_create(pthread_t* out, const pthread_attr_t* attr, void* (*fn)(void*),
                               void* arg) {
  using namespace weft;
  if (!ensure_runtime()) {
    static CreateFn real_create = real<CreateFn>("pthread_create");
    return real_create(out, attr, fn, arg);
  }
  return create_g(out, attr, fn, arg, false);
}

// glibc's thrd_create calls its hidden __pthread_create_2_1, so it is
// interposed here too; the G runs the int-returning routine (thread_start).
WEFT_EXPORT int thrd_create(thrd_t* thr, thrd_start_t fn, void* arg) {
  using namespace weft;
  int err;
  if (!ensure_runtime()) {
    static auto real_thrd_create = real<int (*)(thrd_t*, thrd_start_t, void*)>("thrd_create");
    return real_thrd_create(thr, fn, arg);
  }
  err = create_g(reinterpret_cast<pthread_t*>(thr), nullptr, reinterpret_cast<void* (*)(void*)>(fn),
                 arg, true);
  return c11_result(err);
}
