// core/signal.h — signals for Gs: per-G masks and pending sets, routing of
// process-directed signals, and running handlers on the G they are for.
//
// Model. A G has no kernel task, so the kernel cannot keep its mask or
// deliver to it; weft does, in two modes:
// - One thread (before the first thread is created, and in a fork child
//   until it creates one): the only G runs on M0, whose kernel mask is kept
//   equal to the G's. The kernel delivers everything itself.
// - Several threads (core/sigmask.cpp): every M keeps the routable signals
//   (all but SIGKILL, SIGSTOP, the synchronous fault signals, glibc's two
//   reserved ones and weft's preemption signal) blocked in the kernel. A
//   catcher thread takes each process-directed signal with sigtimedwait and
//   routes it (signal_process): to a G waiting for it in sigwait, else the
//   main thread, else any G that does not block it, as the kernel picks a
//   thread; if every G blocks it, it stays pending for the process until a
//   G unblocks it or waits for it. Default actions (termination, core, stop)
//   are taken by the catcher itself, by unblocking the signal on its own
//   task and sending it there, so the process dies or stops with it.
// A signal for a G is a bit in G::pending_signals (routed ones also in
// G::routed_signals: their siginfo is kept per signal in the process table).
// It is delivered by the G itself (deliver_pending), at a safe point: when
// it resumes from a switch (a parked G is woken for it: its wait ends as
// kWaitInterrupted, so sem_wait, sleeps, poll and reads give EINTR, while
// lock and condvar waits wait on), when it unblocks the signal, at its first
// instruction, or — if it is running or blocked in the kernel — from the
// handler of weft's preemption signal, which the sender uses to poke its M
// (the delivery is put off while the G is in weft's own code; the monitor
// pokes again). Delivery calls the program's handler on the G's stack with
// the G's mask extended by sa_mask and the signal, as the kernel would.
// Who writes what: G::sigmask and G::sigwait_set only by the G itself (read
// by routers); pending bits are set by senders and cleared by the G.
#pragma once
#include <signal.h>
#include <stdint.h>

namespace weft {

struct G;

inline constexpr uint64_t sig_bit(int sig) { return uint64_t{1} << (sig - 1); }
inline uint64_t sigset_bits(const sigset_t* s) { return s->__val[0]; }
// Signals a mask never holds (SIGKILL, SIGSTOP) and glibc's reserved ones.
inline constexpr uint64_t kUnblockable = sig_bit(SIGKILL) | sig_bit(SIGSTOP) |
                                         sig_bit(32) | sig_bit(33);

// Thread-directed signal to g (pthread_kill, tgkill on its id). info may be
// nullptr: an SI_TKILL from this process is assumed.
void signal_g(G* g, int sig);
// A process-directed signal the catcher (or a handler that got one) took:
// routes it to a G, or keeps it pending for the process.
void signal_process(int sig, const siginfo_t* info);
// A process-directed signal that self (which does not block it) takes now.
void signal_process_to(G* self, int sig, const siginfo_t* info);
// The same from a signal handler that may have interrupted weft's own code:
// only kept pending for the process (Gs find it at their next switch),
// without its siginfo.
void signal_process_later(int sig);
void forget_process_pending();  // fork child
// Takes the bits of set from the process's pending set.
uint64_t take_process_pending(uint64_t set);
// Whether g's wait should end now: an interruption was asked for, or a
// signal it does not block (or waits for) is pending.
bool should_interrupt(G* g);
// Interrupts g's current or next wait without a signal (pthread_cancel:
// the cancellation point the wait belongs to then acts).
void interrupt_g(G* g);
// Ends g's current wait as interrupted if it is still pending.
void interrupt_wait(G* g);

// Runs the handlers of self's pending signals that it does not block (and
// takes process-pending ones it can), lowest number first; uc is the
// interrupted context when called from a signal handler, else nullptr.
// Records what ran in G::raised_signals (and whether all of it had
// SA_RESTART in G::raised_restart) and returns it.
uint64_t deliver_pending(G* self, void* uc = nullptr);
// Whether self has a signal deliver_pending would run now.
bool has_deliverable(G* self);

// The G's mask, and changing it (how as sigprocmask). Newly unblocked
// pending signals are delivered before it returns, as the kernel does.
void sigmask_change(G* self, int how, uint64_t set, uint64_t* old);
// Takes the signals in bits the kernel holds for the process (the catcher
// has not yet) as self's own.
void take_from_kernel(G* self, uint64_t bits);
// After a system call that may have sent the process a signal (pidfd,
// rt_sigqueueinfo through syscall()): self takes those it does not block
// before the call returns, as the kernel would have it.
void take_own_signals_now(G* self);
// Pending for self: its own and the process's.
uint64_t sigpending_of(G* self);
// sigtimedwait for a G in the several-thread mode: the signal number, or
// -EAGAIN (timeout), -EINTR (a handler ran, or the wait was interrupted
// and give_up() says so: a cancellation request). deadline_ns < 0: none.
int sigwait_g(G* self, uint64_t set, siginfo_t* info, int64_t deadline_ns, bool (*give_up)());
// sigsuspend for a G in the several-thread mode (always -EINTR).
int sigsuspend_g(G* self, uint64_t mask, bool (*give_up)());

// A new thread's: its creator's mask, nothing pending, no altstack.
void inherit_signal_state(G* g);

// sigaltstack's SS_AUTODISARM (linux/signal.h; not in glibc's headers).
inline constexpr int kSsAutoDisarm = int(1u << 31);

// Per-G alternate signal stacks: the G's, made its M's when the G runs.
void altstack_switch_in(G* self);

}  // namespace weft
