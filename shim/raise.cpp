// shim/raise.cpp — raise, and kill and sigqueue of one's own process.
// raise signals the calling thread (pthread_kill of itself). A signal a
// thread sends to its own process is routed by weft at once (core/signal.h,
// see send_to_own_process).
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "core/export.h"
#include "core/real.h"
#include "core/signal.h"
#include "core/sigmask.h"
#include "core/sys.h"
#include "shim/signal_calls.h"
#include "shim/thread.h"

using namespace weft;

namespace {
// 0, or -1 with errno set to err (libc's convention for an errno value).
int libc_answer(int err) {
  if (err == 0) return 0;
  errno = err;
  return -1;
}
}  // namespace

WEFT_EXPORT int raise(int sig) {
  G* self = current_g();
  if (!runtime_active() || !self || self->is_g0 || !signals_routed())
    return real<int (*)(int)>("raise")(sig);
  return libc_answer(kill_thread(self, sig));
}

namespace {

// A signal a thread sends to its own process: routed at once, here, rather
// than by the signal thread once the kernel has passed it on, so that it is
// handled (by this thread if it does not block it, which POSIX allows) or
// pending before the call returns, as with the kernel. Signals a signalfd
// reads stay the kernel's. Returns 0 or an errno value, or -1 when the
// kernel must send it.
int send_to_own_process(pid_t pid, int sig, siginfo_t* info) {
  G* self = current_g();
  if (!self || self->is_g0 || !signals_routed() || !sig_routable(sig) || signalfd_reads(sig) ||
      pid != pid_t(sys::call6(SYS_getpid)))
    return -1;
  long r = sys::call6(SYS_kill, pid, 0);  // the kernel's checks first
  if (r < 0) return int(-r);
  info->si_signo = sig;
  info->si_pid = pid;
  info->si_uid = uid_t(sys::call6(SYS_getuid));
  KernelAction a;
  program_action(sig, &a);
  bool handler = a.handler != SIG_DFL && a.handler != SIG_IGN;
  if (handler && !(self->sigmask.load(std::memory_order_relaxed) & sig_bit(sig)))
    signal_process_to(self, sig, info);
  else
    signal_process(sig, info);
  return 0;
}

}  // namespace

WEFT_EXPORT int kill(pid_t pid, int sig) {
  siginfo_t info{};
  info.si_code = SI_USER;
  int err = send_to_own_process(pid, sig, &info);
  if (err >= 0) return libc_answer(err);
  return real<int (*)(pid_t, int)>("kill")(pid, sig);
}

WEFT_EXPORT int sigqueue(pid_t pid, int sig, const union sigval value) {
  siginfo_t info{};
  info.si_code = SI_QUEUE;
  info.si_value = value;
  int err = send_to_own_process(pid, sig, &info);
  if (err >= 0) return libc_answer(err);
  return real<int (*)(pid_t, int, const union sigval)>("sigqueue")(pid, sig, value);
}
