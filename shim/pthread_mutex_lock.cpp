// shim/pthread_mutex_lock.cpp — pthread_mutex_lock: blocks the calling G
// (parks it; a non-G caller sleeps in the kernel) until the mutex is taken.
// The uncontended default mutex is taken inline; everything else goes
// through weft::mutex::lock.
#include "core/export.h"
#include "shim/mutex.h"
#include "shim/sync_common.h"
#include "shim/thread.h"

WEFT_EXPORT int pthread_mutex_lock(pthread_mutex_t* m) {
  using namespace weft;
  int expected = 0;
  bool plain = (mutex::kind_of(m) & mutex::kTypeMask) == PTHREAD_MUTEX_TIMED_NP;
  if (plain && sole_thread() && *mutex::lock_word(m) == 0) {  // nobody to race
    *mutex::lock_word(m) = 1;
    m->__data.__owner = self_tid();
    ++m->__data.__nusers;
    return 0;
  }
  if (plain && sync::cas(mutex::lock_word(m), expected, 1)) {
    m->__data.__owner = self_tid();
    ++m->__data.__nusers;
    return 0;
  }
  return mutex::lock(m, nullptr, CLOCK_REALTIME, false,
                     sync::called_by_program(__builtin_return_address(0)));
}

// Names glibc keeps for old binaries.
WEFT_EXPORT_ALIAS(pthread_mutex_lock, __pthread_mutex_lock);
