// shim/pthread_kill.cpp — signals to a thread. Per-G signal delivery is not
// built yet: signal 0 (the liveness probe) is answered for Gs, a signal to
// oneself is raised on the current M (whose handler runs on this G, as
// natively), and any other target gets the signal through the process with
// a one-time "weft:" warning rather than ESRCH from the kernel.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "core/export.h"
#include "core/real.h"
#include "core/warn.h"
#include "shim/thread.h"

using namespace weft;

WEFT_EXPORT int pthread_kill(pthread_t t, int sig) {
  G* g = g_of(t);
  if (!runtime_active() || !g) return real<int (*)(pthread_t, int)>("pthread_kill")(t, sig);
  // glibc's own cancellation and setxid signals are refused, as by glibc.
  if (sig < 0 || sig >= NSIG || sig == SIGRTMIN - 2 || sig == SIGRTMIN - 1) return EINVAL;
  // An exiting thread is not signalled and that is not an error (glibc).
  if (sig == 0 || g->life.load(std::memory_order_acquire) >= kExited) return 0;
  if (g == current_g()) return raise(sig) == 0 ? 0 : errno;
  static std::atomic<bool> warned{false};
  if (!warned.exchange(true)) warn("pthread_kill to another thread is delivered to the process");
  return kill(getpid(), sig) == 0 ? 0 : errno;
}
