// shim/pthread_setcancelstate.cpp — pthread_setcancelstate.
//
// glibc's own does the work on the caller's TCB, a G's included. One gap is
// filled here: when enabling acts on a pending asynchronous request, glibc
// 2.36 unwinds without storing PTHREAD_CANCELED as the thread's result (its
// other paths do), so pthread_join would report whatever the thread
// descriptor held (NULL for a fresh one, a former thread's value for a
// reused one). For a G the result is set first, as POSIX wants.
#include <pthread.h>

#include "core/cancel_bits.h"
#include "core/export.h"
#include "core/real.h"
#include "core/self.h"

WEFT_EXPORT int pthread_setcancelstate(int state, int* oldstate) {
  using namespace weft;
  static auto real_fn = real<int (*)(int, int*)>("pthread_setcancelstate");
  void* tcb = thread_pointer();
  if (current_g() && state == PTHREAD_CANCEL_ENABLE &&
      cancel_bits::due_async(cancel_bits::load(tcb) & ~cancel_bits::kDisabled))
    tcb_field<void*>(tcb, tcb_off::kResult) = PTHREAD_CANCELED;
  return real_fn(state, oldstate);
}
