// shim/pthread_cond_signal.cpp — pthread_cond_signal and
// pthread_cond_broadcast. Private condvars: bump seq and wake one / all
// sleepers, skipped when no waiter is registered (shim/cond.h). Shared ones:
// glibc's functions (they may briefly wait on the condvar's internal lock).
#include <limits.h>

#include "core/export.h"
#include "shim/cond.h"
#include "shim/sync_common.h"

using namespace weft;

namespace {

int notify(pthread_cond_t* c, int n) {
  if ((sync::load(cond::wrefs(c)) >> 3) == 0) return 0;
  sync::fetch_add(cond::seq(c), 1u);
  sync::wake(cond::seq(c), n, false);
  return 0;
}

}  // namespace

WEFT_EXPORT int pthread_cond_signal(pthread_cond_t* c) {
  if (cond::flags(c) & cond::kShared) {
    static decltype(&pthread_cond_signal) fn;
    return sync::call_real_blocking(&fn, "pthread_cond_signal", c);
  }
  return notify(c, 1);
}

WEFT_EXPORT int pthread_cond_broadcast(pthread_cond_t* c) {
  if (cond::flags(c) & cond::kShared) {
    static decltype(&pthread_cond_broadcast) fn;
    return sync::call_real_blocking(&fn, "pthread_cond_broadcast", c);
  }
  return notify(c, INT_MAX);
}
