// shim/sem_wait.cpp — sem_wait, sem_trywait, sem_timedwait, sem_clockwait
// (protocol in shim/sem.h). glibc 2.36 results: -1 with errno EAGAIN
// (trywait, no token), ETIMEDOUT, EINTR (a signal handler interrupted a
// kernel wait), EINVAL for a bad tv_nsec or, for clockwait, a clock other
// than CLOCK_REALTIME/CLOCK_MONOTONIC, checked before anything else.
// sem_wait and sem_timedwait are cancellation points even when a token is
// available.
#include <errno.h>

#include "core/export.h"
#include "shim/sem.h"
#include "shim/sync_common.h"

using namespace weft;

namespace {

// One attempt (definitive: retry until the value is seen to be 0).
bool take_token(sem::Sem* s, bool definitive) {
  uint64_t d = sync::load_relaxed(&s->data);
  do {
    if ((d & sem::kValueMask) == 0) return false;
    if (sync::cas(&s->data, d, d - 1)) return true;
  } while (definitive);
  return false;
}

void unregister(void* arg) { sync::fetch_sub(&static_cast<sem::Sem*>(arg)->data, sem::kWaiter); }

// Registered as a waiter: sleep until a token can be taken.
int wait_registered(sem::Sem* s, const timespec* abs, clockid_t clk) {
  bool shared = sem::pshared(s);
  uint64_t d = sync::load_relaxed(&s->data);
  for (;;) {
    if ((d & sem::kValueMask) != 0) {
      if (sync::cas(&s->data, d, d - 1 - sem::kWaiter)) return 0;
      continue;
    }
    // A request made before (sem_clockwait has no cancellation point at
    // its entry; glibc's acts when it would block, as here).
    if (sync::cancel_pending()) sync::cancel_point();
    int e;
    {
      sync::AsyncCancelScope cancellable;
      e = sync::wait(sem::value_word(s), 0, abs, clk, shared);
    }
    // A G the runtime woke to be cancelled unwinds here.
    if (sync::cancel_pending()) sync::cancel_point();
    if (e == ETIMEDOUT || e == EINTR) {
      sync::fetch_sub(&s->data, sem::kWaiter);
      errno = e;
      return -1;
    }
    d = sync::load_relaxed(&s->data);
  }
}

int wait_slow(sem::Sem* s, const timespec* abs, clockid_t clk) {
  sync::fetch_add(&s->data, sem::kWaiter);
  volatile int ret;
  // Cancelled while blocked: stop being counted as a waiter.
  pthread_cleanup_push(unregister, s);
  ret = wait_registered(s, abs, clk);
  pthread_cleanup_pop(0);
  return ret;
}

}  // namespace

WEFT_EXPORT int sem_wait(sem_t* s) {
  sync::cancel_point();
  if (take_token(sem::of(s), false)) return 0;
  return wait_slow(sem::of(s), nullptr, CLOCK_REALTIME);
}

WEFT_EXPORT int sem_trywait(sem_t* s) {
  if (take_token(sem::of(s), true)) return 0;
  errno = EAGAIN;
  return -1;
}

WEFT_EXPORT int sem_timedwait(sem_t* __restrict s, const struct timespec* __restrict abstime) {
  if (!sync::valid_nsec(abstime->tv_nsec)) {
    errno = EINVAL;
    return -1;
  }
  sync::cancel_point();
  if (take_token(sem::of(s), false)) return 0;
  return wait_slow(sem::of(s), abstime, CLOCK_REALTIME);
}

WEFT_EXPORT int sem_clockwait(sem_t* __restrict s, clockid_t clk,
                              const struct timespec* __restrict abstime) {
  if (!sync::futex_clock_ok(clk) || !sync::valid_nsec(abstime->tv_nsec)) {
    errno = EINVAL;
    return -1;
  }
  if (take_token(sem::of(s), false)) return 0;
  return wait_slow(sem::of(s), abstime, clk);
}
