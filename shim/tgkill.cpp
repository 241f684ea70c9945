// shim/tgkill.cpp — tgkill, and tkill through syscall(2): a signal to a
// thread by its id.
//
// An id that gettid() gave a G names that G: the signal takes pthread_kill's
// path to it (the handler runs on that G, wherever it runs), and the
// kernel's checks and errors apply (EINVAL for a bad signal number, ESRCH
// once the thread has exited). Any other id goes to the kernel: another
// process's thread, an id that names nothing (ESRCH), or one of weft's
// kernel threads (listed in /proc/self/task), which gets the signal as a
// task would. glibc's reserved signals (SIGCANCEL, SIGSETXID), which
// pthread_kill refuses but tgkill sends, go to the G through the same
// machinery (core/signal.h).
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/export.h"
#include "core/signal.h"
#include "core/sys.h"
#include "shim/identity.h"
#include "shim/thread.h"

namespace weft {
namespace {

constexpr long kSigCancel = 32, kSigSetxid = 33;  // SIGRTMIN - 2, SIGRTMIN - 1

long kernel_kill(long tgid, long tid, long sig) {
  return tgid ? sys::call6(SYS_tgkill, tgid, tid, sig) : sys::call6(SYS_tkill, tid, sig);
}

}  // namespace

long signal_thread(long tgid, long tid, long sig) {
  if (!runtime_active() || tid <= 0 || tgid < 0 || (tgid && tgid != sys::call6(SYS_getpid)))
    return kernel_kill(tgid, tid, sig);
  if (sig < 0 || sig >= NSIG) return -EINVAL;
  G* g = thread_named(pid_t(tid));
  if (!g) return kernel_kill(tgid, tid, sig);
  long r = 0;
  bool reserved = sig == kSigCancel || sig == kSigSetxid;
  if (sig == 0) {
    // Only whether the thread exists.
  } else if (g == current_g()) {
    r = reserved ? sys::call6(SYS_tgkill, sys::call6(SYS_getpid), sys::gettid(), sig)
                 : -pthread_kill(pthread_self(), int(sig));
  } else if (reserved) {
    signal_g(g, int(sig));
  } else {
    r = -pthread_kill(handle_of(g), int(sig));
  }
  release_named(g);
  return r;
}

}  // namespace weft

WEFT_EXPORT int tgkill(pid_t tgid, pid_t tid, int sig) {
  long r = weft::signal_thread(tgid <= 0 ? -1 : tgid, tid, sig);
  if (r < 0) {
    errno = int(-r);
    return -1;
  }
  return 0;
}
