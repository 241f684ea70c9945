// shim/pthread_mutex_consistent.cpp — pthread_mutex_consistent: the holder
// of a robust mutex returned with EOWNERDEAD (__owner == INCONSISTENT)
// repairs it; anything else is EINVAL (glibc 2.36).
#include "core/export.h"
#include "shim/mutex.h"
#include "shim/sync_common.h"

using namespace weft::mutex;

WEFT_EXPORT int pthread_mutex_consistent(pthread_mutex_t* m) {
  if (!(kind_of(m) & kRobust) || m->__data.__owner != kInconsistent) return EINVAL;
  // The caller holds it: the owner id is the one in the lock word (the M's
  // tid for a process-shared one, see core/wire.h).
  m->__data.__owner = static_cast<int>(*lock_bits(m) & kTidMask);
  return 0;
}

// Names glibc keeps for old binaries.
WEFT_EXPORT_ALIAS(pthread_mutex_consistent, pthread_mutex_consistent_np);
