// shim/mutex_unlock.cpp — weft::mutex::unlock, behind pthread_mutex_unlock,
// mtx_unlock and the release at the start of a condvar wait.
//
// NORMAL/RECURSIVE/ERRORCHECK/ADAPTIVE: clear __owner, swap the word to 0
// and wake one sleeper if it was 2. The swap is the last access to the mutex
// (POSIX lets another thread destroy and free it as soon as it can lock it),
// so everything needed afterwards is read before. Owner checks as glibc's:
// ERRORCHECK and RECURSIVE give EPERM to a non-owner; NORMAL does not check.
#include "shim/mutex.h"
#include "shim/sync_common.h"

namespace weft::mutex {

int unlock(pthread_mutex_t* m, bool decr) {
  int kind = kind_of(m);
  int type = kind & kTypeMask;
  switch (type) {
    case PTHREAD_MUTEX_TIMED_NP:
    case PTHREAD_MUTEX_ADAPTIVE_NP:
      break;
    case PTHREAD_MUTEX_RECURSIVE_NP:
      if (m->__data.__owner != self_tid()) return EPERM;
      if (--m->__data.__count != 0) return 0;
      break;
    case PTHREAD_MUTEX_ERRORCHECK_NP:
      if (m->__data.__owner != self_tid() || sync::load(lock_word(m)) == 0) return EPERM;
      break;
    default:
      if (is_tid_type(type)) return tid_unlock(m, type, decr);
      if (is_pp_type(type)) return pp_unlock(m, type, decr);
      return EINVAL;
  }
  bool pshared = kind & kPsharedBit;
  m->__data.__owner = 0;
  if (decr) --m->__data.__nusers;
  int* w = lock_word(m);
  if (sync::exchange(w, 0) > 1) sync::wake(w, 1, pshared);
  return 0;
}

}  // namespace weft::mutex
