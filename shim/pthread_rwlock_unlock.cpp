// shim/pthread_rwlock_unlock.cpp — pthread_rwlock_unlock. As glibc, the
// caller is the writer iff __cur_writer is its tid, else a reader; unlocking
// a lock one does not hold is undefined (glibc does not check either).
//
// Who is woken (shim/rwlock.h): the last reader out wakes one writer. A
// writer wakes the readers first (or the next writer first under
// WRITER_NONRECURSIVE); if none of those were asleep it wakes the other
// kind, so a waiter that timed out cannot swallow the only wake-up.
#include "core/export.h"
#include "shim/rwlock.h"
#include "shim/sync_common.h"

using namespace weft;
using namespace weft::rwlock;

WEFT_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t* l) {
  if (is_shared(l)) {
    static decltype(&pthread_rwlock_unlock) fn;
    return sync::real_cached(&fn, "pthread_rwlock_unlock")(l);
  }
  if (sync::load_relaxed(&l->__data.__cur_writer) == self_tid()) {
    sync::store_relaxed(&l->__data.__cur_writer, 0);
    __atomic_fetch_and(state(l), ~kWriter, __ATOMIC_SEQ_CST);
    bool readers = sync::load(rwait(l)) != 0;
    bool writers = sync::load(wwait(l)) != 0;
    if (writers_first(l)) {
      if (writers && wake_writer(l) > 0) return 0;
      if (readers) wake_readers(l);
      // A writer that slept through the wake re-checks state itself.
    } else {
      if (readers && wake_readers(l) > 0) return 0;
      if (writers) wake_writer(l);
    }
    return 0;
  }
  uint32_t s = sync::fetch_sub(state(l), 1u) - 1;
  if (s == 0 && sync::load(wwait(l)) != 0) wake_writer(l);
  return 0;
}

WEFT_EXPORT_ALIAS(pthread_rwlock_unlock, __pthread_rwlock_unlock);
