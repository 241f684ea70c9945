// shim/c11_mtx.cpp — C11 mtx_* on the pthread mutex (glibc's C11 functions
// call hidden __pthread_* entry points, so they are interposed here). As
// glibc: a recursive type makes a RECURSIVE mutex, anything else (even an
// invalid type) a NORMAL one; errors map to thrd_* with glibc's table.
#include <threads.h>

#include "core/export.h"
#include "shim/c11.h"
#include "shim/mutex.h"
#include "shim/sync_common.h"

using namespace weft;

WEFT_EXPORT int mtx_init(mtx_t* m, int type) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  bool recursive = type == (mtx_plain | mtx_recursive) || type == (mtx_timed | mtx_recursive);
  pthread_mutexattr_settype(&attr, recursive ? PTHREAD_MUTEX_RECURSIVE : PTHREAD_MUTEX_NORMAL);
  return c11_result(pthread_mutex_init(reinterpret_cast<pthread_mutex_t*>(m), &attr));
}

WEFT_EXPORT int mtx_lock(mtx_t* m) {
  return c11_result(mutex::lock(reinterpret_cast<pthread_mutex_t*>(m), nullptr, CLOCK_REALTIME,
                                false, sync::called_by_program(__builtin_return_address(0))));
}

WEFT_EXPORT int mtx_timedlock(mtx_t* __restrict m, const struct timespec* __restrict t) {
  return c11_result(mutex::lock(reinterpret_cast<pthread_mutex_t*>(m), t, CLOCK_REALTIME, false,
                                sync::called_by_program(__builtin_return_address(0))));
}

WEFT_EXPORT int mtx_trylock(mtx_t* m) {
  return c11_result(mutex::trylock(reinterpret_cast<pthread_mutex_t*>(m)));
}

WEFT_EXPORT int mtx_unlock(mtx_t* m) {
  return c11_result(mutex::unlock(reinterpret_cast<pthread_mutex_t*>(m), true));
}

WEFT_EXPORT void mtx_destroy(mtx_t* m) { pthread_mutex_destroy(reinterpret_cast<pthread_mutex_t*>(m)); }
