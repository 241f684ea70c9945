// shim/blocking_call.h — system calls that can only wait in the kernel.
//
// A G makes them as raw system calls inside a BlockingSyscallScope, so its
// P serves the other Gs meanwhile (core/blocking.h). Raw, not through
// libc: glibc's wrappers of cancellation points switch to asynchronous
// cancellation and may unwind from inside the call, which would skip the
// scope's end; here a pending request is acted upon only before the call,
// and after a call that a canceller interrupted (core/syscall_cancel.h), as
// NPTL does (a call that completed first returns its result; the request
// then acts at the next cancellation point). Callers that are not Gs call
// libc's function instead, with its own (native) cancellation.
#pragma once
#include <errno.h>

#include "core/blocking.h"
#include "core/self.h"
#include "core/sys.h"
#include "core/syscall_cancel.h"
#include "shim/sync_common.h"

// libc's definition of the function `name`, called with the arguments.
#define WEFT_CALL_REAL(name, ...)                                      \
  ({                                                                   \
    static decltype(&name) weft_real_fn_;                              \
    ::weft::sync::real_cached(&weft_real_fn_, #name)(__VA_ARGS__);     \
  })

namespace weft::blocking {

// A raw result (-errno on failure) as libc returns it.
inline long libc_result(long r) {
  if (r < 0 && r > -4096) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return r;
}

// call() (a raw system call) for a G, as a blocking call that is not a
// cancellation point. A thread with asynchronous cancellation is still
// cancelled in it, as NPTL's signal would do: the canceller interrupts the
// call (its window is one for asynchronous requests only) and the request
// acts once the call's scope is over.
template <class F>
inline long call(F call) {
  long r = -EINTR;
  bool act = false;
  {
    BlockingSyscallScope blocking;
    KernelCallWindow window(current_g(), false);
    if (sync::async_cancel_pending())
      act = true;
    else
      r = call();
    if (window.leave()) act = true;
  }
  if (act) sync::async_cancel_point();
  return r;
}

// The same for a cancellation point (see the top).
template <class F>
inline long call_cancellable(F call) {
  sync::cancel_point();
  long r = -EINTR;
  bool act = false;
  {
    BlockingSyscallScope blocking;
    KernelCallWindow window(current_g(), true);
    // Re-checked once the window is published: a request made before it
    // did not signal (the canceller saw no call to interrupt).
    if (sync::cancel_pending())
      act = true;
    else
      r = call();
    if (window.leave()) act = true;
  }
  if (act) sync::cancel_point();
  return r;
}

// glibc's own function f, a cancellation point that may wait in the
// kernel (the process-shared condvar waits), called with args. glibc acts
// on the request itself, from inside the call: its cancellable waits
// switch to asynchronous cancellation, and weft's signal, which a
// canceller sends as for a call of its own (the window), unwinds the G
// there as glibc's own handler would (core/async_cancel.h). The cleanup
// handler then closes the window and ends the blocking scope, which the
// unwind would otherwise leave open.
struct LibcCall {
  KernelCallWindow* window;
  bool entered;
};
inline void end_libc_call(void* arg) {
  auto* c = static_cast<LibcCall*>(arg);
  c->window->leave();
  if (c->entered) exit_blocking_syscall();
}
template <class Fn, class... Args>
inline auto call_libc_cancellable(Fn f, Args... args) {
  sync::cancel_point();
  bool entered = enter_blocking_syscall();
  KernelCallWindow window(current_g(), true);
  LibcCall call{&window, entered};
  decltype(f(args...)) r;
  pthread_cleanup_push(end_libc_call, &call);
  r = f(args...);
  pthread_cleanup_pop(1);
  return r;
}

}  // namespace weft::blocking
