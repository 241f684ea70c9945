// shim/gettid.cpp — gettid and the threads that an id names.
//
// A G's id is the one core/tid.h gave it, kept in its TCB: gettid() reads
// it there, so it is stable across migrations and blocking calls, unique
// while the thread lives, and the process id for the main thread. Callers
// that are not Gs (glibc's helper threads) get their kernel tid; a signal
// handler that runs on an M's scheduler context, which is no thread of the
// program, gets the process id rather than the kernel thread's tid, so that
// no program ever holds an M's tid.
#include <sys/syscall.h>
#include <unistd.h>

#include "core/export.h"
#include "core/sys.h"
#include "core/tid.h"
#include "shim/identity.h"
#include "shim/thread.h"

namespace weft {

G* thread_named(pid_t pid) {
  if (!runtime_active()) return nullptr;
  G* self = current_g();
  if (self && self->is_g0) self = nullptr;
  if (pid == 0) return self;
  if (self && pid == self_tid()) return self;
  G* g = tid_hold(pid);
  if (g == self && g) {  // the caller itself, seen through the registry
    tid_unhold(g);
    return self;
  }
  return g;
}

void release_named(G* g) {
  if (g && g != current_g()) tid_unhold(g);
}

}  // namespace weft

WEFT_EXPORT pid_t gettid(void) {
  using namespace weft;
  G* g = current_g();
  if (!g) return pid_t(sys::call6(SYS_gettid));
  if (g->is_g0) return pid_t(sys::call6(SYS_getpid));
  return self_tid();
}
