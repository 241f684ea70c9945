// shim/pthread_mutex_trylock.cpp — pthread_mutex_trylock: never blocks.
// glibc 2.36 results: EBUSY when held (also for the owner of an
// ERRORCHECK mutex, unlike lock's EDEADLK; robust/PI ERRORCHECK owners get
// EDEADLK), a recursion step for a RECURSIVE owner (EAGAIN on overflow),
// EOWNERDEAD / ENOTRECOVERABLE for robust ones, EINVAL for a PRIO_PROTECT
// ceiling below the caller's priority or a destroyed mutex.
#include "core/export.h"
#include "shim/mutex.h"
#include "shim/sync_common.h"

namespace weft::mutex {

int trylock(pthread_mutex_t* m) {
  int type = kind_of(m) & kTypeMask;
  int id = self_tid();
  int* w = lock_word(m);
  int expected = 0;
  switch (type) {
    case PTHREAD_MUTEX_RECURSIVE_NP:
      if (m->__data.__owner == id) {
        if (m->__data.__count + 1 == 0) return EAGAIN;
        ++m->__data.__count;
        return 0;
      }
      if (sync::load_relaxed(w) != 0 || !sync::cas(w, expected, 1)) return EBUSY;
      m->__data.__count = 1;
      break;
    case PTHREAD_MUTEX_TIMED_NP:
    case PTHREAD_MUTEX_ADAPTIVE_NP:
    case PTHREAD_MUTEX_ERRORCHECK_NP:
      if (sync::load_relaxed(w) != 0 || !sync::cas(w, expected, 1)) return EBUSY;
      break;
    default:
      if (is_tid_type(type)) return tid_trylock(m, type);
      if (is_pp_type(type)) return pp_trylock(m, type);
      return EINVAL;
  }
  m->__data.__owner = id;
  ++m->__data.__nusers;
  return 0;
}

}  // namespace weft::mutex

WEFT_EXPORT int pthread_mutex_trylock(pthread_mutex_t* m) { return weft::mutex::trylock(m); }

// Names glibc keeps for old binaries.
WEFT_EXPORT_ALIAS(pthread_mutex_trylock, __pthread_mutex_trylock);
