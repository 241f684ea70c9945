// shim/thread_start.cpp — a thread's first and last frames (NPTL's
// start_thread): the unwind buffer pthread_exit returns to, then the
// destructors and the exit hand-off.
#include <dlfcn.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "core/async_cancel.h"
#include "core/futex.h"
#include "core/sched.h"
#include "core/stack.h"
#include "core/stats.h"
#include "core/tid.h"
#include "core/tls.h"
#include "preload/malloc.h"
#include "shim/keys.h"
#include "shim/robust_list.h"
#include "shim/thread.h"

extern "C" int __sigsetjmp(struct __jmp_buf_tag* env, int savemask);
extern "C" void __call_tls_dtors(void) __attribute__((weak));

namespace weft {

std::atomic<int> live_threads{1};

namespace {

void fin_exited(G* prev, void*) {
  prev->status.store(kGDead, std::memory_order_release);
  uint32_t state = kJoinable;
  if (prev->life.compare_exchange_strong(state, kExited, std::memory_order_acq_rel)) {
    __atomic_store_n(&prev->exit_word, 1, __ATOMIC_SEQ_CST);
    futex_wake(&prev->exit_word, 1 << 30, false);
    return;
  }
  // Detached: nobody will join; free at once. A late join or tryjoin still
  // reads a detached thread that has exited (EINVAL, as NPTL).
  __atomic_store_n(&prev->exit_word, 1, __ATOMIC_RELAXED);
  prev->life.store(kDetachedExited, std::memory_order_release);
  if (!prev->is_main) g_free(prev, prev->m->p);
}

}  // namespace

void thread_reap(G* g) {
  g->life.store(kReaped, std::memory_order_release);
  if (g->is_main) return;
  M* m = current_m();
  g_free(g, m ? m->p : nullptr);
  note_thread_reaped();
}

[[noreturn]] void thread_finish(G* g, void* result) {
  g->result = result;
  // A detached thread is reaped on the switch path (fin_exited), where the
  // allocator's locks must not be taken: count it here, on the G, and
  // before the key destructors: the purge this may start is an allocator
  // call that would bring back the thread state the allocator's destructor
  // just freed, with nothing left to free it again (jemalloc then keeps it
  // listed while the G's TLS is reused).
  if (g->life.load(std::memory_order_acquire) == kDetached) note_thread_reaped();
  if (__call_tls_dtors) __call_tls_dtors();
  run_key_destructors();
  // From here on no cancellation acts (glibc's EXITING, which pthread_exit
  // and cancellation set before unwinding already).
  async_cancel_forget(g);
  release_robust_mutexes();
  tcb_release_thread_buffers(g->tcb);
  free(g->affinity);
  g->affinity = nullptr;
  if (!g->is_main) tcb_unlink(g->tcb);
  stat_add(kStatThreadsExited);
  // Its id names no thread from here on, as an exited task's tid.
  tid_retire(g);
  if (live_threads.fetch_sub(1, std::memory_order_acq_rel) == 1) exit(0);
  // A thread on a stack of its caller's gives back its TLS itself, as
  // NPTL's detached ones do: that takes the allocator's locks, which the
  // switch path must not (and its G lives in memory weft cannot keep for
  // later). Nothing after this uses its dynamic TLS.
  if (g->user_stack) {
    tcb_destroy(g->tcb);
    g->tls_released = true;
  }
  exit_current(g, fin_exited, nullptr);
}

[[noreturn]] void thread_start(G* g) {
  tls_enter_new_g(g->tcb);
  // The target of pthread_exit's unwinding (glibc's __pthread_unwind
  // longjmps to the innermost cleanup_jmp_buf; this one is the outermost).
  __pthread_unwind_buf_t unwind_buf;
  if (__sigsetjmp(reinterpret_cast<struct __jmp_buf_tag*>(unwind_buf.__cancel_jmp_buf), 0) == 0) {
    unwind_buf.__pad[0] = nullptr;  // priv.data.prev
    unwind_buf.__pad[1] = nullptr;  // priv.data.cleanup
    tcb_field<void*>(g->tcb, tcb_off::kCleanupJmpBuf) = &unwind_buf;
    void* result = g->c11 ? reinterpret_cast<void*>(intptr_t(
                                reinterpret_cast<int (*)(void*)>(g->fn)(g->arg)))
                          : g->fn(g->arg);
    thread_finish(g, result);
  }
  // Unwound here by pthread_exit or cancellation: both leave the result
  // in the TCB.
  G* self = current_g();
  thread_finish(self, tcb_field<void*>(self->tcb, tcb_off::kResult));
}

}  // namespace weft
