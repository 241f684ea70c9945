// Helpers shared by the lifecycle_*.cpp unit tests (thread lifecycle and
// per-thread identity).
//
// Model: the tests start real pthreads and assert the results glibc 2.36's
// NPTL gives; the same binary also runs under weft (LD_PRELOAD), so nothing
// here depends on timing.  Threads wait on a Gate (mutex + condvar) or in a
// sched_yield loop on an atomic: under weft with one P a spinning thread must
// yield, or the thread it waits for never runs.
#pragma once

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <atomic>
#include <functional>
#include <memory>

namespace lifecycle {

// A one-shot latch: wait() blocks until open() has been called.
class Gate {
 public:
  void open() {
    pthread_mutex_lock(&mu_);
    open_ = true;
    pthread_cond_broadcast(&cv_);
    pthread_mutex_unlock(&mu_);
  }
  void wait() {
    pthread_mutex_lock(&mu_);
    while (!open_) pthread_cond_wait(&cv_, &mu_);
    pthread_mutex_unlock(&mu_);
  }

 private:
  pthread_mutex_t mu_ = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv_ = PTHREAD_COND_INITIALIZER;
  bool open_ = false;
};

using Body = std::function<void *()>;

inline void *run_body(void *p) {
  // unique_ptr so that a body ending in pthread_exit (a forced unwind through
  // this frame) still frees its closure.
  std::unique_ptr<Body> body(static_cast<Body *>(p));
  return (*body)();
}

// pthread_create running `body`; returns pthread_create's result.  When
// creation fails the body never runs and is freed here.
inline int spawn(pthread_t *t, const pthread_attr_t *attr, Body body) {
  Body *heap = new Body(std::move(body));
  int r = pthread_create(t, attr, run_body, heap);
  if (r != 0) delete heap;
  return r;
}

inline int spawn(pthread_t *t, Body body) { return spawn(t, nullptr, std::move(body)); }

// Starts a thread that waits for `gate` and then sets `done`, its last touch
// of both: a test may keep them as locals if it ends with yield_until(done).
inline int spawn_gated(pthread_t *t, const pthread_attr_t *attr, Gate &gate,
                       std::atomic<bool> &done) {
  return spawn(t, attr, [&gate, &done]() -> void * {
    gate.wait();
    done = true;
    return nullptr;
  });
}

inline void yield_until(const std::atomic<bool> &flag) {
  while (!flag.load()) sched_yield();
}

inline void yield_until_at_least(const std::atomic<int> &count, int n) {
  while (count.load() < n) sched_yield();
}

inline timespec now_plus_ms(clockid_t clock, long ms) {
  timespec ts;
  clock_gettime(clock, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

// An absolute time an hour away: a wait with it only ends by the event.
inline timespec far_future(clockid_t clock) { return now_plus_ms(clock, 3600 * 1000L); }

// A join that cannot block: EINVAL for a detached thread, EDEADLK for the
// caller itself, ETIMEDOUT for a joinable thread that still runs (one that
// has ended would be joined). Tests probe with it before a join that would
// hang if the implementation got the case wrong, so that they fail instead.
inline int probe_join(pthread_t t) {
  timespec epoch{0, 0};
  return pthread_timedjoin_np(t, nullptr, &epoch);
}

// True when `p` lies in the stack that `attr` (from pthread_getattr_np)
// describes: [stackaddr, stackaddr + stacksize).
inline bool stack_contains(const pthread_attr_t *attr, const void *p) {
  void *lo;
  size_t size;
  if (pthread_attr_getstack(attr, &lo, &size) != 0) return false;
  auto a = reinterpret_cast<uintptr_t>(p), b = reinterpret_cast<uintptr_t>(lo);
  return a >= b && a < b + size;
}

}  // namespace lifecycle
