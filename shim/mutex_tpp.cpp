// shim/mutex_tpp.cpp — NPTL's per-thread priority-protection bookkeeping
// (__pthread_tpp_change_priority), which decides the results of locking and
// unlocking PRIO_PROTECT mutexes.
//
// Model, as NPTL: each thread counts the PRIO_PROTECT ceilings it holds
// (map) and remembers the highest one (priomax, initially SCHED_FIFO's
// minimum - 1). When a change moves priomax, priomax is updated first and
// then the thread's scheduling is set to max(base priority, priomax) with
// its own policy. For SCHED_OTHER/BATCH/IDLE any priority above 0 is
// invalid, so the first PRIO_PROTECT lock of such a thread fails with EINVAL
// and leaves priomax raised; later locks at or below it succeed. This
// reproduces that observable history exactly. A native thread really
// changes its kernel priority, as in NPTL; a G has no kernel priority of its
// own (it shares its M): its level in weft's scheduler changes instead
// (core/prio_runq.h), with the kernel's permission check.
#include <stdlib.h>
#include <sched.h>
#include <stdint.h>

#include "core/prio_runq.h"
#include "shim/mutex.h"
#include "shim/sync_common.h"
#include "shim/thread.h"

namespace weft::mutex {
namespace {

// SCHED_FIFO priorities are 1..99 on Linux; counts saturate at 65535 held
// mutexes of one ceiling (NPTL's EAGAIN point is 2^32 - 1).
constexpr int kMaxPrio = 99;

// priomax first: glibc's pthread_setschedparam reads it as its own
// struct priority_protection_data for native threads.
struct Tpp {
  int priomax;
  bool initialised;
  uint16_t held[kMaxPrio + 1];
};

// Per thread, in the TCB's tpp slot as NPTL keeps it: allocated by the first
// priority-protect lock, freed at thread exit (glibc's for native threads,
// core/tls.cpp's for Gs). Static TLS would cost every G 200 bytes of a
// resident page.
Tpp* this_thread_tpp() {
  Tpp*& slot = tcb_field<Tpp*>(thread_pointer(), tcb_off::kTpp);
  if (!slot) slot = static_cast<Tpp*>(calloc(1, sizeof(Tpp)));
  return slot;
}

void base_sched(int* policy, int* prio) {
  sched_param sp{};
  if (pthread_getschedparam(pthread_self(), policy, &sp) != 0) {
    *policy = SCHED_OTHER;
    sp.sched_priority = 0;
  }
  *prio = sp.sched_priority;
}

int set_priority(int policy, int prio) {
  if (policy != SCHED_FIFO && policy != SCHED_RR) return prio == 0 ? 0 : EINVAL;
  if (G* self = current_g()) {
    int cur_policy, cur_prio;
    current_sched(self, &cur_policy, &cur_prio);
    if (int err = sched_permission(cur_policy, cur_prio, policy, prio)) return err;
    apply_priority(self, policy, prio);
    preempt_point(self);
    return 0;
  }
  sched_param sp{};
  sp.sched_priority = prio;
  return sched_setscheduler(0, policy, &sp) == 0 ? 0 : errno;
}

}  // namespace

int current_priority() {
  int policy, prio;
  base_sched(&policy, &prio);
  return prio;
}

int tpp_change(int prev, int next) {
  int lo = fifo_min_prio();
  Tpp* t = this_thread_tpp();
  if (!t) return ENOMEM;
  Tpp& tpp = *t;
  if (!tpp.initialised) {
    tpp.initialised = true;
    tpp.priomax = lo - 1;
  }
  int old_max = tpp.priomax;
  int new_max = old_max;
  if (next != -1) {
    if (tpp.held[next] == UINT16_MAX) return EAGAIN;
    ++tpp.held[next];
    if (next > old_max) new_max = next;
  }
  if (prev != -1 && --tpp.held[prev] == 0 && old_max == prev && prev > next) {
    int i = prev - 1;
    while (i >= lo && tpp.held[i] == 0) --i;
    new_max = i;
  }
  if (new_max == old_max) return 0;
  tpp.priomax = new_max;
  int policy, base;
  base_sched(&policy, &base);
  if (base < new_max || base < old_max) return set_priority(policy, base < new_max ? new_max : base);
  return 0;
}

}  // namespace weft::mutex
