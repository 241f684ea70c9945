// shim/pthread_mutex_init.cpp — pthread_mutex_init and pthread_mutex_destroy.
//
// init translates the attribute word into __kind exactly as glibc 2.36 does
// (ENOTSUP for a robust PRIO_PROTECT mutex; PRIO_PROTECT stores the ceiling,
// default SCHED_FIFO's minimum, in the lock word; robust or pshared mutexes
// get the pshared bit) and adds weft's private-robust bit. destroy gives
// EBUSY while a non-robust mutex is locked or used by a condvar wait
// (__nusers != 0) and poisons __kind so later use returns EINVAL.
#include <string.h>

#include "core/export.h"
#include "shim/mutex.h"
#include "shim/sync_common.h"

using namespace weft::mutex;

WEFT_EXPORT int pthread_mutex_init(pthread_mutex_t* m, const pthread_mutexattr_t* attr) {
  int a = attr != nullptr ? *reinterpret_cast<const int*>(attr) : PTHREAD_MUTEX_NORMAL;
  int protocol = (a & kAttrProtocolMask) >> kAttrProtocolShift;
  bool robust = a & kAttrRobust;
  if (protocol != PTHREAD_PRIO_NONE && protocol != PTHREAD_PRIO_INHERIT && robust)
    return ENOTSUP;
  memset(m, 0, sizeof(*m));
  int kind = a & ~kAttrFlagBits;
  if (robust) kind |= kRobust;
  if (protocol == PTHREAD_PRIO_INHERIT) {
    kind |= kPrioInherit;
  } else if (protocol == PTHREAD_PRIO_PROTECT) {
    kind |= kPrioProtect;
    int ceiling = (a & kAttrCeilingMask) >> kAttrCeilingShift;
    if (ceiling == 0) ceiling = fifo_min_prio();
    m->__data.__lock = ceiling << kCeilingShift;
  }
  if (a & (kAttrPshared | kAttrRobust)) kind |= kPsharedBit;
  if (robust && !(a & kAttrPshared)) kind |= kWeftPrivateRobust;
  weft::sync::store_relaxed(&m->__data.__kind, kind);
  return 0;
}

WEFT_EXPORT int pthread_mutex_destroy(pthread_mutex_t* m) {
  if (!(kind_of(m) & kRobust) && m->__data.__nusers != 0) return EBUSY;
  weft::sync::store_relaxed(&m->__data.__kind, -1);
  return 0;
}

// Names glibc keeps for old binaries.
WEFT_EXPORT_ALIAS(pthread_mutex_init, __pthread_mutex_init);
WEFT_EXPORT_ALIAS(pthread_mutex_destroy, __pthread_mutex_destroy);
