// shim/sched_yield.cpp — sched_yield, pthread_yield and C11 thrd_yield: a G
// goes to the back of its P's run queue. A G with asynchronous cancellation
// that yields in a loop spends most of its time in weft's code, where the
// cancellation signal does not act: it acts when the G comes back, if the
// program called (not weft's allocator, which yields while it spins).
#include <sched.h>
#include <stdint.h>
#include <threads.h>

#include "core/async_cancel.h"
#include "core/export.h"
#include "core/preempt.h"
#include "core/self.h"
#include "core/sleep.h"

namespace {
inline void yield_g(const void* caller) {
  weft::yield();
  if (weft::code_of(reinterpret_cast<uintptr_t>(caller)) == weft::CodeOf::kProgram)
    weft::async_cancel_point(weft::current_g());
}
}  // namespace

WEFT_EXPORT int sched_yield(void) {
  yield_g(__builtin_return_address(0));
  return 0;
}

WEFT_EXPORT int pthread_yield(void) {
  yield_g(__builtin_return_address(0));
  return 0;
}

WEFT_EXPORT void thrd_yield(void) { yield_g(__builtin_return_address(0)); }
