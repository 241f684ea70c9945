// core/signal.h — signals aimed at one G (pthread_kill, sigqueue to a
// thread).
//
// A G has no kernel task, so a signal for it is kept in G::pending_signals
// and raised with tgkill on whatever M runs the G when it next resumes from a
// switch: the kernel then runs the handler on the G's own stack and TLS, as
// it would on an NPTL thread. A G parked in an interruptible wait (futex,
// sleep) is woken with kWaitInterrupted, so nanosleep, sem_wait & co.
// return EINTR as they do natively. A G blocked in a system call is signalled
// on its M directly, which interrupts the call.
// Not yet: per-G signal masks, and a G that runs without ever switching
// sees its signal only at its next switch (asynchronous preemption will
// bring that).
#pragma once

namespace weft {

struct G;

void signal_g(G* g, int sig);
// Interrupts g's current or next wait without a signal (pthread_cancel:
// the cancellation point the wait belongs to then acts).
void interrupt_g(G* g);
// Raises self's pending signals on the current M (called on self), and
// records them in G::raised_signals.
void raise_pending_signals(G* self);
// Ends g's current wait as interrupted if it is still pending.
void interrupt_wait(G* g);

// The bit of G::pending_signals that interrupts without raising a signal.
inline constexpr int kInterruptOnly = 64;

}  // namespace weft
