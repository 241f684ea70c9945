// core/prio_runq.h — real-time priorities of Gs (SCHED_FIFO and SCHED_RR).
//
// Model. A G whose policy is SCHED_FIFO or SCHED_RR has a real-time level
// 1..99 in G::rt (0 for SCHED_OTHER, BATCH and IDLE, which the fair run
// queues of core/sched.cpp schedule). Runnable real-time Gs wait in one
// process-wide queue, a FIFO list per level with a summary of the non-empty
// levels, and every P takes the head of its highest level before looking at
// any other queue. So no P runs a G while a higher-level G waits, and the N
// highest run on N Ps: what Linux's real-time class gives N CPUs (its push
// and pull move real-time tasks between CPUs for the same purpose). Real-time
// Gs are few and block or yield often; one queue keeps that order exact.
//
// Placement, as Linux orders a real-time level: a G made runnable (woken,
// created, sched_yield, a SCHED_RR slice spent) goes to the tail of its
// level; a G preempted by a higher level goes back to the head of its own,
// and resumes once the higher ones block. A change of a queued G's level
// moves it: to the tail when raised, to the head when lowered (POSIX).
//
// Preemption. A higher level made runnable preempts a lower-level (or fair)
// G at its next scheduling point: the Gs it wakes through shim/'s
// synchronization objects, pthread_create and priority changes call
// preempt_point(), and yields and waits pick by level anyway. A G that
// computes without such calls keeps its P until asynchronous preemption
// asks should_preempt() (the monitor reads it for any P: lock-free).
// SCHED_RR Gs get slices of sched_rr_get_interval's length, reset when they
// are switched in; one spent while an equal level waits is a reason to
// preempt.
//
// Invariants. The queue's lock is innermost (nothing is taken under it) and
// is held for a few list operations. G::rt is written by the G's owner
// (itself, or a setter under the rules of pthread_setschedparam) and read
// when the G is queued; G::rt_queued is written only under the queue's lock.
// P::running_rt and P::rr_since_ns are written by the P's M when it
// switches to a G.
#pragma once
#include <stdint.h>

#include "core/g.h"

namespace weft {

struct P;

inline constexpr uint32_t kRtLevelMask = 0xff;
inline constexpr uint32_t kRtRoundRobin = 0x100;  // in G::rt: SCHED_RR

inline uint32_t rt_level(uint32_t rt) { return rt & kRtLevelMask; }
inline uint32_t rt_level(const G* g) { return rt_level(g->rt.load(std::memory_order_relaxed)); }

// The G::rt value for a policy and priority (0 for the fair policies).
uint32_t rt_value(int policy, int priority);

// Queues runnable g at the tail or head of its level if it has one; false
// (nothing done) for a fair G, which the caller queues as such.
bool rt_put(G* g, bool at_head);
// Makes new real-time g runnable at the head of its level: NPTL's new task
// starts at its creator's level and is then set to the attribute's, which
// puts it at the head of a lower level (Linux requeues a lowered task there).
void ready_at_head(G* g);
// The head of the highest non-empty level, dequeued; nullptr if none.
G* rt_get();
// Whether any real-time G waits in the queue (lock-free).
bool rt_waiting();

// Sets g's real-time value; a g queued at another level moves there (to
// the fair global queue if it has none now).
void rt_change(G* g, uint32_t rt);

// Records that p's M now runs g (or its g0): p's level and RR slice.
void note_running(P* p, const G* g);

// Whether the G running on p should give way: a higher level waits, or its
// SCHED_RR slice is spent while an equal one waits. Cheap and lock-free;
// callable from any thread for any P (asynchronous preemption's hook).
bool should_preempt(P* p);

// A scheduling point of self (a running G on a P): gives way if
// should_preempt says so, and returns once self runs again.
void preempt_point(G* self);

// Length of a SCHED_RR slice (the kernel's, sched_rr_get_interval).
int64_t rr_interval_ns();

// Fork child: the queued Gs belong to threads the child does not have.
void rt_forget_after_fork();

}  // namespace weft
