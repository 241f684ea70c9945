// core/sched.cpp — run queues, work finding, switching, idle Ms and spinning.
// The model and its invariants are stated in core/sched.h.
#include "core/sched.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "core/blocking.h"
#include "core/context.h"
#include "core/cputime.h"
#include "core/netpoll.h"
#include "core/prio_runq.h"
#include "core/sched_internal.h"
#include "core/signal.h"
#include "core/stats.h"
#include "core/real.h"
#include "core/sys.h"
#include "core/timer_heap.h"
#include "core/tls.h"
#include "core/wire.h"

namespace weft {

Sched sched;
M all_ms[kMaxMs];
P all_ps[kMaxAllP];
void (*g_entry_hook)(G* g) = nullptr;

namespace {

constexpr int kStealRounds = 4;
constexpr uint32_t kGlobalQueueTick = 61;

// ---- local run queue (owner: the P's M; thieves: any M) -----------------

void start_slice(P* p) {
  p->inherited_picks = 0;
  p->slice_start_ns = 0;
}

// True once the running slice is spent. The clock is read on the first and
// then every 16th inherited pick: a ping-pong switch costs well under a
// microsecond, so the slice ends at most ~16 switches late.
bool slice_spent(P* p) {
  uint32_t n = ++p->inherited_picks;
  if ((n & 15) != 1) return false;
  int64_t now = sys::now_ns();
  if (p->slice_start_ns == 0) {
    p->slice_start_ns = now;
    return false;
  }
  return now - p->slice_start_ns >= kTimeSliceNs;
}

// The G in runnext, which inherits the running slice; once that is spent it
// goes to the back of the queue instead, behind the Gs it would starve.
G* runnext_pop(P* p) {
  G* next = p->runnext.load(std::memory_order_relaxed);
  if (!next) return nullptr;
  if (!p->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acquire)) return nullptr;
  if (!slice_spent(p)) return next;
  runq_put(p, next, false);
  return nullptr;
}

// The head of the local queue (not runnext); it starts a new slice.
G* runq_pop(P* p) {
  for (;;) {
    uint32_t h = p->runq_head.load(std::memory_order_acquire);
    uint32_t t = p->runq_tail.load(std::memory_order_relaxed);
    if (t == h) return nullptr;
    G* g = p->runq[h % kRunqSize].load(std::memory_order_relaxed);
    // Always a CAS, even with one P: the monitor drains the queue of a P
    // whose M is stuck in the kernel (a thief that may come at any time).
    if (p->runq_head.compare_exchange_weak(h, h + 1, std::memory_order_release)) return g;
  }
}

}  // namespace

void global_put_batch(G* head, G* tail, int n) {
  SpinLockGuard l(sched.lock);
  tail->next = nullptr;
  if (sched.gq_tail)
    sched.gq_tail->next = head;
  else
    sched.gq_head = head;
  sched.gq_tail = tail;
  sched.gq_size.fetch_add(n, std::memory_order_relaxed);
}

namespace {
// Moves half of a full local queue plus g to the global queue.
bool runq_put_slow(P* p, G* g, uint32_t h, uint32_t t) {
  constexpr uint32_t n = kRunqSize / 2;
  G* batch[n + 1];
  for (uint32_t i = 0; i < n; i++) batch[i] = p->runq[(h + i) % kRunqSize].load(std::memory_order_relaxed);
  if (!p->runq_head.compare_exchange_strong(h, h + n, std::memory_order_release)) return false;
  batch[n] = g;
  for (uint32_t i = 0; i < n; i++) batch[i]->next = batch[i + 1];
  global_put_batch(batch[0], batch[n], n + 1);
  return true;
}

}  // namespace

void runq_put(P* p, G* g, bool next) {
  if (next) {
    G* old = p->runnext.exchange(g, std::memory_order_acq_rel);
    if (!old) return;
    g = old;
  }
  for (;;) {
    uint32_t h = p->runq_head.load(std::memory_order_acquire);
    uint32_t t = p->runq_tail.load(std::memory_order_relaxed);
    if (t - h < kRunqSize) {
      p->runq[t % kRunqSize].store(g, std::memory_order_relaxed);
      p->runq_tail.store(t + 1, std::memory_order_release);
      return;
    }
    if (runq_put_slow(p, g, h, t)) return;
  }
}

bool runq_empty(P* p) {
  return p->runq_head.load(std::memory_order_acquire) ==
             p->runq_tail.load(std::memory_order_acquire) &&
         p->runnext.load(std::memory_order_acquire) == nullptr;
}

int runq_drain_to_global(P* p) {
  int n = 0;
  for (;;) {
    G* g = p->runnext.load(std::memory_order_acquire);
    if (g && !p->runnext.compare_exchange_strong(g, nullptr, std::memory_order_acq_rel)) continue;
    if (!g) {
      uint32_t h = p->runq_head.load(std::memory_order_acquire);
      uint32_t t = p->runq_tail.load(std::memory_order_acquire);
      if (t == h) return n;
      g = p->runq[h % kRunqSize].load(std::memory_order_relaxed);
      if (!p->runq_head.compare_exchange_weak(h, h + 1, std::memory_order_acq_rel)) continue;
    }
    g->next = nullptr;
    global_put_batch(g, g, 1);
    n++;
  }
}

namespace {
// Steals half of victim's queue into thief's (thief's M must own thief).
G* runq_steal(P* thief, P* victim, bool take_runnext) {
  uint32_t t = thief->runq_tail.load(std::memory_order_relaxed);
  for (;;) {
    uint32_t h = victim->runq_head.load(std::memory_order_acquire);
    uint32_t vt = victim->runq_tail.load(std::memory_order_acquire);
    uint32_t n = vt - h;
    n = n - n / 2;
    if (n == 0) {
      if (!take_runnext) return nullptr;
      G* next = victim->runnext.load(std::memory_order_acquire);
      if (next && victim->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acq_rel))
        return next;
      return nullptr;
    }
    if (n > kRunqSize / 2) continue;  // raced with the owner; reload
    for (uint32_t i = 0; i < n; i++) {
      G* g = victim->runq[(h + i) % kRunqSize].load(std::memory_order_relaxed);
      thief->runq[(t + i) % kRunqSize].store(g, std::memory_order_relaxed);
    }
    if (!victim->runq_head.compare_exchange_weak(h, h + n, std::memory_order_acq_rel)) continue;
    n--;
    G* g = thief->runq[(t + n) % kRunqSize].load(std::memory_order_relaxed);
    if (n) thief->runq_tail.store(t + n, std::memory_order_release);
    return g;
  }
}

// ---- global run queue ------------------------------------------------------

// Takes one G for the caller and moves up to a fair share into p's queue
// (after dropping the lock: a full local queue spills back into the global
// one, which takes the lock again).
G* global_get(P* p) {
  if (sched.gq_size.load(std::memory_order_relaxed) == 0) return nullptr;
  G* batch;
  {
    SpinLockGuard l(sched.lock);
    int32_t size = sched.gq_size.load(std::memory_order_relaxed);
    if (size == 0) return nullptr;
    int32_t n = size / sched.nprocs + 1;
    if (n > size) n = size;
    if (n > int32_t(kRunqSize / 2)) n = kRunqSize / 2;
    sched.gq_size.fetch_sub(n, std::memory_order_relaxed);
    batch = sched.gq_head;
    G* last = batch;
    for (int32_t i = 1; i < n; i++) last = last->next;
    sched.gq_head = last->next;
    if (!sched.gq_head) sched.gq_tail = nullptr;
    last->next = nullptr;
  }
  G* g = batch;
  for (G* x = g->next; x;) {
    G* next = x->next;
    runq_put(p, x, false);
    x = next;
  }
  return g;
}

// ---- finding work -----------------------------------------------------------

}  // namespace

bool any_work() {
  if (sched.gq_size.load(std::memory_order_acquire) || rt_waiting()) return true;
  for (int i = 0, n = sched.nallp.load(std::memory_order_acquire); i < n; i++)
    if (!runq_empty(sched.allp[i])) return true;
  return false;
}

int64_t earliest_timer() {
  int64_t earliest = INT64_MAX;
  for (int i = 0, n = sched.nallp.load(std::memory_order_acquire); i < n; i++) {
    int64_t t = sched.allp[i]->timer_next.load(std::memory_order_acquire);
    if (t < earliest) earliest = t;
  }
  return earliest;
}

namespace {

// A G wired to another M runs only there: give that M this P and the G.
bool hand_to_locked_m(M* m, G* g) {
  M* lm = g->locked_m;
  if (!lm || lm == m) return false;
  P* p = m->p;
  m->p = nullptr;
  p->m = nullptr;
  lm->nextp = p;
  lm->park_word.store(1, std::memory_order_release);
  sys::futex_wake(reinterpret_cast<uint32_t*>(&lm->park_word), 1);
  return true;
}

G* find_runnable_scan(M* m, bool take_runnext);

// Non-blocking search: local queue, global queue, other Ps. Never sleeps and
// never runs timers (the caller may hold a lock a timer callback needs).
// Returns nullptr with m->p == nullptr when it handed the P to a wired G.
G* find_runnable_fast(M* m, bool take_runnext) {
  G* g = find_runnable_scan(m, take_runnext);
  if (g && hand_to_locked_m(m, g)) return nullptr;
  return g;
}

G* find_runnable_scan(M* m, bool take_runnext) {
  P* p = m->p;
  uint32_t tick = p->schedtick.load(std::memory_order_relaxed) + 1;
  p->schedtick.store(tick, std::memory_order_relaxed);
  if (G* g = rt_get()) return g;  // real-time Gs first (core/prio_runq.h)
  if (tick % kGlobalQueueTick == 0)
    if (G* g = global_get(p)) return start_slice(p), g;
  if (G* g = runnext_pop(p)) return g;
  start_slice(p);
  if (G* g = runq_pop(p)) return g;
  if (G* g = global_get(p)) return g;
  int n = sched.nallp.load(std::memory_order_acquire);
  if (n == 1) return nullptr;
  for (int round = 0; round < kStealRounds; round++) {
    bool last = take_runnext && round == kStealRounds - 1;
    int start = int(tick % uint32_t(n));
    for (int i = 0; i < n; i++) {
      P* victim = sched.allp[(start + i) % n];
      if (victim == p) continue;
      if (G* g = runq_steal(p, victim, last)) return stat_add(kStatSteals), g;
    }
  }
  return nullptr;
}

bool timers_due(P* p, int64_t* now) {
  int64_t next = p->timer_next.load(std::memory_order_acquire);
  if (next == INT64_MAX) return false;
  *now = sys::now_ns();
  return next <= *now;
}

// Runs due timers of every P into m's P; returns the earliest pending one.
int64_t run_all_timers() {
  int64_t now = sys::now_ns();
  int64_t earliest = INT64_MAX;
  for (int i = 0, n = sched.nallp.load(std::memory_order_acquire); i < n; i++) {
    int64_t next = run_timers(sched.allp[i], now);
    if (next < earliest) earliest = next;
  }
  return earliest;
}

// One M at a time waits in the netpoller instead of sleeping, while Gs
// wait for descriptors (Go's findrunnable). The flag holds the pid of the
// process whose M waits there: a fork child inherits the parent's, stale.
// Returns false when the M is to exit (stopm).
std::atomic<int> netpoll_blocker{0};

bool wait_idle(M* m, int64_t deadline_ns) {
  if (netpoll_has_waiters()) {
    int self = int(sys::call6(SYS_getpid));
    int cur = netpoll_blocker.load(std::memory_order_relaxed);
    if (cur != self && netpoll_blocker.compare_exchange_strong(cur, self, std::memory_order_acquire)) {
      // Gs it readies go to the global queue (no P here) and wake an M.
      netpoll_poll(deadline_ns);
      netpoll_blocker.store(0, std::memory_order_release);
      return true;
    }
  }
  return stopm(m, deadline_ns) != StopResult::kExit;
}

// Blocking search, on g0: returns a G to run with m holding a P, or
// nullptr when the M is to exit (an idle M above the reserve).
G* find_runnable(M* m) {
  // A timer came due but every P was busy: their Ms run it when they next
  // schedule; look again a little later rather than spin.
  constexpr int64_t kBusyRetryNs = 1000000;
  int64_t not_before = 0;
  for (;;) {
    if (!m->p && any_work()) {  // a new M, or one whose P was given away
      SpinLockGuard l(sched.lock);
      if (P* p = pidle_get_locked()) acquirep(m, p);
    }
    if (!m->p) {
      // A spinning M (made or woken for work) that found no P to take: it
      // is not looking for work any more.
      if (m->spinning) {
        m->spinning = false;
        sched.nmspinning.fetch_sub(1, std::memory_order_acq_rel);
      }
      int64_t earliest = earliest_timer();
      if (earliest < not_before) earliest = not_before;
      if (!wait_idle(m, earliest)) return nullptr;  // the M exits
      if (!m->p) {  // timed out or polled: take an idle P to run what is due
        SpinLockGuard l(sched.lock);
        P* p = pidle_get_locked();
        if (!p) {
          not_before = sys::now_ns() + kBusyRetryNs;
          continue;
        }
        acquirep(m, p);
      }
    }
    run_all_timers();
    if (G* g = find_runnable_fast(m, true)) {
      stop_spinning(m);
      m->idle_since = 0;
      return g;
    }
    // Before giving up the P: descriptors that became ready (their Gs come
    // to this P).
    if (netpoll_has_waiters() && netpoll_poll(0) > 0) continue;
    if (!m->p) {  // handed to a wired G's M
      stop_spinning(m);
      continue;
    }
    // Nothing to do: release the P, stop spinning, then look once more so a
    // G readied by someone who saw us spinning is not stranded (Go's
    // "delicate dance" in findrunnable).
    P* p = m->p;
    m->p = nullptr;
    {
      SpinLockGuard l(sched.lock);
      pidle_put_locked(p);
    }
    bool was_spinning = m->spinning;
    if (was_spinning) {
      m->spinning = false;
      sched.nmspinning.fetch_sub(1, std::memory_order_acq_rel);
    }
    if (any_work()) {
      SpinLockGuard l(sched.lock);
      if (P* q = pidle_get_locked()) {
        acquirep(m, q);
        if (was_spinning) {
          m->spinning = true;
          sched.nmspinning.fetch_add(1, std::memory_order_acq_rel);
        }
      }
    }
  }
}

void switch_to(M* m, G* from, G* to) {
  if (cpu_clocks_on()) {
    int64_t now = cpu_ticks();  // one clock read ends from's run, starts to's
    cpu_stop(from, now);
    cpu_start(to, now);
  }
  to->m = m;
  if (!to->is_g0) to->status.store(kGRunning, std::memory_order_relaxed);
  if (m->p) note_running(m->p, to);
  weft_switch(&from->sp, to->sp, to->tcb);
}

void fin_requeue(G* prev, void*) {
  prev->status.store(kGRunnable, std::memory_order_release);
  if (rt_put(prev, false)) return;
  if (P* p = prev->m->p) {
    runq_put(p, prev, false);
    return;
  }
  // The yield found a wired G and handed it this P (hand_to_locked_m).
  prev->next = nullptr;
  global_put_batch(prev, prev, 1);
  wakep();
}

}  // namespace

// ---- public operations ----------------------------------------------------

void finish_switch(M* m) {
  if (FinishFn fn = m->fin_fn) {
    m->fin_fn = nullptr;
    fn(m->fin_prev, m->fin_arg);
  }
}

namespace {
void fin_to_global_queue(G* prev, void*);

// A wired G gives up its P but keeps its M, which sleeps on the G's own stack
// until a scheduler that picks the G hands it a P (hand_to_locked_m).
void wired_park(G* self, FinishFn fin, void* arg) {
  M* m = self->m;
  if (P* p = m->p) {
    m->p = nullptr;
    p->m = nullptr;
    handoffp(p);
  }
  m->park_word.store(0, std::memory_order_relaxed);
  if (cpu_clocks_on()) cpu_stop(self, cpu_ticks());
  fin(self, arg);
  while (!m->park_word.load(std::memory_order_acquire))
    sys::futex_wait(reinterpret_cast<uint32_t*>(&m->park_word), 0, nullptr);
  if (cpu_clocks_on()) cpu_start(self, cpu_ticks());
  acquirep(m, m->nextp);
  m->nextp = nullptr;
  note_running(m->p, self);
  self->status.store(kGRunning, std::memory_order_relaxed);
}

// A resumed G's own per-thread kernel state and signals: its alternate
// signal stack on this M, then the signals it may take (core/signal.h).
inline void after_resume(G* self) {
  if (self->alt_sp != self->m->alt_sp) altstack_switch_in(self);
  if (self->interrupt_req.load(std::memory_order_relaxed) || has_deliverable(self))
    deliver_pending(self);
}
}  // namespace

void switch_away(G* self, FinishFn fin, void* arg) {
  // Parking inside a blocking call (a libc function that the call wraps
  // came back into weft): the P must be really held again first.
  if (self->status.load(std::memory_order_relaxed) == kGSyscall) exit_blocking_syscall();
  if (self->locked_m) {
    // A wired G that yields (or is preempted) gives its P to the others
    // too: it waits on the global queue, where any M finds it and hands it
    // a P (its P's queue is no longer its own).
    if (fin == fin_requeue) fin = fin_to_global_queue;
    wired_park(self, fin, arg);
    after_resume(self);
    return;
  }
  M* m = self->m;
  m->fin_fn = fin;
  m->fin_arg = arg;
  m->fin_prev = self;
  int64_t now;
  G* next = nullptr;
  if (m->p && !m->retire && !timers_due(m->p, &now)) next = find_runnable_fast(m, false);
  switch_to(m, self, next ? next : &m->g0);
  finish_switch(self->m);
  after_resume(self);
}

[[noreturn]] void exit_current(G* self, FinishFn fin, void* arg) {
  if (self->locked_m) {
    // M0 is the process's main task and never ends.
    if ((self->wired_for & kWireTrace) && self->m != &all_ms[0]) self->m->retire = true;
    self->locked_m = nullptr;
    self->wired_for = 0;
  }
  switch_away(self, fin, arg);
  __builtin_trap();
}

namespace {
// Puts g (which nobody else can ready) on the caller's run queue.
void enqueue(G* g, bool next) {
  g->status.store(kGRunnable, std::memory_order_relaxed);
  if (rt_put(g, false)) {
    wakep();
    return;
  }
  // A G in a system call (a signal handler runs on it) does not own its
  // P's queue any more: the monitor may have given the P away.
  G* self = current_g();
  M* m = self ? self->m : nullptr;
  if (m && m->p && self->status.load(std::memory_order_relaxed) != kGSyscall) {
    runq_put(m->p, g, next);
  } else {
    g->next = nullptr;
    global_put_batch(g, g, 1);
  }
  wakep();
}
}  // namespace

void ready(G* g, bool next) {
  // The waiter may still be finishing its switch (see sched.h): while it
  // runs, wait; while its next context parks it, leave it to that context
  // (park_prev), which may be the very code a signal handler interrupted.
  for (;;) {
    uint32_t s = g->status.load(std::memory_order_acquire);
    if (s == kGRunning) {
      __builtin_ia32_pause();
      continue;
    }
    if (s == kGParking) {
      if (g->status.compare_exchange_weak(s, kGParkReadied, std::memory_order_acq_rel)) return;
      continue;
    }
    break;
  }
  enqueue(g, next);
}

void yield_current(G* self) { switch_away(self, fin_requeue, nullptr); }

namespace {
void fin_to_global_queue(G* prev, void*) {
  prev->status.store(kGRunnable, std::memory_order_release);
  if (!rt_put(prev, false)) {
    prev->next = nullptr;
    global_put_batch(prev, prev, 1);
  }
  wakep();
}
}  // namespace

void yield_to_global_queue(G* self) { switch_away(self, fin_to_global_queue, nullptr); }

uint64_t begin_wait(G* self) {
  uint64_t seq = (self->wait_state.load(std::memory_order_relaxed) >> 2) + 1;
  self->wait_state.store(seq << 2 | kWaitPending, std::memory_order_release);
  return seq;
}

bool complete_wait(G* g, uint64_t seq, WaitResult r) {
  uint64_t expected = seq << 2 | kWaitPending;
  return g->wait_state.compare_exchange_strong(expected, seq << 2 | r, std::memory_order_acq_rel);
}

namespace {
// Parks prev. While it is kGParking, a waker's ready() hands it back here
// (kGParkReadied) instead of queuing it, and a signal sender (post in
// core/signal.cpp) counts it as waiting; a signal sent while prev was on its
// way here found it running, so prev looks for one now. A wait whose timer
// could not be armed times out at once (never a hang). Whoever ends the
// wait here readies prev through the same hand-off. Once it is kGWaiting,
// prev belongs to whoever completes its wait: it may run, exit and have its
// stack unmapped, so nothing here touches it after that.
void park_prev(G* prev, void* lock, bool timer_failed) {
  prev->status.store(kGParking, std::memory_order_seq_cst);
  if (lock) static_cast<SpinLock*>(lock)->unlock();
  if (timer_failed) {
    if (complete_wait(prev, prev->timer.seq, kWaitTimedOut)) fire_timeout(prev);
  } else if (should_interrupt(prev)) {
    interrupt_wait(prev);
  }
  uint32_t parking = kGParking;
  if (!prev->status.compare_exchange_strong(parking, kGWaiting, std::memory_order_seq_cst))
    enqueue(prev, false);  // kGParkReadied: its waker left it to us
}

void fin_park(G* prev, void* lock) { park_prev(prev, lock, false); }
void fin_park_timed_out(G* prev, void* lock) { park_prev(prev, lock, true); }
}  // namespace

WaitResult park_until(G* self, uint64_t seq, int64_t deadline_ns, SpinLock* unlock,
                      void (*on_timeout)(G*)) {
  // A signal handler parking on a G in a blocking call: the P may have been
  // retaken; never run other Gs on it.
  if (self->status.load(std::memory_order_relaxed) == kGSyscall) take_p_back_without_switch(self);
  self->status.store(kGRunning, std::memory_order_relaxed);
  FinishFn fin = fin_park;
  self->timer.on_timeout = on_timeout;  // also unlinks on interruption
  // A G that parks inside a blocking call holds no P; any heap will do.
  P* heap = self->m->p ? self->m->p : sched.allp[0];
  if (deadline_ns && !timer_add(heap, self, deadline_ns, seq, on_timeout))
    fin = fin_park_timed_out;
  switch_away(self, fin, unlock);
  return WaitResult(self->wait_state.load(std::memory_order_acquire) & 3);
}

void m_loop(M* m) {
  for (;;) {
    finish_switch(m);
    if (m->retire) {
      retire_m(m);
      return;
    }
    if (!m->p && m->nextp) {
      acquirep(m, m->nextp);
      m->nextp = nullptr;
    }
    G* g = find_runnable(m);
    if (!g) return;
    switch_to(m, &m->g0, g);
  }
}

namespace {
char* m0_g0_top = nullptr;  // where M0's g0 starts (sched_init, restart_m0_g0)
}

void restart_m0_g0() { all_ms[0].g0.sp = make_context(m0_g0_top, &all_ms[0].g0); }

void sched_init(int nprocs, int max_ms, G* main_g, void* g0_tcb, char* g0_stack_top) {
  sched.nprocs = nprocs;
  sched.maxm = max_ms;
  P* ps = all_ps;
  for (int i = 0; i < nprocs; i++) {
    ps[i].id = i;
    sched.allp[i] = &ps[i];
  }
  sched.nallp.store(nprocs, std::memory_order_release);
  for (int i = nprocs - 1; i >= 1; i--) pidle_put_locked(&ps[i]);
  M* m0 = &all_ms[0];
  sched.mslots = 1;
  sched.mcount.store(1, std::memory_order_relaxed);
  m0->ktid = sys::gettid();
  m0->native_robust_head = static_cast<char*>(main_g->tcb) + tcb_off::kRobustHead;
  m0->g0.is_g0 = true;
  m0->g0.m = m0;
  m0->g0.tcb = g0_tcb;
  m0_g0_top = g0_stack_top;
  restart_m0_g0();
  tcb_field<G*>(g0_tcb, tcb_off::kCurrentG) = &m0->g0;
  acquirep(m0, &ps[0]);
  register_fork_handler();
  main_g->m = m0;
  main_g->status.store(kGRunning, std::memory_order_relaxed);
}

}  // namespace weft

extern "C" [[noreturn]] void weft_context_start(void*) {
  using namespace weft;
  G* g = current_g();
  if (g->is_g0) {
    // M0's g0 has a TCB of weft's making: a signal handler of the program
    // may run on it (a process-directed signal landing on an idle M), and
    // libc's per-thread set-up (ctype tables) must be there.
    tls_enter_new_g(g->tcb);
    m_loop(g->m);  // M0 never exits (stopm)
    __builtin_trap();
  }
  finish_switch(g->m);
  after_resume(g);  // signals sent before its first instruction
  g_entry_hook(g);
  __builtin_trap();
}
