// shim/sigaction.cpp — sigaction and the signal() family, for the one
// signal weft uses to preempt threads (WEFT_PREEMPT_SIGNAL, SIGURG unless
// set; core/preempt.cpp). weft's handler stays installed; the action the
// program sets is kept and reported as the program's, and the deliveries
// that are not weft's go to it. Every other signal goes to libc unchanged.
// signal(), bsd_signal, sysv_signal and sigset reach glibc's sigaction
// through a hidden alias, so they are interposed as well.
#include <errno.h>
#include <signal.h>

#include "core/export.h"
#include "core/preempt.h"
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
}  // namespace weft

using weft::preempt_owns_signal;

WEFT_EXPORT int sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  if (!preempt_owns_signal(sig)) {
    static decltype(&sigaction) real_sigaction;
    return weft::sync::real_cached(&real_sigaction, "sigaction")(sig, act, old);
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
    return weft::sync::real_cached(&real_signal, "signal")(sig, h);
  }
  return weft::set_handler(sig, h, SA_RESTART);
}

WEFT_EXPORT sighandler_t bsd_signal(int sig, sighandler_t h) { return signal(sig, h); }

WEFT_EXPORT sighandler_t sysv_signal(int sig, sighandler_t h) {
  if (!preempt_owns_signal(sig)) {
    static decltype(&sysv_signal) real_sysv_signal;
    return weft::sync::real_cached(&real_sysv_signal, "sysv_signal")(sig, h);
  }
  return weft::set_handler(sig, h, SA_RESETHAND | SA_NODEFER);
}
