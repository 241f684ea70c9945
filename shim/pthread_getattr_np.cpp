// shim/pthread_getattr_np.cpp — the attributes of a running thread.
// glibc's version asks the kernel for the affinity of pd->tid, which for a G
// is no task; weft fills in what it knows: the stack block, guard, detach
// state and the scheduling parameters stored in the TCB.
#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "core/export.h"
#include "core/real.h"
#include "shim/thread.h"

WEFT_EXPORT int pthread_getattr_np(pthread_t t, pthread_attr_t* attr) {
  using namespace weft;
  G* g = g_of(t);
  if (!runtime_active() || !g || g->is_main || !g->map_base)
    return real<int (*)(pthread_t, pthread_attr_t*)>("pthread_getattr_np")(t, attr);
  int err = pthread_attr_init(attr);
  if (err) return err;
  // As NPTL: the whole block above the guard, TCB and TLS included.
  pthread_attr_setstack(attr, g->map_base + g->guard, g->map_size - g->guard);
  pthread_attr_setguardsize(attr, g->guard);
  uint32_t life = g->life.load(std::memory_order_acquire);
  pthread_attr_setdetachstate(attr, life == kDetached || life == kDetachedExited
                                        ? PTHREAD_CREATE_DETACHED
                                        : PTHREAD_CREATE_JOINABLE);
  if (g->affinity)
    pthread_attr_setaffinity_np(attr, kAffinityBytes, reinterpret_cast<cpu_set_t*>(g->affinity));
  return 0;
}
