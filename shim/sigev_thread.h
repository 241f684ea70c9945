// shim/sigev_thread.h — SIGEV_THREAD notifications run in Gs (timer_create,
// mq_notify).
//
// glibc runs a SIGEV_THREAD notification in an NPTL thread that it starts
// through its hidden __pthread_create, which weft cannot interpose: a helper
// thread per facility waits for the kernel's notice and starts one detached
// thread per notice. Under weft those threads would be kernel threads that
// weft does not know, where pthread_self, keys and __thread are NPTL's. So
// weft implements both facilities itself: a dispatcher G waits in the
// netpoller on a descriptor that the kernel makes readable (a timerfd, a
// netlink socket), and each notice starts a detached G running the
// program's function, created with weft's pthread_create.
#pragma once
#include <pthread.h>
#include <signal.h>

namespace weft {

// Builds *dst (initialised here) from the program's sigev_notify_attributes
// `src` (nullptr: defaults) for the threads of one notification, as glibc
// does: the scheduling, scope, guard and stack settings are copied (and
// the CPU set when with_affinity), the thread is detached, and it starts
// with signal mask `mask`. 0 or an errno value (*dst is then destroyed).
int sigev_attr_init(pthread_attr_t* dst, const pthread_attr_t* src, bool with_affinity,
                    const sigset_t* mask);

// Starts a thread (made with attr) that runs fn(value) and exits. 0 or an
// errno value; as in glibc, the caller has no one to report a failure to.
int sigev_thread_start(const pthread_attr_t* attr, void (*fn)(sigval), sigval value);

// Starts a dispatcher G running fn(arg): detached, on a small stack, with
// every signal blocked (as glibc's helper threads), so that no signal meant
// for the program's threads is delivered to it. 0 or an errno value.
int sigev_dispatcher_start(void* (*fn)(void*), void* arg);

}  // namespace weft
