// shim/pthread_mutex_unlock.cpp — pthread_mutex_unlock (glibc 2.36 errors:
// EPERM for a non-owner of an ERRORCHECK/RECURSIVE/robust/PI mutex, EINVAL
// for a destroyed one, ENOTRECOVERABLE for a recursive robust mutex left
// inconsistent).
#include "core/export.h"
#include "shim/mutex.h"
#include "shim/sync_common.h"

WEFT_EXPORT int pthread_mutex_unlock(pthread_mutex_t* m) {
  return weft::mutex::unlock(m, true);
}

// Names glibc keeps for old binaries.
WEFT_EXPORT_ALIAS(pthread_mutex_unlock, __pthread_mutex_unlock);
