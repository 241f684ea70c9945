// shim/pthread_cond_init.cpp — pthread_cond_init and pthread_cond_destroy.
// init zeroes the 48 bytes and records pshared / CLOCK_MONOTONIC in __wrefs
// exactly as glibc (so glibc's functions can run a shared one); destroy
// waits until every waiter has left wait (shim/cond.h).
#include <string.h>

#include "core/export.h"
#include "shim/cond.h"
#include "shim/sync_common.h"

using namespace weft;

WEFT_EXPORT int pthread_cond_init(pthread_cond_t* c, const pthread_condattr_t* attr) {
  memset(c, 0, sizeof(*c));
  if (attr != nullptr) {
    int a = *reinterpret_cast<const int*>(attr);
    unsigned f = 0;
    if (a & 1) f |= cond::kShared;
    if ((a >> 1) & 1) f |= cond::kClockMonotonic;  // the clock is bit 1
    *cond::wrefs(c) = f;
  }
  return 0;
}

WEFT_EXPORT int pthread_cond_destroy(pthread_cond_t* c) {
  if (cond::flags(c) & cond::kShared) {
    static decltype(&pthread_cond_destroy) fn;
    return sync::call_real_blocking(&fn, "pthread_cond_destroy", c);
  }
  unsigned w = sync::fetch_or(cond::wrefs(c), cond::kDestroyWaits);
  while ((w >> 3) != 0) {
    sync::wait(cond::wrefs(c), w, nullptr, CLOCK_REALTIME, false);
    w = sync::load(cond::wrefs(c));
  }
  return 0;
}
