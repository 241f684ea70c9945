// core/fork.cpp — the runtime in a fork child.
//
// Model. fork() copies the memory but only the calling kernel thread. In
// the child the forking G runs on the copy of its M; every other M, the
// monitor and the M spawner are gone, while weft's records still name them
// and the Gs they ran. Left so, the child would hand its Ps to Ms that do
// not exist (and hang), and could run the parent's other threads, which
// POSIX says do not exist in the child. So the child handler, registered
// when the runtime starts, rebuilds the scheduler around the forking G:
// its M is the only M (with the kernel's new tid), its P stays with it and
// every other P is idle with empty queues and timer heaps; the global
// queue, the idle and free M lists and every futex wait queue are emptied
// (the Gs in them belong to threads the child does not have); locks a
// vanished thread may have held are reset; the monitor and the spawner are
// started again with the child's next thread (core/monitor.cpp). The blocks
// of the vanished Gs are not reclaimed.
// Runs with only the calling thread in the process, so nothing here races.
#include <new>
#include <pthread.h>

#include "core/async_cancel.h"
#include "core/futex.h"
#include "core/prio_runq.h"
#include "core/sched_internal.h"
#include "core/stack.h"
#include "core/sys.h"
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

void rebuild_after_fork() {
  G* self = current_g();
  if (!self || self->is_g0) return;  // a thread weft does not run: nothing to keep
  M* m = self->m;
  P* mine = m->p;
  new (&sched.lock) SpinLock();
  sched.gq_head = sched.gq_tail = nullptr;
  sched.gq_size.store(0, std::memory_order_relaxed);
  sched.midle = nullptr;
  sched.nmidle = 0;
  sched.mfree = nullptr;
  for (int i = sched.mslots - 1; i >= 0; i--) {  // every other M vanished
    if (&all_ms[i] == m) continue;
    all_ms[i].free_next = sched.mfree;
    sched.mfree = &all_ms[i];
  }
  sched.mcount.store(1, std::memory_order_relaxed);
  sched.nmspinning.store(0, std::memory_order_relaxed);
  sched.pidle = nullptr;
  sched.npidle.store(0, std::memory_order_relaxed);
  sched.spare_idle = nullptr;
  sched.nspare_lent.store(0, std::memory_order_relaxed);
  m->ktid = sys::gettid();
  m->spinning = false;
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
  if (mine && mine->spare) sched.nspare_lent.store(1, std::memory_order_relaxed);
  if (mine) {
    mine->alloc_cache_busy.store(false, std::memory_order_relaxed);
    acquirep(m, mine);
  }
  futex_forget_waiters_after_fork();
  rt_forget_after_fork();
  stacks_after_fork();
  monitor_forget_after_fork();
  async_cancel_forget_after_fork();
  mthreads_forget_after_fork();
  debug_forget_after_fork();
}

}  // namespace

void register_fork_handler() { pthread_atfork(nullptr, nullptr, rebuild_after_fork); }

}  // namespace weft
