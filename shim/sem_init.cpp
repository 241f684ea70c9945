// shim/sem_init.cpp — sem_init, sem_destroy, sem_getvalue (glibc 2.36:
// sem_init fails with EINVAL above SEM_VALUE_MAX; any non-zero pshared means
// shared; destroy does nothing). sem_open/sem_close/sem_unlink are not
// interposed: glibc's create the same layout, which these functions use.
#include <errno.h>

#include "core/export.h"
#include "shim/sem.h"
#include "shim/sync_common.h"

using namespace weft;

WEFT_EXPORT int sem_init(sem_t* s, int pshared, unsigned int value) {
  if (value > SEM_VALUE_MAX) {
    errno = EINVAL;
    return -1;
  }
  sem::Sem* sm = sem::of(s);
  sm->data = value;
  sm->private_ = pshared != 0 ? sem::kFutexShared : 0;
  sm->pad = 0;
  return 0;
}

WEFT_EXPORT int sem_destroy(sem_t*) { return 0; }

WEFT_EXPORT int sem_getvalue(sem_t* __restrict s, int* __restrict value) {
  *value = static_cast<int>(sync::load_relaxed(&sem::of(s)->data) & sem::kValueMask);
  return 0;
}
