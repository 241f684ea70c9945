// shim/identity.h — what a thread's identity calls share (gettid, tgkill,
// CPU clocks, names, ptrace; their model: man/libweft.7, "Thread
// identity").
#pragma once
#include <sys/types.h>

namespace weft {

struct G;

// Sets up thread identity once the runtime runs on the main thread (ids,
// CPU clocks, the main thread's rseq area, fork hooks): preload/start.cpp.
void identity_init(G* main_g, G* m0_g0);

// The G that a pid argument names: 0 is the caller, a thread's id that
// thread (the process id the main thread); nullptr when it names no G (the
// kernel answers then). A G other than the caller comes held: release it
// with release_named.
G* thread_named(pid_t pid);
void release_named(G* g);

// syscall(2) forms, results as the kernel's (-errno); false when the call is
// not one of these or is the kernel's to answer (shim/syscall.cpp).
bool identity_syscall(long n, const long* args, long* result);

// The kernel's answer for tgkill (tgid > 0) or tkill (tgid == 0) with a
// thread's id: the signal goes to that G, as pthread_kill sends it.
long signal_thread(long tgid, long tid, long sig);
// clock_gettime / clock_getres on a G's CPU clock (CLOCK_THREAD_CPUTIME_ID
// or pthread_getcpuclockid's); false when the clock is not a G's.
bool g_clock_read(clockid_t clock, struct timespec* ts, bool resolution, long* result);
// prctl's PR_SET_NAME / PR_GET_NAME on the calling G.
long prctl_name(int option, unsigned long arg);
// ptrace from a G: wires it to its M first (core/wire.h).
void before_ptrace(long request);
// After a wait-family call: a G wired since a fork is unwired once it has
// no children left.
void after_wait();
// fork() handlers of the ptrace wiring (shim/ptrace.cpp).
void ptrace_fork_prepare();
void ptrace_fork_child();
// At each thread creation, once the monitor runs (shim/multithreaded_mode.cpp).
void ptrace_threads_begin();

// Sets g's name (at most 15 bytes of it); the main thread's is also its
// kernel task's, which ps(1) shows as the process's name.
void set_thread_name(G* g, const char* name);
// Sets the calling kernel thread's name to g's (a fork child).
void name_kernel_thread(G* g);

}  // namespace weft
