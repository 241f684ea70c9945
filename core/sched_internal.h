// core/sched_internal.h — what the scheduler's files share among themselves
// (core/sched.cpp: run queues, finding work, switching; core/mthreads.cpp:
// Ms and idle Ps; core/handoff.cpp: system calls; core/monitor.cpp: the
// monitor). Not for shim/ or preload/. Locking rules: core/sched.h.
#pragma once
#include <stdint.h>

#include "core/sched.h"

namespace weft {

// ---- run queues (core/sched.cpp) ------------------------------------------
void runq_put(P* p, G* g, bool next);
bool runq_empty(P* p);
void global_put_batch(G* head, G* tail, int n);
// Moves everything queued on p (runnext too) to the global queue, from a
// context that does not own p (the thieves' side of the protocol).
int runq_drain_to_global(P* p);
// Anything runnable, in any queue.
bool any_work();
// The earliest timer of any P (INT64_MAX: none).
int64_t earliest_timer();

// ---- Ps and Ms (core/mthreads.cpp) ----------------------------------------
// Under sched.lock:
void pidle_put_locked(P* p);
P* pidle_get_locked();
void acquirep(M* m, P* p);

// Hands p to an idle or new M (p == nullptr: take an idle P, if any).
void startm(P* p, bool spinning);
// Starts an M to look for work if a P is idle and nobody looks already.
void wakep();
void stop_spinning(M* m);
// Gives up m's P: to another M if anything may need it, else to the idle
// list (Go's handoffp).
void handoffp(P* p);
// Sleeps the M (holding no P) until it is handed a P (then m->p is set) or
// until deadline_ns. An M above the reserve of idle Ms that stays idle long
// enough is told to exit (its caller returns up to m_thread_main).
enum class StopResult { kHanded, kTimedOut, kExit };
StopResult stopm(M* m, int64_t deadline_ns);
// Ends m (not M0) for good, from its g0: its P goes to another M or the
// idle list; its caller returns up to m_thread_main.
void retire_m(M* m);
// Puts p on the idle list (as a P nobody could take an M for).
void give_back(P* p, bool spinning);
// Blocks every signal but glibc's internal ones in the calling runtime
// thread (monitor, spawner): a program's handler must not run there.
void block_signals();
// A detached kernel thread from glibc's pthread_create, with `stack` bytes
// of stack besides the static TLS.
bool create_kernel_thread(void* (*fn)(void*), void* arg, size_t stack);
// Starts the thread that makes Ms for contexts that must not allocate (a
// g0, the monitor): core/mthreads.cpp.
bool start_m_spawner();

// ---- system calls (core/handoff.cpp) --------------------------------------
// Takes p from the M that is in a system call with it (the monitor decides
// when); false if the M returned first.
bool retake_syscall_p(P* p);
// Ends self's system-call state where it must not switch (it is about to
// park, holding a wait list's lock): its P back if still its own, else any
// idle P, else none (m->p == nullptr; the park then goes through g0).
void take_p_back_without_switch(G* self);

// ---- spare Ps (core/mthreads.cpp, lent by core/monitor.cpp) --------------
// A spare P marked running (nullptr when all kMaxAllP slots are used).
P* spare_get_locked();

// ---- fork (core/fork.cpp) ---------------------------------------------------
// Registers the child handler that rebuilds the runtime after fork.
void register_fork_handler();
// Gives M0's g0 a fresh context at the start of m_loop (sched_init; a fork
// child, where whatever g0 was doing belonged to a kernel thread that is gone).
void restart_m0_g0();
// Each part's reset in the child: nobody else runs, and whatever threads
// that no longer exist left (waiters, locks, kernel threads) is dropped.
void monitor_forget_after_fork();
void mthreads_forget_after_fork();

}  // namespace weft
