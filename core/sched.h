// core/sched.h — Ps, Ms and the scheduler (Go's G/P/M model).
//
// Model. A P is the right to run Gs: it owns a local run queue (256 slots +
// runnext), a timer heap and a cache of free stack blocks. An M is a kernel
// thread (made with glibc's pthread_create; M0 is the process's main thread)
// and runs Gs only while it holds a P. Each M has a g0: a scheduler context
// with its own stack and TCB, where it looks for work and sleeps.
// Real-time Gs (SCHED_FIFO, SCHED_RR) wait in one process-wide queue ordered
// by priority instead, which every P looks at first (core/prio_runq.h).
//
// Switching. A G gives up its M with switch_away(fin, arg): the scheduler
// picks the next G (or the M's g0) and switches straight to it; the *next*
// context then runs fin(prev, arg) (finish_switch) before anything else.
// That is how a G releases the lock guarding the list it waits on, requeues
// itself on yield, or frees its own stack on exit: only after its registers
// are saved and no code runs on its stack any more. Every resumption point
// (a returning switch_away, a new G, the g0 loop) calls finish_switch first.
//
// Invariants.
// - A G in a run queue has status kGRunnable and a saved context.
// - ready(g) may be called as soon as the waker can see g in a wait list; it
//   spins while g still finishes its switch (status kGRunning -> kGParking ->
//   kGWaiting is done by the next context's finish_switch).
// - Once a G is kGWaiting, only whoever completes its wait (complete_wait)
//   may touch it: it may run, exit and have its stack unmapped.
// - Sched::lock guards the global queue, the idle P and idle M lists. It is
//   the innermost runtime lock: nothing is acquired while it is held.
// - Spinning Ms (looking for work without a G) are counted in nmspinning;
//   ready() wakes an idle P only when nobody spins (wakep).
// - P hand-off between Ms: a P changes M only through the idle list or an
//   explicit hand-off (startm / blocking syscalls), never while held. A P
//   whose M is in a system call (kPSyscall) is still held: only a CAS from
//   kPSyscall takes it away, by the M itself on return (exit_blocking_syscall)
//   or by the monitor (core/handoff.cpp).
// - Spare Ps (core/monitor.cpp): while an M is stuck in the kernel where weft
//   cannot see it (an inline system call, a glibc-internal lock) holding a
//   P, the monitor lends a spare P so that P's Gs still run; the stuck P is
//   never touched but through its thieves' side. Every loop over Ps runs to
//   sched.nallp (the Ps and the spares ever made), never to nprocs.
#pragma once
#include <atomic>
#include <stdint.h>

#include "core/g.h"
#include "core/self.h"
#include "core/spinlock.h"

namespace weft {

inline constexpr int kMaxProcs = 256;
inline constexpr int kMaxAllP = 2 * kMaxProcs;   // Ps plus spares
inline constexpr int kMaxMs = 10000;
inline constexpr uint32_t kRunqSize = 256;
inline constexpr int64_t kTimeSliceNs = 10 * 1000 * 1000;

enum PStatus : uint32_t { kPIdle = 0, kPRunning = 1, kPSyscall = 2, kPSpareIdle = 3 };

struct P {
  int id = 0;
  std::atomic<uint32_t> status{kPIdle};
  M* m = nullptr;
  P* idle_next = nullptr;
  bool spare = false;             // lent by the monitor (see top)
  // Progress counters the monitor samples (written by the owner only).
  std::atomic<uint32_t> schedtick{0};
  std::atomic<uint32_t> syscalltick{0};
  // 1 << 32 | schedtick: the monitor asked the M to preempt the G it has
  // run since that tick (core/preempt.cpp).
  std::atomic<uint64_t> preempt_at{0};

  // Time slice (owner only). A G taken from runnext inherits the slice of
  // the G that readied it, so a pair that keeps waking each other shares
  // one slice; once it is spent the woken G goes to the back of the queue
  // (Go's inheritTime). slice_start_ns is read lazily: 0 until the first
  // inherited pick of the slice reads the clock.
  uint32_t inherited_picks = 0;
  int64_t slice_start_ns = 0;

  // The real-time value (G::rt) of the G its M runs, and when that G's
  // SCHED_RR slice began (core/prio_runq.h): written by the owner, read by
  // anyone deciding on preemption.
  std::atomic<uint32_t> running_rt{0};
  std::atomic<int64_t> rr_since_ns{0};

  // Local run queue: the owner pushes at tail and pops at head; thieves CAS
  // the head (Go's lock-free ring).
  std::atomic<uint32_t> runq_head{0};
  std::atomic<uint32_t> runq_tail{0};
  std::atomic<G*> runq[kRunqSize];
  std::atomic<G*> runnext{nullptr};

  // Timers (core/timer.cpp).
  SpinLock timer_lock;
  G** timer_heap = nullptr;
  int32_t timer_len = 0;
  int32_t timer_cap = 0;
  std::atomic<int64_t> timer_next{INT64_MAX};

  // The allocator's cache of this P (preload/malloc.cpp): an id, and
  // whether a G is using it (it may park inside the allocator).
  uint32_t alloc_cache = 0;
  std::atomic<bool> alloc_cache_busy{false};

  // Free Gs whose stack block and TCB are still warm (core/stack.cpp).
  G* free_gs = nullptr;
  int32_t nfree = 0;
};

using FinishFn = void (*)(G* prev, void* arg);

struct M {
  int id = 0;
  int ktid = 0;
  G g0;
  P* p = nullptr;
  P* nextp = nullptr;             // P handed over by startm
  M* idle_next = nullptr;
  M* free_next = nullptr;         // free slot list (an M that exited)
  bool spinning = false;
  std::atomic<uint32_t> park_word{0};  // futex: 1 = woken with work
  std::atomic<int32_t> runtime_sleeps{0};  // asleep for a runtime lock
  int64_t idle_since = 0;         // when it last stopped running Gs (0: running)
  // Set when a G that traced processes from it exits: the M ends its
  // kernel thread once that G is off it, so the kernel detaches the
  // tracees as it does when a tracing thread exits (core/wire.h).
  bool retire = false;

  void* native_robust_head = nullptr;  // what its task registered with the kernel
  // Set when a G here was poked to take signals and has not yet (see
  // core/preempt.h, poke_m).
  std::atomic<bool> poke_pending{false};
  // The sigaltstack its task has (the running G's, core/signal.h).
  void* alt_sp = nullptr;
  size_t alt_size = 0;
  int alt_flags = SS_DISABLE;

  FinishFn fin_fn = nullptr;      // work for the next context (finish_switch)
  void* fin_arg = nullptr;
  G* fin_prev = nullptr;
};

struct Sched {
  SpinLock lock;
  G* gq_head = nullptr;
  G* gq_tail = nullptr;
  std::atomic<int32_t> gq_size{0};
  P* pidle = nullptr;
  std::atomic<int32_t> npidle{0};
  M* midle = nullptr;
  int32_t nmidle = 0;
  M* mfree = nullptr;             // slots of Ms that exited
  int32_t mslots = 0;             // slots of all_ms ever used
  int32_t maxm = kMaxMs;          // WEFT_MAX_THREADS
  std::atomic<int32_t> mcount{0};  // live Ms
  std::atomic<int32_t> nmspinning{0};
  int32_t nprocs = 0;
  std::atomic<int32_t> nallp{0};  // Ps and spares in allp
  P* spare_idle = nullptr;        // spares not lent now
  std::atomic<int32_t> nspare_lent{0};
  P* allp[kMaxAllP] = {};
};

extern Sched sched;
extern M all_ms[kMaxMs];
extern P all_ps[kMaxAllP];  // allp's storage: the Ps, then spares

// The M and P running the caller; nullptr for callers that are not Gs.
inline M* current_m() {
  G* g = current_g();
  return g ? g->m : nullptr;
}

// --- operations -----------------------------------------------------------

// Gives up the M: the next context runs fin(self, arg). Returns when self is
// made runnable again and resumes (maybe on another M).
void switch_away(G* self, FinishFn fin, void* arg);
// Runs the pending finish action of m (see top).
void finish_switch(M* m);

// Makes a waiting or new G runnable: a real-time G in the real-time queue
// (core/prio_runq.h), others on the caller's P (runnext when `next`), else
// on the global queue; wakes an idle P if nobody spins.
void ready(G* g, bool next = true);

// Parks self until a waker completes its wait (wake_waiter) or, if
// deadline_ns != 0, until CLOCK_MONOTONIC deadline_ns. `seq` comes from
// begin_wait; `unlock` (may be nullptr) is released after the switch.
// on_timeout, if set, runs on timeout before self is readied (to unlink it
// from a wait list). Returns kWaitWoken or kWaitTimedOut.
uint64_t begin_wait(G* self);
WaitResult park_until(G* self, uint64_t seq, int64_t deadline_ns, SpinLock* unlock,
                      void (*on_timeout)(G*));
// Completes the wait `seq` of g with result r; true if this call did (then
// the caller must ready(g) once it has cancelled g's timer), false if the
// wait was already completed by someone else.
bool complete_wait(G* g, uint64_t seq, WaitResult r);

// Puts self at the back of its P's run queue and runs the next G.
void yield_current(G* self);
// Puts self at the back of the global queue (behind the Gs every P takes
// from there) and runs the next G: for a G preempted or left without a P.
void yield_to_global_queue(G* self);

// The scheduling loop of an M's g0; returns when the M is to exit (an idle
// M above the reserve; never M0).
void m_loop(M* m);

// Creates M0's g0 and binds P0 to the calling (main) thread; see preload/.
// max_ms: the cap on live Ms (WEFT_MAX_THREADS), at most kMaxMs.
void sched_init(int nprocs, int max_ms, G* main_g, void* g0_tcb, char* g0_stack_top);

// Exit of the current G: never returns; fin(self, arg) runs on the next
// context. A G still wired is unwired here (it must hold no robust mutex);
// if it traced processes from an M other than M0, that M retires.
[[noreturn]] void exit_current(G* self, FinishFn fin, void* arg);

// Hook run by every new user G before anything else; set by shim/.
extern void (*g_entry_hook)(G* g);

}  // namespace weft
