// shim/pthread_mutex_unlock.cpp — pthread_mutex_unlock (glibc 2.36 errors:
// EPERM for a non-owner of an ERRORCHECK/RECURSIVE/robust/PI mutex, EINVAL
// for a destroyed one, ENOTRECOVERABLE for a recursive robust mutex left
// inconsistent).
#include "core/export.h"
#include "shim/mutex.h"
#include "shim/thread.h"
#include "shim/sync_common.h"

WEFT_EXPORT int pthread_mutex_unlock(pthread_mutex_t* m) {
  using namespace weft;
  // The sole thread's default mutex has no waiters (the word is 1, not 2).
  if ((mutex::kind_of(m) & mutex::kTypeMask) == PTHREAD_MUTEX_TIMED_NP && sole_thread() &&
      *mutex::lock_word(m) == 1) {
    m->__data.__owner = 0;
    --m->__data.__nusers;
    *mutex::lock_word(m) = 0;
    return 0;
  }
  return mutex::unlock(m, true);
}

// Names glibc keeps for old binaries.
WEFT_EXPORT_ALIAS(pthread_mutex_unlock, __pthread_mutex_unlock);
