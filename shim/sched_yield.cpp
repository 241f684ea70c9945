// shim/sched_yield.cpp — sched_yield, pthread_yield and C11 thrd_yield: a G
// goes to the back of its P's run queue. A G with asynchronous cancellation
// that yields in a loop spends most of its time in weft's code, where the
// cancellation signal does not act: it acts when the G comes back.
#include <sched.h>
#include <threads.h>

#include "core/async_cancel.h"
#include "core/export.h"
#include "core/self.h"
#include "core/sleep.h"

namespace {
void yield_g() {
  weft::yield();
  weft::async_cancel_point(weft::current_g());
}
}  // namespace

WEFT_EXPORT int sched_yield(void) {
  yield_g();
  return 0;
}

WEFT_EXPORT int pthread_yield(void) {
  yield_g();
  return 0;
}

WEFT_EXPORT void thrd_yield(void) { yield_g(); }
