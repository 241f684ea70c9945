// shim/pthread_detach.cpp — pthread_detach and C11 thrd_detach.
#include <errno.h>
#include <pthread.h>
#include <threads.h>

#include "core/export.h"
#include "core/real.h"
#include "shim/thread.h"

WEFT_EXPORT int pthread_detach(pthread_t t) {
  using namespace weft;
  G* g = g_of(t);
  if (!runtime_active() || !g) return real<int (*)(pthread_t)>("pthread_detach")(t);
  uint32_t life = kJoinable;
  if (g->life.compare_exchange_strong(life, kDetached, std::memory_order_acq_rel)) return 0;
  if (life == kDetached || life == kDetachedExited) return EINVAL;
  if (life == kReaped) return ESRCH;
  // Exited but not joined: detaching frees it (as NPTL), unless a joiner
  // is collecting it right now.
  if (g->joiner.load(std::memory_order_acquire)) return 0;
  if (!g->life.compare_exchange_strong(life, kReaped, std::memory_order_acq_rel)) return 0;
  // The exiting side publishes kExited, then its last write, exit_word:
  // freeing the block before that write lands would lose it to freed memory.
  while (__atomic_load_n(&g->exit_word, __ATOMIC_ACQUIRE) == 0) __builtin_ia32_pause();
  thread_reap(g);
  return 0;
}

WEFT_EXPORT int thrd_detach(thrd_t t) {
  return pthread_detach(t) == 0 ? thrd_success : thrd_error;
}
