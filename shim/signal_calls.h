// shim/signal_calls.h — the work of the signal entry points, shared by
// their libc names and their system-call numbers through syscall()
// (shim/signal_syscall.cpp). Results: errno values, or raw (-errno).
#pragma once
#include <signal.h>
#include <stdint.h>
#include <time.h>

namespace weft {

struct G;

int change_thread_mask(int how, const sigset_t* set, sigset_t* old);  // pthread_sigmask.cpp
int kill_thread(G* g, int sig);                                       // pthread_kill.cpp
long suspend_g(G* self, uint64_t mask);                               // sigsuspend.cpp
long timedwait_g(const sigset_t* set, siginfo_t* info, const struct timespec* timeout);  // sigwait.cpp
long altstack_g(G* self, const stack_t* ss, stack_t* old);            // sigaltstack.cpp

}  // namespace weft
