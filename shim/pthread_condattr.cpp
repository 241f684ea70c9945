// shim/pthread_condattr.cpp — the pthread_condattr_* family on glibc's
// one-int attribute: bit 0 pshared, bit 1 the clock (0 REALTIME, 1
// MONOTONIC). EINVAL for any other clock or pshared value (glibc 2.36).
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "core/export.h"

namespace {
int& bits(pthread_condattr_t* a) { return *reinterpret_cast<int*>(a); }
int bits(const pthread_condattr_t* a) { return *reinterpret_cast<const int*>(a); }
}  // namespace

WEFT_EXPORT int pthread_condattr_init(pthread_condattr_t* a) {
  bits(a) = CLOCK_REALTIME << 1;
  return 0;
}

WEFT_EXPORT int pthread_condattr_destroy(pthread_condattr_t*) { return 0; }

WEFT_EXPORT int pthread_condattr_setpshared(pthread_condattr_t* a, int pshared) {
  if (pshared != PTHREAD_PROCESS_PRIVATE && pshared != PTHREAD_PROCESS_SHARED) return EINVAL;
  bits(a) = (bits(a) & ~1) | (pshared != PTHREAD_PROCESS_PRIVATE);
  return 0;
}

WEFT_EXPORT int pthread_condattr_getpshared(const pthread_condattr_t* a, int* pshared) {
  *pshared = (bits(a) & 1) ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE;
  return 0;
}

WEFT_EXPORT int pthread_condattr_setclock(pthread_condattr_t* a, clockid_t clk) {
  if (clk != CLOCK_MONOTONIC && clk != CLOCK_REALTIME) return EINVAL;
  bits(a) = (bits(a) & ~2) | (clk << 1);
  return 0;
}

WEFT_EXPORT int pthread_condattr_getclock(const pthread_condattr_t* a, clockid_t* clk) {
  *clk = (bits(a) >> 1) & 1;
  return 0;
}
