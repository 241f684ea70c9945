// shim/raise.cpp — raise and kill of one's own process. raise signals the
// calling thread (pthread_kill of itself). kill(getpid(), sig) by a G that
// does not block sig takes it itself before returning, which POSIX allows
// and asks for a process where only the caller takes it; otherwise the
// kernel gets it, and weft routes it (core/signal.h).
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "core/export.h"
#include "core/real.h"
#include "core/signal.h"
#include "core/sigmask.h"
#include "core/sys.h"
#include "shim/thread.h"

namespace weft {
int kill_thread(G* g, int sig);  // shim/pthread_kill.cpp
}

using namespace weft;

WEFT_EXPORT int raise(int sig) {
  G* self = current_g();
  if (!runtime_active() || !self || self->is_g0 || !signals_routed())
    return real<int (*)(int)>("raise")(sig);
  int err = kill_thread(self, sig);
  if (err) errno = err;
  return err ? -1 : 0;
}

WEFT_EXPORT int kill(pid_t pid, int sig) {
  G* self = current_g();
  if (self && !self->is_g0 && signals_routed() && sig > 0 && sig < NSIG && sig != 32 &&
      sig != 33 && !(self->sigmask.load(std::memory_order_relaxed) & sig_bit(sig)) &&
      (pid == pid_t(sys::call6(SYS_getpid)))) {
    KernelAction a;
    program_action(sig, &a);
    if (a.handler != SIG_DFL && a.handler != SIG_IGN) {
      // The kernel's checks (permission, a process that exists) first.
      long r = sys::call6(SYS_kill, pid, 0);
      if (r < 0) {
        errno = int(-r);
        return -1;
      }
      siginfo_t info{};
      info.si_signo = sig;
      info.si_code = SI_USER;
      info.si_pid = pid;
      info.si_uid = uid_t(sys::call6(SYS_getuid));
      signal_process_to(self, sig, &info);
      return 0;
    }
  }
  return real<int (*)(pid_t, int)>("kill")(pid, sig);
}
