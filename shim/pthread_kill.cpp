// shim/pthread_kill.cpp — signals to a thread: to oneself, raised on the
// current M (the handler runs on this G, synchronously, as natively); to
// another G, through core/signal.h.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "core/export.h"
#include "core/real.h"
#include "core/signal.h"
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
  signal_g(g, sig);
  return 0;
}
