// core/syscall_cancel.h — cancelling a G blocked in the kernel.
//
// A G in a blocking system call that is a POSIX cancellation point (waitpid,
// sigwait, fcntl(F_SETLKW), ...) holds its M in the kernel, where weft's
// wake-ups cannot reach it. NPTL interrupts such a thread with SIGCANCEL;
// weft does the same to the G's M, with a handshake that makes sure the
// signal lands while that G is still in the call (never on another G that
// the M runs later):
//   G:          kcall = kInCall; (re-check the request); syscall;
//               CAS kInCall -> kIdle, or wait for kSignalled and let the
//               queued signal be delivered.
//   canceller:  mark the request; CAS kInCall -> kSignalling; signal the M;
//               kcall = kSignalled.
// weft's handler makes the call fail with EINTR and the caller acts on the
// request (cleanup handlers, PTHREAD_CANCELED). The same signal also asks a
// G to cancel itself asynchronously (core/async_cancel.h). glibc's own
// SIGCANCEL handler is kept for the signals glibc sends (native threads):
// weft's signal is told apart by its si_code and value.
#pragma once
#include <stdint.h>

namespace weft {

struct G;

inline constexpr uint32_t kKcallIdle = 0;
inline constexpr uint32_t kKcallIn = 1;
inline constexpr uint32_t kKcallSignalling = 2;
inline constexpr uint32_t kKcallSignalled = 3;
// In a call that is not a cancellation point: interrupted only for a G
// with asynchronous cancellation.
inline constexpr uint32_t kKcallInAsyncOnly = 4;

// Brackets the system call of a cancellation point (cancellation_point
// true) or of another blocking call made by a G (self may be nullptr: a
// non-G caller, for which it does nothing). Construct it after entering the
// BlockingSyscallScope, and make only the system call inside.
class KernelCallWindow {
 public:
  KernelCallWindow(G* self, bool cancellation_point);
  ~KernelCallWindow() { leave(); }
  // Ends the window early; true when a canceller signalled the M.
  bool leave();
  KernelCallWindow(const KernelCallWindow&) = delete;
  KernelCallWindow& operator=(const KernelCallWindow&) = delete;

 private:
  G* self_;
  uint32_t in_;  // kKcallIn or kKcallInAsyncOnly
  bool signalled_ = false;
};

// Called by pthread_cancel after it marked g's cancellation request: if g
// sits in a cancellable kernel call with cancellation enabled (or in any
// window with asynchronous cancellation), interrupts that call.
void interrupt_kernel_call(G* g);

// Queues weft's SIGCANCEL to kernel thread ktid of this process.
void send_cancel_signal(int ktid);

}  // namespace weft
