// shim/pthread_setaffinity_np.cpp — CPU affinity of a thread. A G runs on
// whichever M holds its P, so a per-thread mask cannot be honoured; weft
// checks the mask as the kernel would (EINVAL when it names no CPU the
// process may use) and reports the process's own mask back.
#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "core/export.h"
#include "core/real.h"
#include "shim/thread.h"

using namespace weft;

WEFT_EXPORT int pthread_setaffinity_np(pthread_t t, size_t size, const cpu_set_t* set) {
  if (!runtime_active() || !g_of(t))
    return real<int (*)(pthread_t, size_t, const cpu_set_t*)>("pthread_setaffinity_np")(t, size, set);
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return errno;
  size_t n = size < sizeof allowed ? size : sizeof allowed;
  const unsigned char* want = reinterpret_cast<const unsigned char*>(set);
  const unsigned char* have = reinterpret_cast<const unsigned char*>(&allowed);
  for (size_t i = 0; i < n; i++)
    if (want[i] & have[i]) return 0;
  return EINVAL;
}

WEFT_EXPORT int pthread_getaffinity_np(pthread_t t, size_t size, cpu_set_t* set) {
  if (!runtime_active() || !g_of(t))
    return real<int (*)(pthread_t, size_t, cpu_set_t*)>("pthread_getaffinity_np")(t, size, set);
  return sched_getaffinity(0, size, set) == 0 ? 0 : errno;
}
