// shim/pthread_setaffinity_np.cpp — CPU affinity of a thread. A G runs on
// whichever M holds its P, so a per-thread mask cannot be honoured; weft
// checks the mask as the kernel would (EINVAL when it names no CPU the
// process may use), keeps it in the G and reports it back.
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "core/export.h"
#include "core/real.h"
#include "shim/thread.h"

namespace weft {

int set_thread_affinity(G* g, size_t size, const cpu_set_t* set) {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return errno;
  const unsigned char* want = reinterpret_cast<const unsigned char*>(set);
  const unsigned char* have = reinterpret_cast<const unsigned char*>(&allowed);
  size_t n = size < sizeof allowed ? size : sizeof allowed;
  bool any = false;
  for (size_t i = 0; i < n; i++) any |= (want[i] & have[i]) != 0;
  if (!any) return EINVAL;
  if (!g->affinity && !(g->affinity = static_cast<unsigned char*>(malloc(kAffinityBytes))))
    return ENOMEM;
  memset(g->affinity, 0, kAffinityBytes);
  memcpy(g->affinity, set, n);
  return 0;
}

}  // namespace weft

using namespace weft;

WEFT_EXPORT int pthread_setaffinity_np(pthread_t t, size_t size, const cpu_set_t* set) {
  if (!runtime_active() || !g_of(t))
    return real<int (*)(pthread_t, size_t, const cpu_set_t*)>("pthread_setaffinity_np")(t, size, set);
  return set_thread_affinity(g_of(t), size, set);
}

WEFT_EXPORT int pthread_getaffinity_np(pthread_t t, size_t size, cpu_set_t* set) {
  if (!runtime_active() || !g_of(t))
    return real<int (*)(pthread_t, size_t, cpu_set_t*)>("pthread_getaffinity_np")(t, size, set);
  // The kernel's answer for the size checks (EINVAL), then the G's own mask.
  if (sched_getaffinity(0, size, set) != 0) return errno;
  G* g = g_of(t);
  if (g->affinity) {
    memset(set, 0, size);
    memcpy(set, g->affinity, size < kAffinityBytes ? size : kAffinityBytes);
  }
  return 0;
}
