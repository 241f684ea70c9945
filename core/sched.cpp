// core/sched.cpp — run queues, work finding, switching, idle Ms and spinning.
// The model and its invariants are stated in core/sched.h.
#include "core/sched.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "core/blocking.h"
#include "core/context.h"
#include "core/netpoll.h"
#include "core/signal.h"
#include "core/real.h"
#include "core/sys.h"
#include "core/timer_heap.h"
#include "core/tls.h"

namespace weft {

Sched sched;
M all_ms[kMaxMs];
void (*g_entry_hook)(G* g) = nullptr;

namespace {

constexpr int kStealRounds = 4;
constexpr uint32_t kGlobalQueueTick = 61;
constexpr size_t kMStackSize = 256 * 1024;

// ---- local run queue (owner: the P's M; thieves: any M) -----------------

void runq_put(P* p, G* g, bool next);

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
    if (sched.nprocs == 1) {  // no other P, so no thief: skip the CAS
      p->runq_head.store(h + 1, std::memory_order_release);
      return g;
    }
    if (p->runq_head.compare_exchange_weak(h, h + 1, std::memory_order_release)) return g;
  }
}

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

// ---- idle Ps and Ms (under sched.lock) ---------------------------------

void pidle_put_locked(P* p) {
  p->status.store(kPIdle, std::memory_order_relaxed);
  p->m = nullptr;
  p->idle_next = sched.pidle;
  sched.pidle = p;
  sched.npidle.fetch_add(1, std::memory_order_release);
}

P* pidle_get_locked() {
  P* p = sched.pidle;
  if (!p) return nullptr;
  sched.pidle = p->idle_next;
  sched.npidle.fetch_sub(1, std::memory_order_release);
  p->status.store(kPRunning, std::memory_order_relaxed);
  return p;
}

M* midle_get_locked() {
  M* m = sched.midle;
  if (!m) return nullptr;
  sched.midle = m->idle_next;
  return m;
}

void midle_remove_locked(M* m) {
  for (M** pp = &sched.midle; *pp; pp = &(*pp)->idle_next) {
    if (*pp == m) {
      *pp = m->idle_next;
          return;
    }
  }
}

void acquirep(M* m, P* p) {
  m->p = p;
  p->m = m;
  p->status.store(kPRunning, std::memory_order_relaxed);
}

// ---- Ms -------------------------------------------------------------------

void* m_thread_main(void* arg) {
  M* m = static_cast<M*>(arg);
  m->ktid = sys::gettid();
  m->g0.tcb = thread_pointer();
  m->native_robust_head = static_cast<char*>(m->g0.tcb) + tcb_off::kRobustHead;
  m->g0.m = m;
  m->g0.is_g0 = true;
  tcb_field<G*>(m->g0.tcb, tcb_off::kCurrentG) = &m->g0;
  m_loop(m);
}

// Starts a new kernel thread that begins with p (and spinning, if asked).
bool newm(P* p, bool spinning) {
  int id = sched.mcount.fetch_add(1, std::memory_order_relaxed);
  if (id >= kMaxMs) {
    sched.mcount.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  M* m = &all_ms[id];
  m->id = id;
  m->nextp = p;
  m->spinning = spinning;
  using CreateFn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static CreateFn real_create = real<CreateFn>("pthread_create");
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  // glibc carves the static TLS out of the requested size (EINVAL if it
  // does not fit), and a program's may be larger than kMStackSize.
  pthread_attr_setstacksize(&attr, kMStackSize + tls_layout.static_size);
  pthread_t t;
  int err = real_create(&t, &attr, m_thread_main, m);
  pthread_attr_destroy(&attr);
  return err == 0;
}

// Hands p to an idle or new M (p == nullptr: take an idle P, if any).
// An idle M is popped and handed its P under sched.lock, so an M whose
// sleep times out at that moment (stopm) sees that it was chosen.
void startm(P* p, bool spinning) {
  sched.lock.lock();
  if (!p) {
    p = pidle_get_locked();
    if (!p) {
      sched.lock.unlock();
      if (spinning) sched.nmspinning.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
  }
  M* m = midle_get_locked();
  if (m) {
    m->spinning = spinning;
    m->nextp = p;
    m->park_word.store(1, std::memory_order_release);
  }
  sched.lock.unlock();
  if (m) {
    sys::futex_wake(reinterpret_cast<uint32_t*>(&m->park_word), 1);
    return;
  }
  // A new kernel thread comes from glibc's pthread_create, which allocates:
  // not on a g0, which holds a P and must not wait for the allocator's
  // (weft) mutexes. A g0 only gets here through wakep(), and its own M is
  // about to look for the work that woke it.
  G* self = current_g();
  if ((!self || !self->is_g0) && newm(p, spinning)) return;
  // No kernel thread to be had: give the P back; the Gs will run when an
  // M frees up.
  SpinLockGuard l(sched.lock);
  pidle_put_locked(p);
  if (spinning) sched.nmspinning.fetch_sub(1, std::memory_order_relaxed);
}

void wakep() {
  if (sched.npidle.load(std::memory_order_acquire) == 0) return;
  int32_t expected = 0;
  if (!sched.nmspinning.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) return;
  startm(nullptr, true);
}

void stop_spinning(M* m) {
  if (!m->spinning) return;
  m->spinning = false;
  // The last spinner to find work makes sure another looks for more.
  if (sched.nmspinning.fetch_sub(1, std::memory_order_acq_rel) == 1) wakep();
}

bool any_work() {
  if (sched.gq_size.load(std::memory_order_acquire)) return true;
  for (int i = 0; i < sched.nprocs; i++)
    if (!runq_empty(sched.allp[i])) return true;
  return false;
}

// ---- finding work -----------------------------------------------------------

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
  if (++p->schedtick % kGlobalQueueTick == 0)
    if (G* g = global_get(p)) return start_slice(p), g;
  if (G* g = runnext_pop(p)) return g;
  start_slice(p);
  if (G* g = runq_pop(p)) return g;
  if (G* g = global_get(p)) return g;
  int n = sched.nprocs;
  if (n == 1) return nullptr;
  for (int round = 0; round < kStealRounds; round++) {
    bool last = take_runnext && round == kStealRounds - 1;
    int start = int(p->schedtick % uint32_t(n));
    for (int i = 0; i < n; i++) {
      P* victim = sched.allp[(start + i) % n];
      if (victim == p) continue;
      if (G* g = runq_steal(p, victim, last)) return g;
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
int64_t run_all_timers(M* m) {
  int64_t now = sys::now_ns();
  int64_t earliest = INT64_MAX;
  for (int i = 0; i < sched.nprocs; i++) {
    int64_t next = run_timers(sched.allp[i], now);
    if (next < earliest) earliest = next;
  }
  return earliest;
}

// Sleeps the M (holding no P) until it is handed a P or until deadline_ns.
void stopm(M* m, int64_t deadline_ns) {
  {
    SpinLockGuard l(sched.lock);
    m->park_word.store(0, std::memory_order_relaxed);
    m->idle_next = sched.midle;
    sched.midle = m;
  }
  for (;;) {
    if (m->park_word.load(std::memory_order_acquire)) break;
    timespec ts;
    if (deadline_ns != INT64_MAX) ts = sys::ns_to_timespec(deadline_ns);
    long r = sys::futex_wait(reinterpret_cast<uint32_t*>(&m->park_word), 0,
                             deadline_ns == INT64_MAX ? nullptr : &ts);
    if (r == -ETIMEDOUT) {
      SpinLockGuard l(sched.lock);
      if (m->park_word.load(std::memory_order_acquire)) break;  // handed a P meanwhile
      midle_remove_locked(m);
      return;
    }
  }
  m->p = nullptr;
  acquirep(m, m->nextp);
  m->nextp = nullptr;
}

// Temporary netpoll integration (until the scheduler's own): an M that
// would sleep while Gs wait for descriptors blocks in the netpoller instead,
// one M at a time. Returns whether it polled. The flag holds the pid of the
// process whose M blocks: a fork child inherits the parent's, stale.
std::atomic<int> netpoll_blocker{0};
bool poll_instead_of_sleeping(int64_t until_ns) {
  if (!netpoll_has_waiters()) return false;
  int self = int(sys::call6(SYS_getpid));
  int cur = netpoll_blocker.load(std::memory_order_acquire);
  if (cur == self || !netpoll_blocker.compare_exchange_strong(cur, self)) return false;
  netpoll_poll(until_ns);
  netpoll_blocker.store(0, std::memory_order_release);
  return true;
}

// Blocking search, on g0: returns a G to run with m holding a P.
G* find_runnable(M* m) {
  // A timer came due but every P was busy: their Ms run it when they next
  // schedule; look again a little later rather than spin.
  constexpr int64_t kBusyRetryNs = 1000000;
  int64_t not_before = 0;
  for (;;) {
    if (!m->p) {
      int64_t earliest = INT64_MAX;
      for (int i = 0; i < sched.nprocs; i++) {
        int64_t t = sched.allp[i]->timer_next.load(std::memory_order_acquire);
        if (t < earliest) earliest = t;
      }
      if (earliest < not_before) earliest = not_before;
      if (!poll_instead_of_sleeping(earliest)) stopm(m, earliest);
      if (!m->p) {  // timed out (or polled): take an idle P to run what is due
        SpinLockGuard l(sched.lock);
        P* p = pidle_get_locked();
        if (!p) {
          not_before = sys::now_ns() + kBusyRetryNs;
          continue;
        }
        acquirep(m, p);
      }
    }
    run_all_timers(m);
    if (netpoll_has_waiters()) netpoll_poll(0);
    if (G* g = find_runnable_fast(m, true)) {
      stop_spinning(m);
      return g;
    }
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
  to->m = m;
  if (!to->is_g0) to->status.store(kGRunning, std::memory_order_relaxed);
  weft_switch(&from->sp, to->sp, to->tcb);
}

void fin_requeue(G* prev, void*) {
  prev->status.store(kGRunnable, std::memory_order_release);
  runq_put(prev->m->p, prev, false);
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
void release_p(M* m);

// A wired G gives up its P but keeps its M, which sleeps on the G's own stack
// until a scheduler that picks the G hands it a P (hand_to_locked_m).
void wired_park(G* self, FinishFn fin, void* arg) {
  M* m = self->m;
  if (m->p) release_p(m);
  m->park_word.store(0, std::memory_order_relaxed);
  fin(self, arg);
  while (!m->park_word.load(std::memory_order_acquire))
    sys::futex_wait(reinterpret_cast<uint32_t*>(&m->park_word), 0, nullptr);
  acquirep(m, m->nextp);
  m->nextp = nullptr;
  self->status.store(kGRunning, std::memory_order_relaxed);
}
}  // namespace

void switch_away(G* self, FinishFn fin, void* arg) {
  if (self->locked_m) {
    if (fin == fin_requeue) {  // a wired G yields its kernel thread instead
      sys::call6(SYS_sched_yield);
      return;
    }
    wired_park(self, fin, arg);
    if (self->pending_signals.load(std::memory_order_relaxed)) raise_pending_signals(self);
    return;
  }
  M* m = self->m;
  m->fin_fn = fin;
  m->fin_arg = arg;
  m->fin_prev = self;
  int64_t now;
  G* next = nullptr;
  if (m->p && !timers_due(m->p, &now)) next = find_runnable_fast(m, false);
  switch_to(m, self, next ? next : &m->g0);
  finish_switch(self->m);
  if (self->pending_signals.load(std::memory_order_relaxed)) raise_pending_signals(self);
}

[[noreturn]] void exit_current(G* self, FinishFn fin, void* arg) {
  switch_away(self, fin, arg);
  __builtin_trap();
}

namespace {
// Puts g (which nobody else can ready) on the caller's run queue.
void enqueue(G* g, bool next) {
  g->status.store(kGRunnable, std::memory_order_relaxed);
  M* m = current_m();
  if (m && m->p) {
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
  } else if (prev->pending_signals.load(std::memory_order_seq_cst)) {
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

// ---- blocking system calls (core/blocking.h) ------------------------------

namespace {
void fin_to_global_queue(G* prev, void*) {
  prev->status.store(kGRunnable, std::memory_order_release);
  prev->next = nullptr;
  global_put_batch(prev, prev, 1);
  wakep();
}
}  // namespace

namespace {
// Gives up m's P: to another M if anything may need it (work, or timers no
// sleeping M knows of), else to the idle list. Starting an M may allocate
// and so park the calling G (see enter_blocking_syscall).
void release_p(M* m) {
  P* p = m->p;
  m->p = nullptr;
  p->m = nullptr;
  if (!runq_empty(p) || sched.gq_size.load(std::memory_order_acquire) ||
      p->timer_next.load(std::memory_order_acquire) != INT64_MAX) {
    p->status.store(kPRunning, std::memory_order_relaxed);
    startm(p, false);
  } else {
    SpinLockGuard l(sched.lock);
    pidle_put_locked(p);
  }
}
}  // namespace

void enter_blocking_syscall() {
  G* self = current_g();
  if (!self || self->is_g0) return;
  // If releasing the P parks this G, it resumes on another M holding
  // another P: release that one too, until the G runs without a P.
  while (P* p = self->m->p) {
    self->syscall_p = p;
    self->status.store(kGSyscall, std::memory_order_relaxed);
    release_p(self->m);
  }
}

void exit_blocking_syscall() {
  G* self = current_g();
  if (!self || self->is_g0) return;
  M* m = self->m;
  P* old = self->syscall_p;
  self->syscall_p = nullptr;
  self->status.store(kGRunning, std::memory_order_relaxed);
  // Parked inside the call (e.g. in the allocator) and resumed on an M that
  // holds a P: nothing to get back.
  if (m->p) return;
  P* p = nullptr;
  {
    SpinLockGuard l(sched.lock);
    // The same P if it is still idle (warm caches), else any idle one.
    for (P** pp = &sched.pidle; *pp; pp = &(*pp)->idle_next) {
      if (*pp == old) {
        *pp = old->idle_next;
        old->idle_next = sched.pidle;
        sched.pidle = old;
        break;
      }
    }
    p = pidle_get_locked();
  }
  if (p) {
    acquirep(m, p);
    return;
  }
  // No P: queue self and put this M to sleep.
  switch_away(self, fin_to_global_queue, nullptr);
}

[[noreturn]] void m_loop(M* m) {
  for (;;) {
    finish_switch(m);
    if (!m->p && m->nextp) {
      acquirep(m, m->nextp);
      m->nextp = nullptr;
    }
    G* g = find_runnable(m);
    switch_to(m, &m->g0, g);
  }
}

void sched_init(int nprocs, G* main_g, void* g0_tcb, char* g0_stack_top) {
  sched.nprocs = nprocs;
  static P ps[kMaxProcs];
  for (int i = 0; i < nprocs; i++) {
    ps[i].id = i;
    sched.allp[i] = &ps[i];
  }
  for (int i = nprocs - 1; i >= 1; i--) pidle_put_locked(&ps[i]);
  M* m0 = &all_ms[0];
  sched.mcount.store(1, std::memory_order_relaxed);
  m0->ktid = sys::gettid();
  m0->native_robust_head = static_cast<char*>(main_g->tcb) + tcb_off::kRobustHead;
  m0->g0.is_g0 = true;
  m0->g0.m = m0;
  m0->g0.tcb = g0_tcb;
  m0->g0.sp = make_context(g0_stack_top, &m0->g0);
  tcb_field<G*>(g0_tcb, tcb_off::kCurrentG) = &m0->g0;
  acquirep(m0, &ps[0]);
  main_g->m = m0;
  main_g->status.store(kGRunning, std::memory_order_relaxed);
}

}  // namespace weft

extern "C" [[noreturn]] void weft_context_start(void*) {
  using namespace weft;
  G* g = current_g();
  if (g->is_g0) m_loop(g->m);
  finish_switch(g->m);
  g_entry_hook(g);
  __builtin_trap();
}
