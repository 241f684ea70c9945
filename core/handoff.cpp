// core/handoff.cpp — system calls that may block the kernel thread (Go's
// entersyscall / exitsyscall / retake).
//
// Model. A G entering such a call keeps its M and its P, but marks both:
// G::status kGSyscall (so a signal for it goes to its M, core/signal.cpp)
// and P::status kPSyscall, with P::syscalltick counting the calls. The P is
// still held, but may be taken: the monitor (core/monitor.cpp) CASes it from
// kPSyscall to kPIdle when the same call has lasted since its previous
// sample and something could use the P, and hands it on (handoffp). On
// return the M CASes its P back from kPSyscall to kPRunning: a call that did
// not block costs two plain stores, one uncontended CAS and two reads of the
// G's CPU clock, which stops meanwhile (core/cputime.h). If the CAS fails
// the P is someone else's: the G takes its old P if it is idle, else any
// idle P, else queues itself on the global queue and its M goes idle.
//
// Invariants. Between enter and exit the G touches nothing of its P (no run
// queue, no timers): a signal handler that runs on it meanwhile readies Gs
// through the global queue (enqueue in core/sched.cpp), and a wait that
// parks inside the call first takes the P back (switch_away). Only the
// monitor and the returning M ever move a P out of kPSyscall.
#include "core/blocking.h"
#include "core/cputime.h"
#include "core/prio_runq.h"
#include "core/sched_internal.h"
#include "core/stats.h"
#include "core/sys.h"

namespace weft {
namespace {

// The P lost during the call: old if it is idle, else any idle P.
P* reacquire_idle_p(P* old) {
  SpinLockGuard l(sched.lock);
  for (P** pp = &sched.pidle; *pp; pp = &(*pp)->idle_next) {
    if (*pp == old) {  // move it to the front (warm caches)
      *pp = old->idle_next;
      old->idle_next = sched.pidle;
      sched.pidle = old;
      break;
    }
  }
  return pidle_get_locked();
}

}  // namespace

bool enter_blocking_syscall() {
  G* self = current_g();
  if (!self || self->is_g0) return false;
  P* p = self->m->p;
  if (!p || self->status.load(std::memory_order_relaxed) != kGRunning) return false;
  p->syscalltick.store(p->syscalltick.load(std::memory_order_relaxed) + 1,
                       std::memory_order_relaxed);
  self->status.store(kGSyscall, std::memory_order_relaxed);
  p->status.store(kPSyscall, std::memory_order_release);
  if (cpu_clocks_on()) cpu_stop(self, cpu_ticks());  // waiting in the kernel is not CPU time
  return true;
}

void take_p_back_without_switch(G* self) {
  if (cpu_clocks_on()) cpu_start(self, cpu_ticks());
  M* m = self->m;
  P* p = m->p;
  uint32_t expected = kPSyscall;
  if (p && p->status.compare_exchange_strong(expected, kPRunning, std::memory_order_acquire)) {
    p->m = m;  // it may have been retaken and handed back meanwhile
    self->status.store(kGRunning, std::memory_order_relaxed);
    return;
  }
  // Retaken by the monitor: the P now belongs to another M or the idle list.
  m->p = nullptr;
  self->status.store(kGRunning, std::memory_order_relaxed);
  if (P* q = reacquire_idle_p(p)) acquirep(m, q);
}

void exit_blocking_syscall() {
  G* self = current_g();
  if (!self || self->is_g0 || self->status.load(std::memory_order_relaxed) != kGSyscall) return;
  take_p_back_without_switch(self);
  // No P: queue self and put this M to sleep.
  if (!self->m->p) yield_to_global_queue(self);
}

bool retake_syscall_p(P* p) {
  uint32_t expected = kPSyscall;
  if (!p->status.compare_exchange_strong(expected, kPIdle, std::memory_order_acq_rel)) return false;
  p->m = nullptr;  // in transit: the monitor must not take the old M for its owner
  stat_add(kStatHandoffs);
  handoffp(p);
  return true;
}

}  // namespace weft
