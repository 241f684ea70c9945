// shim/pthread_mutex_prioceiling.cpp — pthread_mutex_getprioceiling and
// pthread_mutex_setprioceiling (glibc 2.36 semantics).
//
// setprioceiling takes the mutex without the ceiling protocol (waiting if
// another thread holds it), rewrites the ceiling in the lock word and
// releases it in the same store, waking every sleeper (they re-read the new
// ceiling). The owner of a RECURSIVE one keeps it locked; the owner of an
// ERRORCHECK one gets EDEADLK; the owner of a NORMAL one deadlocks, as in NPTL.
#include <limits.h>

#include "core/export.h"
#include "shim/mutex.h"
#include "shim/sync_common.h"

using namespace weft;
using namespace weft::mutex;

WEFT_EXPORT int pthread_mutex_getprioceiling(const pthread_mutex_t* m, int* prioceiling) {
  if (!(kind_of(m) & kPrioProtect)) return EINVAL;
  *prioceiling = static_cast<int>(
      (static_cast<uint32_t>(sync::load_relaxed(&m->__data.__lock)) & kCeilingMask) >>
      kCeilingShift);
  return 0;
}

WEFT_EXPORT int pthread_mutex_setprioceiling(pthread_mutex_t* m, int prioceiling,
                                             int* old_ceiling) {
  int kind = kind_of(m);
  if (!(kind & kPrioProtect)) return EINVAL;
  if (prioceiling < fifo_min_prio() || prioceiling > fifo_max_prio() ||
      (prioceiling & (kAttrCeilingMask >> kAttrCeilingShift)) != prioceiling)
    return EINVAL;
  bool pshared = kind & kPsharedBit;
  uint32_t* w = lock_bits(m);
  bool locked = false;
  if (m->__data.__owner == self_tid()) {
    int type = kind & kTypeMask;
    if (type == (kPrioProtect | PTHREAD_MUTEX_ERRORCHECK_NP)) return EDEADLK;
    if (type == (kPrioProtect | PTHREAD_MUTEX_RECURSIVE_NP)) locked = true;
  }
  uint32_t old = sync::load(w);
  if (!locked) {
    uint32_t taken = 1;
    for (;;) {
      uint32_t ceil = old & kCeilingMask;
      uint32_t expected = ceil;
      if (sync::cas(w, expected, ceil | taken)) {
        old = ceil;
        break;
      }
      if ((expected & ~kCeilingMask) == 1 && !sync::cas(w, expected, ceil | 2)) {
        old = expected;
        continue;
      }
      sync::wait(w, ceil | 2, nullptr, CLOCK_REALTIME, pshared);
      taken = 2;
      old = sync::load(w);
    }
  }
  int old_prio = static_cast<int>((old & kCeilingMask) >> kCeilingShift);
  if (locked) {
    int err = tpp_change(old_prio, prioceiling);
    if (err != 0) return err;
  }
  // <pthread.h> declares old_ceiling nonnull but glibc accepts NULL; hide
  // the pointer from the optimiser so the check stays.
  __asm__("" : "+r"(old_ceiling));
  if (old_ceiling != nullptr) *old_ceiling = old_prio;
  uint32_t state = locked ? (sync::load(w) & ~kCeilingMask) : 0;
  sync::store(w, state | (static_cast<uint32_t>(prioceiling) << kCeilingShift));
  sync::wake(w, INT_MAX, pshared);
  return 0;
}
