// tests/unit/sync_test_util.h — helpers shared by the tests/unit/sync_*_test.cpp
// files (synchronization objects, semaphores, sleeps).
//
// Model: every expectation in those tests is glibc 2.36 NPTL's exact result, so
// the same binary passes natively and under weft. Threads are ordered only by
// blocking primitives (Event below, joins) or by polling a state with
// sched_yield(); never by sleeping. Time is only checked as a lower bound
// ("the wait did not end before its deadline"), never as an upper bound.
#pragma once
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>

#include <functional>
#include <memory>
#include <utility>

namespace synctest {

inline constexpr long long kNsPerSec = 1000000000LL;
inline constexpr long long kNsPerMs = 1000000LL;

inline timespec now(clockid_t clock) {
  timespec t;
  clock_gettime(clock, &t);
  return t;
}

inline long long to_ns(const timespec& t) {
  return (long long)t.tv_sec * kNsPerSec + t.tv_nsec;
}

inline timespec from_ns(long long ns) {
  timespec t;
  t.tv_sec = ns / kNsPerSec;
  t.tv_nsec = ns % kNsPerSec;
  return t;
}

// now(clock) + ns, as an absolute deadline.
inline timespec deadline_in(clockid_t clock, long long ns) {
  return from_ns(to_ns(now(clock)) + ns);
}

// True when `clock` has reached `deadline` (a timed wait may not end earlier).
inline bool reached(clockid_t clock, const timespec& deadline) {
  return to_ns(now(clock)) >= to_ns(deadline);
}

// A deadline far in the future: waits that use it end only by being woken.
inline timespec far_deadline(clockid_t clock) { return deadline_in(clock, 3600 * kNsPerSec); }

// A pthread running a std::function; joined by join() or the destructor.
class Thread {
 public:
  explicit Thread(std::function<void()> fn, size_t stack_size = 0)
      : fn_(std::make_unique<std::function<void()>>(std::move(fn))) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (stack_size) pthread_attr_setstacksize(&attr, stack_size);
    ok_ = pthread_create(&tid_, &attr, &Thread::trampoline, fn_.get()) == 0;
    pthread_attr_destroy(&attr);
  }
  ~Thread() { join(); }
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;
  Thread(Thread&& o) noexcept : fn_(std::move(o.fn_)), tid_(o.tid_), ok_(o.ok_) { o.ok_ = false; }

  bool started() const { return ok_; }
  pthread_t id() const { return tid_; }
  void join() {
    if (ok_) pthread_join(tid_, nullptr);
    ok_ = false;
  }

 private:
  static void* trampoline(void* p) {
    (*static_cast<std::function<void()>*>(p))();
    return nullptr;
  }
  std::unique_ptr<std::function<void()>> fn_;
  pthread_t tid_{};
  bool ok_ = false;
};

// Runs fn on a new thread and returns its result (for "what does another
// thread get" checks).
inline int in_other_thread(const std::function<int()>& fn) {
  int r = -12345;
  Thread t([&] { r = fn(); });
  t.join();
  return r;
}

// A one-shot or counting signal between threads, built on a mutex and a
// condition variable (both tested elsewhere; used here only for ordering).
class Event {
 public:
  Event() {
    pthread_mutex_init(&m_, nullptr);
    pthread_cond_init(&c_, nullptr);
  }
  ~Event() {
    pthread_cond_destroy(&c_);
    pthread_mutex_destroy(&m_);
  }
  void post() {
    pthread_mutex_lock(&m_);
    ++count_;
    pthread_cond_broadcast(&c_);
    pthread_mutex_unlock(&m_);
  }
  // Blocks until post() has been called at least n times in all.
  void wait_for(long n = 1) {
    pthread_mutex_lock(&m_);
    while (count_ < n) pthread_cond_wait(&c_, &m_);
    pthread_mutex_unlock(&m_);
  }

 private:
  pthread_mutex_t m_;
  pthread_cond_t c_;
  long count_ = 0;
};

// Polls pred() with sched_yield() until it holds (for states that have no
// blocking notification, e.g. "a writer is now queued on this rwlock").
template <class Pred>
inline void yield_until(Pred pred) {
  while (!pred()) sched_yield();
}

}  // namespace synctest
