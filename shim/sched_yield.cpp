// shim/sched_yield.cpp — sched_yield, pthread_yield and C11 thrd_yield: a G
// goes to the back of its P's run queue.
#include <sched.h>
#include <threads.h>

#include "core/export.h"
#include "core/sleep.h"

WEFT_EXPORT int sched_yield(void) {
  weft::yield();
  return 0;
}

WEFT_EXPORT int pthread_yield(void) {
  weft::yield();
  return 0;
}

WEFT_EXPORT void thrd_yield(void) { weft::yield(); }
