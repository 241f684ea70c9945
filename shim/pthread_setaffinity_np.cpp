// shim/pthread_setaffinity_np.cpp — CPU affinity of a thread. A G runs on
// whichever M holds its P, so a per-thread mask cannot be honoured; weft
// checks the mask as the kernel would (EINVAL when it names no CPU the
// process may use), keeps it in the G and reports it back. The Ms keep the
// process's mask. sched_setaffinity and sched_getaffinity on a thread's id
// do the same (shim/sched_setaffinity.cpp).
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "core/export.h"
#include "core/real.h"
#include "core/sys.h"
#include "shim/thread.h"

namespace weft {

namespace {
// The calling kernel thread's mask, as sched_getaffinity gives it (the rest
// of set zeroed), or the kernel's error: EINVAL for a size smaller than the
// kernel's mask. Asked of the kernel directly: sched_getaffinity(0) in a G
// is the G's mask (shim/sched_setaffinity.cpp).
int m_affinity(size_t size, cpu_set_t* set) {
  long n = sys::call6(SYS_sched_getaffinity, 0, long(size), long(set));
  if (n < 0) return int(-n);
  memset(reinterpret_cast<char*>(set) + n, 0, size - size_t(n));
  return 0;
}
}  // namespace

int set_thread_affinity(G* g, size_t size, const cpu_set_t* set) {
  cpu_set_t allowed;
  if (int err = m_affinity(sizeof allowed, &allowed)) return err;
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

int get_thread_affinity(G* g, size_t size, cpu_set_t* set) {
  // The kernel's answer for the size checks (EINVAL), then the G's own mask.
  if (int err = m_affinity(size, set)) return err;
  if (g->affinity) {
    memset(set, 0, size);
    memcpy(set, g->affinity, size < kAffinityBytes ? size : kAffinityBytes);
  }
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
  return get_thread_affinity(g_of(t), size, set);
}
