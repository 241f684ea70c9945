// core/sigmask.h — the kernel's side of weft's signals (core/sigmask.cpp):
// the masks of weft's kernel threads, the catcher thread, the program's
// actions as the kernel holds them, default actions. See core/signal.h for
// the model.
#pragma once
#include <signal.h>
#include <stdint.h>

namespace weft {

// rt_sigaction's own layout (what the kernel holds for a signal), for the
// raw system call: libc's sigaction would hide glibc's reserved signals.
struct KernelAction {
  union {
    __sighandler_t handler;                       // also SIG_DFL, SIG_IGN
    void (*action)(int, siginfo_t*, void*);       // with SA_SIGINFO
  };
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};

// The action the program set for sig (for weft's preemption signal, the
// one weft keeps for it).
void program_action(int sig, KernelAction* out);
// SA_RESETHAND's reset to SIG_DFL, at a delivery weft makes.
void reset_program_action(int sig);
// Takes sig's default action (termination, core dump, stop) on the calling
// task, as the kernel would on a thread that does not block it.
void take_default_action(int sig);

// Whether weft routes sig once it routes signals (not the fault signals,
// SIGKILL, SIGSTOP, glibc's reserved ones, weft's preemption signal).
bool sig_routable(int sig);
uint64_t routable_signals();
// Whether weft routes signals (several threads) or the kernel does.
bool signals_routed();
// The switch to routing, made before the process's second kernel thread
// exists, or when the program installs a handler (shim/sigaction.cpp): blocks the routable signals on the caller's task (every later
// kernel thread inherits the mask) and starts the catcher.
void signals_enter_multithreaded();
// A fork child has one thread again: the kernel delivers (its mask is the
// forking G's), and nothing is pending.
void signals_after_fork_child();

// A signalfd reads set: the catcher leaves those signals in the kernel,
// pending for the process, where the descriptor's reads find them.
void signalfd_watch(uint64_t set);
bool signalfd_reads(int sig);

// The one-thread mode's kernel mask and pending set.
void sigmask_kernel_set(uint64_t mask);
uint64_t sigmask_kernel_pending();

// Puts the current G's own mask into its M's kernel mask (until the
// matching sigmask_kernel_restore), for a new program image (execve,
// posix_spawn, system, popen), which inherits the kernel mask of the
// calling task. Safe with no current G.
void sigmask_kernel_for_exec();
// Undoes sigmask_kernel_for_exec (the exec failed, or the spawn returned).
void sigmask_kernel_restore();

}  // namespace weft
