// shim/pthread_spin.cpp — pthread_spin_* (glibc 2.36: init ignores pshared
// and never fails; trylock gives EBUSY; no owner checks).
//
// A spinning G must not spin forever: the holder may be another G waiting
// for this very P. So after a short burst of pause-spinning a G yields its
// P (weft::yield) between rounds. A native thread keeps spinning, as NPTL.
#include <errno.h>

#include "core/export.h"
#include "core/self.h"
#include "core/sleep.h"
#include "shim/sync_common.h"

using namespace weft;

namespace {
// Spins between yields: long enough for a holder on another P to finish a
// short critical section, short compared with a context switch.
constexpr int kSpinsBeforeYield = 128;
}  // namespace

WEFT_EXPORT int pthread_spin_init(pthread_spinlock_t* lock, int) {
  __atomic_store_n(lock, 0, __ATOMIC_RELAXED);
  return 0;
}

WEFT_EXPORT int pthread_spin_destroy(pthread_spinlock_t*) { return 0; }

WEFT_EXPORT int pthread_spin_lock(pthread_spinlock_t* lock) {
  if (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE) == 0) return 0;
  for (;;) {
    for (int i = 0; __atomic_load_n(lock, __ATOMIC_RELAXED) != 0; ++i) {
      if (i == kSpinsBeforeYield) {
        if (current_g() != nullptr) {
          // Spinning here, in weft's code, the asynchronous cancellation
          // NPTL would act on anywhere has to be looked for.
          sync::async_cancel_point();
          yield();
        }
        i = 0;
      }
      sync::cpu_relax();
    }
    int expected = 0;
    if (__atomic_compare_exchange_n(lock, &expected, 1, true, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
      return 0;
  }
}

WEFT_EXPORT int pthread_spin_trylock(pthread_spinlock_t* lock) {
  return __atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE) == 0 ? 0 : EBUSY;
}

WEFT_EXPORT int pthread_spin_unlock(pthread_spinlock_t* lock) {
  __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
  return 0;
}
