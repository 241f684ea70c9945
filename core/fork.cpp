// core/fork.cpp — the runtime in a fork child.
//
// Model. fork() copies the memory but only the calling kernel thread. In
// the child every other M, the monitor and the M spawner are gone, while
// weft's records still name them and the Gs they ran. Left so, the child
// would hand its Ps to Ms that do not exist (and hang), and could run the
// parent's other threads, which POSIX says do not exist in the child. So
// the child handler, registered when the runtime starts (before any handler
// of the program's, so those may create threads), rebuilds the scheduler
// around the forking G: the child's kernel thread becomes M0, whichever M
// forked (see adopt_m0), with the kernel's new tid; the G keeps a P and
// every other P is idle with empty queues and timer heaps; the global
// queue, the idle and free M lists and every futex wait queue are emptied
// (the Gs in them belong to threads the child does not have); locks a
// vanished thread may have held are reset; the monitor and the spawner are
// started again with the child's next thread (core/monitor.cpp). The blocks
// of the vanished Gs are not reclaimed. A fork by a thread weft does not
// run (glibc's helper threads) leaves every P idle and M0 in reserve.
// Runs with only the calling thread in the process, so nothing here races.
#include <new>
#include <pthread.h>

#include "core/async_cancel.h"
#include "core/futex.h"
#include "core/prio_runq.h"
#include "core/sched_internal.h"
#include "core/sigmask.h"
#include "core/stack.h"
#include "core/sys.h"
#include "core/tls.h"
#include "core/trace.h"

namespace weft {
namespace {

void reset_p(P* p) {
  p->runq_head.store(0, std::memory_order_relaxed);
  p->runq_tail.store(0, std::memory_order_relaxed);
  p->runnext.store(nullptr, std::memory_order_relaxed);
  new (&p->timer_lock) SpinLock();
  p->timer_len = 0;
  p->timer_next.store(INT64_MAX, std::memory_order_relaxed);
  p->alloc_cache_busy.store(false, std::memory_order_relaxed);
}

// M0 made fresh: its g0 keeps the stack and TCB weft made for it, and is
// restarted, since whatever it was doing in the parent belonged to M0's
// kernel thread.
M* reset_m0() {
  M* m = &all_ms[0];
  int id = m->id;
  void* g0_tcb = m->g0.tcb;
  new (m) M();
  m->id = id;
  m->g0.tcb = g0_tcb;
  m->g0.is_g0 = true;
  m->g0.m = m;
  restart_m0_g0();
  return m;
}

// The child's only kernel thread becomes M0, whatever M forked: every
// other M's g0 runs on a stack and TCB that glibc made for that M's kernel
// thread, and in the child glibc counts those threads as gone and hands
// their stacks to its next pthread_create (reclaim_stacks), so a g0 of
// theirs would soon share its stack with a new thread.
M* adopt_m0(G* self) {
  M* m = reset_m0();
  m->ktid = sys::gettid();
  void* g0_tcb = m->g0.tcb;
  // The task's registered robust list: glibc registered the forking G's
  // (emptied) in the child. A G wired for a process-shared robust mutex
  // keeps it; the main thread's lives as long as the process; any other G's
  // TCB may be reused once that G exits, so M0 registers its g0's instead.
  if (self->locked_m) {
    self->locked_m = m;
    self->locked_tid = m->ktid;
    m->native_robust_head = static_cast<char*>(g0_tcb) + tcb_off::kRobustHead;
  } else if (self->is_main) {
    m->native_robust_head = static_cast<char*>(self->tcb) + tcb_off::kRobustHead;
  } else {
    m->native_robust_head = static_cast<char*>(g0_tcb) + tcb_off::kRobustHead;
    sys::call6(SYS_set_robust_list, long(m->native_robust_head), 24);
  }
  self->m = m;
  return m;
}

void rebuild_after_fork() {
  G* self = current_g();
  // A signal handler that forks on an M's scheduler context: that context
  // cannot go on in the child (its stack is glibc's, see adopt_m0).
  if (self && self->is_g0) return;
  // The P the forking G keeps: its own, unless that is a spare (lent only
  // while a stuck M needs one) or gone (retaken during a blocking call).
  // A thread weft does not run (a helper thread of glibc's) keeps none: the
  // child's threads then run on Ms made for them, and M0 waits, reserved,
  // for a later fork by a G.
  P* mine = nullptr;
  M* m = nullptr;
  if (self) {
    mine = self->m->p;
    if (!mine || mine->spare) mine = sched.allp[0];
    m = adopt_m0(self);
  } else {
    reset_m0();
  }
  new (&sched.lock) SpinLock();
  sched.gq_head = sched.gq_tail = nullptr;
  sched.gq_size.store(0, std::memory_order_relaxed);
  sched.midle = nullptr;
  sched.nmidle = 0;
  sched.mfree = nullptr;
  for (int i = sched.mslots - 1; i >= 1; i--) {  // every other M vanished
    // Its TCB goes to glibc's stack cache (reclaim_stacks) and from there to
    // the child's next kernel thread, which must not look like this g0.
    if (void* tcb = all_ms[i].g0.tcb) tcb_field<G*>(tcb, tcb_off::kCurrentG) = nullptr;
    all_ms[i].g0.tcb = nullptr;
    all_ms[i].free_next = sched.mfree;
    sched.mfree = &all_ms[i];
  }
  sched.mcount.store(m ? 1 : 0, std::memory_order_relaxed);
  sched.nmspinning.store(0, std::memory_order_relaxed);
  sched.pidle = nullptr;
  sched.npidle.store(0, std::memory_order_relaxed);
  sched.spare_idle = nullptr;
  sched.nspare_lent.store(0, std::memory_order_relaxed);
  for (int i = sched.nallp.load(std::memory_order_relaxed) - 1; i >= 0; i--) {
    P* p = sched.allp[i];
    reset_p(p);
    if (p == mine) continue;
    if (p->spare) {
      p->m = nullptr;
      p->status.store(kPSpareIdle, std::memory_order_relaxed);
      p->idle_next = sched.spare_idle;
      sched.spare_idle = p;
    } else {
      pidle_put_locked(p);
    }
  }
  if (m) {
    acquirep(m, mine);
    // A G that forks inside a blocking call (a signal handler's fork) ends
    // that call as it would in the parent: its P in kPSyscall, taken back.
    if (self->status.load(std::memory_order_relaxed) == kGSyscall)
      mine->status.store(kPSyscall, std::memory_order_relaxed);
  }
  futex_forget_waiters_after_fork();
  rt_forget_after_fork();
  stacks_after_fork();
  monitor_forget_after_fork();
  async_cancel_forget_after_fork();
  mthreads_forget_after_fork();
  debug_forget_after_fork();
  signals_after_fork_child();
}

}  // namespace

void register_fork_handler() { pthread_atfork(nullptr, nullptr, rebuild_after_fork); }

}  // namespace weft
