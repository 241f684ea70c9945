// shim/pthread_kill.cpp — signals to a thread (core/signal.h). To oneself,
// the handler runs before the call returns (unless blocked: then it stays
// pending for this thread), as natively.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "core/export.h"
#include "core/real.h"
#include "core/signal.h"
#include "core/sigmask.h"
#include "shim/thread.h"
#include "shim/signal_calls.h"

namespace weft {

// pthread_kill's work on a G, as an errno value (tgkill on a G's id too).
int kill_thread(G* g, int sig) {
  // glibc's own cancellation and setxid signals are refused, as by glibc.
  if (sig < 0 || sig >= NSIG || sig == SIGRTMIN - 2 || sig == SIGRTMIN - 1) return EINVAL;
  // An exiting thread is not signalled and that is not an error (glibc).
  if (sig == 0 || g->life.load(std::memory_order_acquire) >= kExited) return 0;
  G* self = current_g();
  if (g == self && !signals_routed()) return raise(sig) == 0 ? 0 : errno;
  signal_g(g, sig);
  if (g == self && has_deliverable(self)) deliver_pending(self);
  return 0;
}

}  // namespace weft

using namespace weft;

WEFT_EXPORT int pthread_kill(pthread_t t, int sig) {
  G* g = g_of(t);
  if (!runtime_active() || !g || g->is_g0)
    return real<int (*)(pthread_t, int)>("pthread_kill")(t, sig);
  return kill_thread(g, sig);
}
