// shim/sigaction.cpp — sigaction and the signal() family. A handler
// installed for any signal weft routes turns routing on (core/signal.h).
// For the one signal weft uses to preempt threads (WEFT_PREEMPT_SIGNAL,
// SIGURG unless set; core/preempt.cpp): weft's handler stays installed; the action the
// program sets is kept and reported as the program's, and the deliveries
// that are not weft's go to it. Every other signal goes to libc unchanged.
// signal(), bsd_signal, sysv_signal and sigset reach glibc's sigaction
// through a hidden alias, so they are interposed as well.
#include <errno.h>
#include <signal.h>

#include "core/export.h"
#include "core/preempt.h"
#include "core/sched.h"
#include "core/signal.h"
#include "core/sigmask.h"
#include "shim/thread.h"
#include "shim/sync_common.h"

namespace weft {
namespace {

// signal()'s semantics on top of the kept action (BSD: SA_RESTART; System
// V: SA_RESETHAND | SA_NODEFER).
sighandler_t set_handler(int sig, sighandler_t h, int flags) {
  struct sigaction act {}, old {};
  act.sa_handler = h;
  act.sa_flags = flags;
  sigemptyset(&act.sa_mask);
  preempt_swap_program_action(&act, &old);
  return old.sa_handler;
}

}  // namespace

// A handler for a signal weft routes: its thread must run it, even while
// the only thread is parked (the kernel would run it on the scheduler's own
// context, and the parked call would not see it). So the program goes over
// to routed signals (core/signal.h) before its first thread exists.
void route_if_handled(int sig, sighandler_t h) {
  if (h == SIG_DFL || h == SIG_IGN || !runtime_active()) return;
  G* self = current_g();
  if (self && !self->is_g0 && sig_routable(sig)) enter_multithreaded_mode();
}

}  // namespace weft

using weft::preempt_owns_signal;

WEFT_EXPORT int sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  if (!preempt_owns_signal(sig)) {
    static decltype(&sigaction) real_sigaction;
    int r = weft::sync::real_cached(&real_sigaction, "sigaction")(sig, act, old);
    if (r == 0 && act) weft::route_if_handled(sig, act->sa_handler);
    return r;
  }
  weft::preempt_swap_program_action(act, old);
  return 0;
}

WEFT_EXPORT int __sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  return sigaction(sig, act, old);
}

WEFT_EXPORT sighandler_t signal(int sig, sighandler_t h) {
  if (!preempt_owns_signal(sig)) {
    static decltype(&signal) real_signal;
    sighandler_t r = weft::sync::real_cached(&real_signal, "signal")(sig, h);
    if (r != SIG_ERR) weft::route_if_handled(sig, h);
    return r;
  }
  return weft::set_handler(sig, h, SA_RESTART);
}

WEFT_EXPORT sighandler_t bsd_signal(int sig, sighandler_t h) { return signal(sig, h); }

WEFT_EXPORT sighandler_t sysv_signal(int sig, sighandler_t h) {
  if (!preempt_owns_signal(sig)) {
    static decltype(&sysv_signal) real_sysv_signal;
    sighandler_t r = weft::sync::real_cached(&real_sysv_signal, "sysv_signal")(sig, h);
    if (r != SIG_ERR) weft::route_if_handled(sig, h);
    return r;
  }
  return weft::set_handler(sig, h, SA_RESETHAND | SA_NODEFER);
}
