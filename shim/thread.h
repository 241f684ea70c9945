// shim/thread.h — what the pthread life-cycle functions share.
//
// pthread_t is the TCB address, as in NPTL, so THREAD_SELF, pthread_self()
// and glibc's own code agree on thread identity; the G is found from the TCB
// (core/self.h). G::life is the join state machine:
//   kJoinable --detach--> kDetached --exit--> kDetachedExited (block freed)
//   kJoinable --exit--> kExited --join/detach--> kReaped (block freed)
// Transitions are CASes, so exit racing with detach or join frees once.
// A freed block stays readable while it is cached warm (core/stack.h), as
// NPTL's cached stacks: a late join or detach reads the final state and
// answers as NPTL does (ESRCH once joined, EINVAL once detached).
#pragma once
#include <pthread.h>

#include "core/g.h"
#include "core/self.h"

namespace weft {

enum Life : uint32_t {
  kJoinable = 0,
  kDetached = 1,
  kExited = 2,
  kReaped = 3,
  kDetachedExited = 4,
};

// True once weft runs (not before start-up, not after a native fallback).
bool runtime_active();
// Starts the runtime if it has not started; false if it fell back to native.
bool ensure_runtime();

inline G* g_of(pthread_t t) {
  return t ? tcb_field<G*>(reinterpret_cast<void*>(t), tcb_off::kHandleG) : nullptr;
}
inline pthread_t handle_of(G* g) { return reinterpret_cast<pthread_t>(g->tcb); }

// The first frame of every user G (set as core's g_entry_hook).
[[noreturn]] void thread_start(G* g);
// Everything a thread does after its start routine returned or it called
// pthread_exit: thread_local and key destructors, robust mutexes, exit.
[[noreturn]] void thread_finish(G* g, void* result);
// Frees an exited thread's block after join/detach.
void thread_reap(G* g);

// A new thread starts with its creator's name, as a cloned task its comm.
void inherit_name(G* g);

// Scheduling parameters kept in the TCB and applied by weft's scheduler
// (shim/pthread_setschedparam.cpp).
// EINVAL for an unknown policy or a priority outside its range.
int validate_sched(int policy, const sched_param* param);
// 0, or the error (EPERM) the kernel gives a task that has policy
// cur_policy at priority cur_prio and asks for (policy, prio).
int sched_permission(int cur_policy, int cur_prio, int policy, int prio);
// The policy and priority a task with g's TCB values would have now: the
// real-time level of a G, else its TCB's.
void current_sched(G* g, int* policy, int* prio);
// Stores g's policy and priority in its TCB and applies them (raised to a
// held PRIO_PROTECT ceiling); no checks.
void store_sched(G* g, int policy, int priority);
// Applies a priority to g's scheduling without storing it (PRIO_PROTECT).
void apply_priority(G* g, int policy, int priority);
// pthread_setschedparam's work on a G: validate, permit, store, apply, and
// give way if the caller is no longer the one to run. 0 or an errno value.
int change_sched(G* g, int policy, const sched_param* param);

// Keeps a validated CPU mask in g (EINVAL if it names no allowed CPU).
inline constexpr size_t kAffinityBytes = sizeof(cpu_set_t);
int set_thread_affinity(G* g, size_t size, const cpu_set_t* set);
// The G's mask as sched_getaffinity gives a task's (size checks included).
int get_thread_affinity(G* g, size_t size, cpu_set_t* set);

// The attributes of a thread created without any (pthread_setattr_default_np).
const pthread_attr_t* default_thread_attr();

// Makes glibc treat the process as multi-threaded (__libc_single_threaded
// and its hidden twins, stdio locks) before the first G is created.
void enter_multithreaded_mode();

// Number of live user threads; the last to exit ends the process (NPTL).
extern std::atomic<int> live_threads;

}  // namespace weft

extern "C" char __libc_single_threaded;

namespace weft {

// True while the caller is the only thread that can run program code: one
// live G, and no kernel thread ever made with glibc's pthread_create (that
// clears __libc_single_threaded: weft's own Ms, glibc's helper threads).
// NPTL skips atomic operations in the same situation.
inline bool sole_thread() {
  return __libc_single_threaded && live_threads.load(std::memory_order_relaxed) == 1;
}

}  // namespace weft
