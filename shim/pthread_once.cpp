// shim/pthread_once.cpp — pthread_once and C11 call_once.
//
// once_control, as glibc: 0 not run, bit 0 "running", bit 1 done. The
// thread that moves 0 -> running runs init_routine and publishes done
// (release) and wakes every waiter; the others sleep while the word says
// running. If init_routine does not return — a C++ exception, pthread_exit
// or cancellation unwinds through pthread_once — the word goes back to 0 and
// the waiters are woken, so one of them runs it (NPTL's cleanup handler).
//
// That reset must run during unwinding although this library is built with
// -fno-exceptions: init_routine is called from a small assembly frame whose
// unwind info names weft_once_personality as its personality routine. The
// unwinder calls it for that frame on every unwind (exception or forced);
// in the cleanup phase it finds once_control pushed by that frame and
// resets it, then lets the unwind continue. No landing pad, no exception support.
//
// Gap: NPTL also restarts a once whose runner was lost to fork() (it keeps a
// fork generation in the word); weft cannot read glibc's counter, so a child
// forked while another thread runs an init_routine waits for it forever.
#include <limits.h>
#include <threads.h>
#include <unwind.h>

#include "core/export.h"
#include "shim/sync_common.h"

using namespace weft;

namespace {

constexpr int kRunning = 1;
constexpr int kDone = 2;

void reset(pthread_once_t* ctl) {
  sync::store(ctl, 0);
  sync::wake(ctl, INT_MAX, false);
}

}  // namespace

// weft_once_run(init, ctl): calls init() with ctl pushed at the frame's
// stack pointer (one push also keeps the call 16-byte aligned). During the
// personality call for this frame, _Unwind_GetCFA reports the frame's stack
// pointer at the call (libgcc: the callee's CFA), so ctl is found there.
extern "C" __attribute__((visibility("hidden"))) void weft_once_run(void (*init)(void),
                                                                    pthread_once_t* ctl);
__asm__(R"(
  .text
  .p2align 4
  .globl weft_once_run
  .hidden weft_once_run
  .type weft_once_run, @function
weft_once_run:
  .cfi_startproc
  .cfi_personality 0x1b, weft_once_personality
  pushq %rsi
  .cfi_adjust_cfa_offset 8
  call *%rdi
  popq %rsi
  .cfi_adjust_cfa_offset -8
  ret
  .cfi_endproc
  .size weft_once_run, .-weft_once_run
)");

// Called by the unwinder for weft_once_run's frame; in the cleanup phase
// (an exception or a forced unwind is leaving init_routine) it reopens the
// once_control.
extern "C" __attribute__((visibility("hidden"), used)) _Unwind_Reason_Code weft_once_personality(
    int version, _Unwind_Action actions, _Unwind_Exception_Class, _Unwind_Exception*,
    _Unwind_Context* ctx) {
  if (version == 1 && (actions & _UA_CLEANUP_PHASE)) {
    auto sp = static_cast<uintptr_t>(_Unwind_GetCFA(ctx));
    reset(*reinterpret_cast<pthread_once_t**>(sp));
  }
  return _URC_CONTINUE_UNWIND;
}

WEFT_EXPORT int pthread_once(pthread_once_t* ctl, void (*init)(void)) {
  for (;;) {
    int v = sync::load(ctl);
    if (v & kDone) return 0;
    if (v == 0) {
      if (!sync::cas(ctl, v, kRunning)) continue;
      weft_once_run(init, ctl);
      sync::store(ctl, kDone);
      sync::wake(ctl, INT_MAX, false);
      return 0;
    }
    sync::async_cancel_point();
    sync::wait(ctl, static_cast<uint32_t>(v), nullptr, CLOCK_REALTIME, false);
  }
}

WEFT_EXPORT void call_once(once_flag* flag, void (*func)(void)) {
  pthread_once(reinterpret_cast<pthread_once_t*>(flag), func);
}

WEFT_EXPORT_ALIAS(pthread_once, __pthread_once);
