// shim/sched_setaffinity.cpp — sched_setaffinity and sched_getaffinity on a
// thread: pid 0 (the caller), a thread's id, or the process id (the main
// thread) name a G, whose mask is kept as pthread_setaffinity_np keeps it
// (shim/pthread_setaffinity_np.cpp); the kernel would otherwise restrict the
// M, which runs every other thread too. Other pids are the kernel's.
#include <errno.h>
#include <sched.h>

#include "core/export.h"
#include "core/real.h"
#include "shim/identity.h"
#include "shim/thread.h"

using namespace weft;

namespace {
int fail(int err) {
  if (!err) return 0;
  errno = err;
  return -1;
}
}  // namespace

WEFT_EXPORT int sched_setaffinity(pid_t pid, size_t size, const cpu_set_t* set) {
  G* g = thread_named(pid);
  if (!g)
    return real<int (*)(pid_t, size_t, const cpu_set_t*)>("sched_setaffinity")(pid, size, set);
  int err = set_thread_affinity(g, size, set);
  release_named(g);
  return fail(err);
}

WEFT_EXPORT int sched_getaffinity(pid_t pid, size_t size, cpu_set_t* set) {
  G* g = thread_named(pid);
  if (!g) return real<int (*)(pid_t, size_t, cpu_set_t*)>("sched_getaffinity")(pid, size, set);
  int err = get_thread_affinity(g, size, set);
  release_named(g);
  return fail(err);
}
