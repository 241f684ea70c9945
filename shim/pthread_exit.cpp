// shim/pthread_exit.cpp — pthread_exit, C11 thrd_exit, and
// __pthread_unwind_next (called by C code's pthread_cleanup_pop chain).
//
// A G unwinds like an NPTL thread: glibc's __pthread_unwind runs C++
// destructors and cleanup handlers frame by frame and longjmps to the
// innermost registered cleanup buffer; the outermost is thread_start's, which
// then finishes the thread. The main thread's outermost buffer belongs to
// glibc's __libc_start_call_main, whose code would end the kernel thread
// (an M) or the process; for it weft runs the forced unwind itself and
// finishes the thread when the unwind reaches that frame.
#include <pthread.h>
#include <stdint.h>
#include <threads.h>
#include <unwind.h>

#include "core/cancel_bits.h"
#include "core/export.h"
#include "core/real.h"
#include "shim/thread.h"

namespace weft {

namespace {

// glibc's outermost cleanup buffer of the main thread, in the frame of
// __libc_start_call_main (set when the main G starts unwinding).
void* main_unwind_buf = nullptr;

struct CleanupBuffer {  // glibc's struct _pthread_cleanup_buffer
  void (*routine)(void*);
  void* arg;
  int canceltype;
  CleanupBuffer* prev;
};

_Unwind_Exception main_exc;

// Runs handlers registered with the old _pthread_cleanup_push in frames the
// unwind leaves, as glibc's unwind_stop does.
void run_old_cleanups(uintptr_t cfa, bool all) {
  CleanupBuffer*& cur = tcb_field<CleanupBuffer*>(thread_pointer(), tcb_off::kCleanup);
  while (cur && (all || uintptr_t(cur) < cfa)) {
    CleanupBuffer* next = cur->prev;
    cur->routine(cur->arg);
    cur = next;
  }
}

_Unwind_Reason_Code main_stop(int, _Unwind_Action actions, _Unwind_Exception_Class,
                              _Unwind_Exception*, _Unwind_Context* ctx, void*) {
  uintptr_t cfa = _Unwind_GetCFA(ctx);
  bool done = (actions & _UA_END_OF_STACK) || cfa >= uintptr_t(main_unwind_buf);
  run_old_cleanups(cfa, done);
  if (done) {
    G* g = current_g();
    thread_finish(g, tcb_field<void*>(g->tcb, tcb_off::kResult));
  }
  return _URC_NO_REASON;
}

[[noreturn]] void unwind_to(void* buf) {
  // The outermost buffer is the one without a predecessor.
  bool outermost = buf && static_cast<__pthread_unwind_buf_t*>(buf)->__pad[0] == nullptr;
  if (outermost && current_g() && current_g()->is_main) {
    main_unwind_buf = buf;
    main_exc.exception_class = 0;
    main_exc.exception_cleanup = nullptr;
    _Unwind_ForcedUnwind(&main_exc, main_stop, nullptr);
    __builtin_trap();
  }
  // glibc's __pthread_unwind is hidden; __pthread_unwind_next(b) unwinds to
  // b's predecessor, so hand it a buffer whose predecessor is `buf`.
  __pthread_unwind_buf_t link{};
  link.__pad[0] = buf;
  static auto real_next = real<void (*)(__pthread_unwind_buf_t*)>("__pthread_unwind_next");
  real_next(&link);
  __builtin_trap();
}

}  // namespace
}  // namespace weft

WEFT_EXPORT [[noreturn]] void pthread_exit(void* result) {
  using namespace weft;
  G* g = current_g();
  if (!runtime_active() || !g || g->is_g0) {
    real<void (*)(void*)>("pthread_exit")(result);
    __builtin_unreachable();
  }
  // Where glibc's cancellation puts PTHREAD_CANCELED too (thread_start).
  tcb_field<void*>(g->tcb, tcb_off::kResult) = result;
  // No cancellation acts in the cleanup handlers and destructors the unwind
  // runs (glibc's __do_cancel sets the bit the same way).
  __atomic_fetch_or(cancel_bits::word(g->tcb), cancel_bits::kExiting, __ATOMIC_SEQ_CST);
  unwind_to(tcb_field<void*>(g->tcb, tcb_off::kCleanupJmpBuf));
}

WEFT_EXPORT [[noreturn]] void thrd_exit(int res) {
  pthread_exit(reinterpret_cast<void*>(intptr_t(res)));
}

WEFT_EXPORT [[noreturn]] void __pthread_unwind_next(__pthread_unwind_buf_t* buf) {
  weft::unwind_to(buf->__pad[0]);
}
