// core/g.h — the G (a user thread), as the scheduler sees it.
//
// Ownership: a G's fields are written by the G itself while it runs, or by
// whoever holds it in a queue or wait list (run queues, futex buckets, timer
// heaps) while it does not. `status` is the only field read concurrently.
// A G's memory (and TCB) lives at the top of its stack block (core/stack.h),
// except for the main thread's G and each M's g0, which are allocated once.
// A G's block may be unmapped once the G is reaped (core/stack.h), so
// nothing may touch a G that it does not own: a waker owns a waiting G only
// after winning its wait (complete_wait), and code that parks or frees a G
// makes its last write to it the one that hands it over.
#pragma once
#include <atomic>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "core/timer.h"

namespace weft {

struct M;
struct P;

enum GStatus : uint32_t {
  kGIdle = 0,      // being created, or free
  kGRunnable = 1,  // in a run queue
  kGRunning = 2,   // on an M
  kGWaiting = 3,   // parked: in a wait list, a timer, or a syscall-less wait
  kGSyscall = 4,   // running a blocking system call; its P may be retaken
  kGDead = 5,      // exited; the block is released by the next context
  kGParking = 6,   // switched away, its next context on the way to kGWaiting
  kGParkReadied = 7,  // readied while kGParking: that context queues it
};

// Outcome of a park with a deadline; see Sched::park_until.
enum WaitResult : uint32_t {
  kWaitPending = 0,
  kWaitWoken = 1,
  kWaitTimedOut = 2,
  kWaitInterrupted = 3,  // a signal was sent to the G (core/signal.h)
};

struct G {
  void* sp = nullptr;          // saved stack pointer while not running
  void* tcb = nullptr;         // its struct pthread (thread pointer)
  M* m = nullptr;              // the M running it (valid while running)
  G* next = nullptr;           // run-queue / list link (owned by the list holder)
  std::atomic<uint32_t> status{kGIdle};
  bool is_g0 = false;          // an M's scheduler context, not a user thread
  bool is_main = false;        // the adopted main thread
  bool c11 = false;            // fn (below) is a C11 thrd_start_t (returns int)
  // CPU time (core/cputime.h): clock ticks, doubled, +1 while it runs with
  // the start subtracted. Written by the G's M at each switch (so it sits
  // with the fields the switch touches), read by anyone.
  std::atomic<int64_t> cpu_clock{0};

  // Entry.
  void* (*fn)(void*) = nullptr;
  void* arg = nullptr;

  // Stack block (core/stack.h); map_base is nullptr for the main thread and
  // for g0s, whose stacks weft did not make.
  char* map_base = nullptr;
  size_t map_size = 0;
  size_t guard = 0;
  bool user_stack = false;     // pthread_attr_setstack memory: never reused
  bool tls_released = false;   // its TLS was freed by the G itself (user stacks)
  bool raised_restart = true;  // see raised_signals below
  int32_t arena = -1;          // the stack arena it was carved from, or -1
  char* stack_hi = nullptr;    // highest usable byte + 1 (below G/TLS/TCB)

  // Waiting: one wait at a time. wait_state packs (seq << 2 | WaitResult) so
  // a waker or a timer that raced with an earlier wait cannot complete a
  // later one (see Sched::park_until / Sched::wake_waiter).
  std::atomic<uint64_t> wait_state{0};
  Timer timer;

  // Futex wait queue membership (core/futex.cpp), guarded by the bucket
  // lock: a ring of the Gs waiting on wq_addr, whose oldest (the leader) is
  // also on the bucket's list of addresses.
  G* wq_prev = nullptr;
  G* wq_next = nullptr;
  G* wq_addr_prev = nullptr;   // leader only
  G* wq_addr_next = nullptr;   // leader only
  const void* wq_addr = nullptr;
  uint32_t wq_bitset = 0;
  bool wq_queued = false;
  bool wq_leader = false;

  // The descriptors it waits for in the netpoller (core/netpoll.cpp): the
  // first one and how many; for diagnostics only (core/trace.cpp,
  // scripts/weft-gdb.py), written by the G itself.
  int32_t poll_fd = -1;
  int32_t poll_nfds = 0;

  // Life cycle (shim/): joinable / detached / exited, see shim/thread.h.
  std::atomic<uint32_t> life{0};
  std::atomic<uint32_t> interrupt_req{0};  // see Signals below
  std::atomic<G*> joiner{nullptr};
  void* result = nullptr;
  uint32_t exit_word = 0;      // futex word: 1 once the G has left its stack

  char name[16] = {};          // pthread_setname_np (comm length)
  // Real-time scheduling (core/prio_runq.h): level 1..99 | kRtRoundRobin,
  // 0 for the fair policies; rt_queued (below): the level it is queued at
  // (under the queue's lock; 0 when not in the real-time queue).
  std::atomic<uint32_t> rt{0};
  // pthread_setaffinity_np's mask (kept, not applied), allocated on first
  // use: most threads never set one, and every byte here is a byte of the
  // page an idle thread keeps resident.
  unsigned char* affinity = nullptr;

  // Set while the G is wired to an M (core/wire.h): it runs only there,
  // for the reasons (WireReason bits) in wired_for.
  M* locked_m = nullptr;
  int locked_tid = 0;          // that M's kernel tid, read when wiring
  uint8_t wired_for = 0;
  // Packed here, described with their groups below.
  std::atomic<bool> acancel_listed{false};
  uint8_t rt_queued = 0;
  bool alt_autodisarm = false;

  // Lookups by thread id holding the G (core/tid.h).
  std::atomic<uint32_t> tid_holds{0};
  // Whether the G sits in a cancellable kernel call (core/syscall_cancel.h):
  // written by the G and by a canceller that signals its M.
  std::atomic<uint32_t> kcall{0};

  // Signals (core/signal.h), bit sig-1. pending_signals: sent to it and not
  // delivered yet (routed_signals: those of them routed from the process,
  // whose siginfo the process keeps); interrupt_req: its wait is to end
  // without a signal (pthread_cancel). sigmask and sigwait_set are written
  // by the G only; raised_signals: the handlers its last delivery ran, and
  // raised_restart (packed above) whether every one had SA_RESTART then
  // (an interrupted call restarts only if so).
  std::atomic<uint64_t> pending_signals{0};
  std::atomic<uint64_t> routed_signals{0};
  std::atomic<uint64_t> sigmask{0};
  std::atomic<uint64_t> sigwait_set{0};
  uint64_t raised_signals = 0;
  // Its sigaltstack (alt_sp nullptr: none; alt_autodisarm, packed above:
  // SS_AUTODISARM), made its M's while it runs.
  void* alt_sp = nullptr;
  size_t alt_size = 0;

  // On the list of Gs with an asynchronous cancellation request not acted
  // upon yet (core/async_cancel.h), guarded by that list's lock.
  G* acancel_next = nullptr;  // (its flag, acancel_listed, is packed above)


  // Per-P stack cache link when free.
  G* free_next = nullptr;
};

}  // namespace weft
