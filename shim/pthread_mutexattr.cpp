// shim/pthread_mutexattr.cpp — the pthread_mutexattr_* family on glibc's
// one-int attribute (kind in the low bits; PRIO_PROTECT ceiling in bits
// 12-23; protocol in 28-29; robust bit 30; pshared bit 31), with glibc
// 2.36's checks: EINVAL for an unknown type, protocol, robustness or pshared
// value, or a ceiling outside SCHED_FIFO's priority range.
#include <errno.h>
#include <string.h>

#include "core/export.h"
#include "shim/mutex.h"
#include "shim/sync_common.h"

using namespace weft::mutex;

namespace {
int& bits(pthread_mutexattr_t* a) { return *reinterpret_cast<int*>(a); }
int bits(const pthread_mutexattr_t* a) { return *reinterpret_cast<const int*>(a); }
}  // namespace

WEFT_EXPORT int pthread_mutexattr_init(pthread_mutexattr_t* a) {
  memset(a, 0, sizeof(*a));
  bits(a) = PTHREAD_MUTEX_NORMAL;
  return 0;
}

WEFT_EXPORT int pthread_mutexattr_destroy(pthread_mutexattr_t*) { return 0; }

WEFT_EXPORT int pthread_mutexattr_settype(pthread_mutexattr_t* a, int type) {
  if (type < PTHREAD_MUTEX_NORMAL || type > PTHREAD_MUTEX_ADAPTIVE_NP) return EINVAL;
  // glibc marks an explicit NORMAL "no lock elision"; gettype hides it.
  if (type == PTHREAD_MUTEX_NORMAL) type |= kNoElision;
  bits(a) = (bits(a) & kAttrFlagBits) | type;
  return 0;
}

WEFT_EXPORT int pthread_mutexattr_gettype(const pthread_mutexattr_t* a, int* type) {
  *type = bits(a) & ~kAttrFlagBits & ~kNoElision;
  return 0;
}

WEFT_EXPORT int pthread_mutexattr_setpshared(pthread_mutexattr_t* a, int pshared) {
  if (pshared == PTHREAD_PROCESS_PRIVATE)
    bits(a) &= ~kAttrPshared;
  else if (pshared == PTHREAD_PROCESS_SHARED)
    bits(a) |= kAttrPshared;
  else
    return EINVAL;
  return 0;
}

WEFT_EXPORT int pthread_mutexattr_getpshared(const pthread_mutexattr_t* a, int* pshared) {
  *pshared = (bits(a) & kAttrPshared) ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE;
  return 0;
}

WEFT_EXPORT int pthread_mutexattr_setrobust(pthread_mutexattr_t* a, int robustness) {
  if (robustness == PTHREAD_MUTEX_STALLED)
    bits(a) &= ~kAttrRobust;
  else if (robustness == PTHREAD_MUTEX_ROBUST)
    bits(a) |= kAttrRobust;
  else
    return EINVAL;
  return 0;
}

WEFT_EXPORT int pthread_mutexattr_getrobust(const pthread_mutexattr_t* a, int* robustness) {
  *robustness = (bits(a) & kAttrRobust) ? PTHREAD_MUTEX_ROBUST : PTHREAD_MUTEX_STALLED;
  return 0;
}

WEFT_EXPORT int pthread_mutexattr_setprotocol(pthread_mutexattr_t* a, int protocol) {
  if (protocol != PTHREAD_PRIO_NONE && protocol != PTHREAD_PRIO_INHERIT &&
      protocol != PTHREAD_PRIO_PROTECT)
    return EINVAL;
  bits(a) = (bits(a) & ~kAttrProtocolMask) | (protocol << kAttrProtocolShift);
  return 0;
}

WEFT_EXPORT int pthread_mutexattr_getprotocol(const pthread_mutexattr_t* a, int* protocol) {
  *protocol = (bits(a) & kAttrProtocolMask) >> kAttrProtocolShift;
  return 0;
}

WEFT_EXPORT int pthread_mutexattr_setprioceiling(pthread_mutexattr_t* a, int ceiling) {
  if (ceiling < fifo_min_prio() || ceiling > fifo_max_prio() ||
      (ceiling & (kAttrCeilingMask >> kAttrCeilingShift)) != ceiling)
    return EINVAL;
  bits(a) = (bits(a) & ~kAttrCeilingMask) | (ceiling << kAttrCeilingShift);
  return 0;
}

WEFT_EXPORT int pthread_mutexattr_getprioceiling(const pthread_mutexattr_t* a, int* ceiling) {
  int c = (bits(a) & kAttrCeilingMask) >> kAttrCeilingShift;
  // Never set: report the default a PRIO_PROTECT mutex would get.
  *ceiling = c != 0 ? c : fifo_min_prio();
  return 0;
}

// Names glibc keeps for old binaries.
WEFT_EXPORT_ALIAS(pthread_mutexattr_setrobust, pthread_mutexattr_setrobust_np);
WEFT_EXPORT_ALIAS(pthread_mutexattr_getrobust, pthread_mutexattr_getrobust_np);
WEFT_EXPORT_ALIAS(pthread_mutexattr_settype, pthread_mutexattr_setkind_np);
WEFT_EXPORT_ALIAS(pthread_mutexattr_gettype, pthread_mutexattr_getkind_np);
WEFT_EXPORT_ALIAS(pthread_mutexattr_init, __pthread_mutexattr_init);
WEFT_EXPORT_ALIAS(pthread_mutexattr_destroy, __pthread_mutexattr_destroy);
WEFT_EXPORT_ALIAS(pthread_mutexattr_settype, __pthread_mutexattr_settype);
