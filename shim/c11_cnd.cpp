// shim/c11_cnd.cpp — C11 cnd_* on the pthread condvar (glibc's C11
// functions call hidden __pthread_* entry points, so they are interposed
// here); errors map to thrd_* with glibc's table (ETIMEDOUT ->
// thrd_timedout).
#include <pthread.h>
#include <threads.h>

#include "core/export.h"
#include "shim/c11.h"

using namespace weft;

WEFT_EXPORT int cnd_init(cnd_t* c) {
  return c11_result(pthread_cond_init(reinterpret_cast<pthread_cond_t*>(c), nullptr));
}

WEFT_EXPORT int cnd_signal(cnd_t* c) {
  return c11_result(pthread_cond_signal(reinterpret_cast<pthread_cond_t*>(c)));
}

WEFT_EXPORT int cnd_broadcast(cnd_t* c) {
  return c11_result(pthread_cond_broadcast(reinterpret_cast<pthread_cond_t*>(c)));
}

WEFT_EXPORT int cnd_wait(cnd_t* c, mtx_t* m) {
  return c11_result(pthread_cond_wait(reinterpret_cast<pthread_cond_t*>(c),
                                      reinterpret_cast<pthread_mutex_t*>(m)));
}

WEFT_EXPORT int cnd_timedwait(cnd_t* __restrict c, mtx_t* __restrict m,
                              const struct timespec* __restrict t) {
  return c11_result(pthread_cond_timedwait(reinterpret_cast<pthread_cond_t*>(c),
                                           reinterpret_cast<pthread_mutex_t*>(m), t));
}

WEFT_EXPORT void cnd_destroy(cnd_t* c) { pthread_cond_destroy(reinterpret_cast<pthread_cond_t*>(c)); }
