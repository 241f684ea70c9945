// shim/pthread_rwlock_init.cpp — pthread_rwlock_init / _destroy and the
// pthread_rwlockattr_* family (glibc 2.36: kind PREFER_READER_NP,
// PREFER_WRITER_NP or PREFER_WRITER_NONRECURSIVE_NP, else EINVAL; pshared
// PRIVATE or SHARED, else EINVAL). init copies the attribute's kind into
// __flags and pshared into __shared, as glibc, so static initialisers and
// glibc's functions (for shared ones) agree with it.
#include <errno.h>
#include <string.h>

#include "core/export.h"
#include "shim/rwlock.h"
#include "shim/sync_common.h"

namespace {

// glibc's struct pthread_rwlockattr.
struct Attr {
  int lockkind;
  int pshared;
};
Attr* attr_of(pthread_rwlockattr_t* a) { return reinterpret_cast<Attr*>(a); }
const Attr* attr_of(const pthread_rwlockattr_t* a) { return reinterpret_cast<const Attr*>(a); }

}  // namespace

WEFT_EXPORT int pthread_rwlock_init(pthread_rwlock_t* l, const pthread_rwlockattr_t* attr) {
  memset(l, 0, sizeof(*l));
  if (attr != nullptr) {
    l->__data.__flags = static_cast<unsigned>(attr_of(attr)->lockkind);
    l->__data.__shared = attr_of(attr)->pshared != PTHREAD_PROCESS_PRIVATE;
  }
  return 0;
}

WEFT_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t*) { return 0; }

WEFT_EXPORT int pthread_rwlockattr_init(pthread_rwlockattr_t* a) {
  attr_of(a)->lockkind = PTHREAD_RWLOCK_DEFAULT_NP;
  attr_of(a)->pshared = PTHREAD_PROCESS_PRIVATE;
  return 0;
}

WEFT_EXPORT int pthread_rwlockattr_destroy(pthread_rwlockattr_t*) { return 0; }

WEFT_EXPORT int pthread_rwlockattr_setkind_np(pthread_rwlockattr_t* a, int pref) {
  if (pref != PTHREAD_RWLOCK_PREFER_READER_NP && pref != PTHREAD_RWLOCK_PREFER_WRITER_NP &&
      pref != PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP)
    return EINVAL;
  attr_of(a)->lockkind = pref;
  return 0;
}

WEFT_EXPORT int pthread_rwlockattr_getkind_np(const pthread_rwlockattr_t* a, int* pref) {
  *pref = attr_of(a)->lockkind;
  return 0;
}

WEFT_EXPORT int pthread_rwlockattr_setpshared(pthread_rwlockattr_t* a, int pshared) {
  if (pshared != PTHREAD_PROCESS_PRIVATE && pshared != PTHREAD_PROCESS_SHARED) return EINVAL;
  attr_of(a)->pshared = pshared;
  return 0;
}

WEFT_EXPORT int pthread_rwlockattr_getpshared(const pthread_rwlockattr_t* a, int* pshared) {
  *pshared = attr_of(a)->pshared;
  return 0;
}

WEFT_EXPORT_ALIAS(pthread_rwlock_init, __pthread_rwlock_init);
WEFT_EXPORT_ALIAS(pthread_rwlock_destroy, __pthread_rwlock_destroy);
