// tests/unit/sync_cond_test.cpp — pthread_cond_* and pthread_condattr_*:
// waits, timed waits on both clocks, error paths, and the rule that a wait
// always returns with the mutex held again (timeout included).
//
// "All waiters are asleep" is established the standard way: each waiter
// counts itself under the mutex and then waits, and pthread_cond_wait
// releases the mutex only once the waiter is registered; so when the main
// thread holds the mutex and sees the full count, every waiter is inside
// pthread_cond_wait.
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <atomic>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "sync_test_util.h"

namespace {

using namespace synctest;  // the helpers of sync_test_util.h

// ---- attributes -------------------------------------------------------------

TEST(SyncCondAttr, DefaultsAndSetters) {
  pthread_condattr_t a;
  ASSERT_EQ(0, pthread_condattr_init(&a));
  clockid_t c = -1;
  int ps = -1;
  EXPECT_EQ(0, pthread_condattr_getclock(&a, &c));
  EXPECT_EQ(CLOCK_REALTIME, c);
  EXPECT_EQ(0, pthread_condattr_getpshared(&a, &ps));
  EXPECT_EQ(PTHREAD_PROCESS_PRIVATE, ps);

  EXPECT_EQ(0, pthread_condattr_setclock(&a, CLOCK_MONOTONIC));
  EXPECT_EQ(0, pthread_condattr_getclock(&a, &c));
  EXPECT_EQ(CLOCK_MONOTONIC, c);
  for (clockid_t bad : {CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
                        CLOCK_BOOTTIME, CLOCK_REALTIME_COARSE, (clockid_t)99}) {
    EXPECT_EQ(EINVAL, pthread_condattr_setclock(&a, bad)) << bad;
  }
  EXPECT_EQ(0, pthread_condattr_getclock(&a, &c));
  EXPECT_EQ(CLOCK_MONOTONIC, c);
  EXPECT_EQ(0, pthread_condattr_setclock(&a, CLOCK_REALTIME));
  EXPECT_EQ(0, pthread_condattr_getclock(&a, &c));
  EXPECT_EQ(CLOCK_REALTIME, c);

  EXPECT_EQ(0, pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
  EXPECT_EQ(0, pthread_condattr_getpshared(&a, &ps));
  EXPECT_EQ(PTHREAD_PROCESS_SHARED, ps);
  EXPECT_EQ(EINVAL, pthread_condattr_setpshared(&a, 3));
  EXPECT_EQ(0, pthread_condattr_getpshared(&a, &ps));
  EXPECT_EQ(PTHREAD_PROCESS_SHARED, ps);
  EXPECT_EQ(0, pthread_condattr_destroy(&a));
}

// ---- signal / broadcast -----------------------------------------------------

TEST(SyncCond, SignalAndBroadcastWithoutWaitersSucceed) {
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  EXPECT_EQ(0, pthread_cond_signal(&c));
  EXPECT_EQ(0, pthread_cond_broadcast(&c));
  EXPECT_EQ(0, pthread_cond_destroy(&c));
}

// N waiters are all asleep in pthread_cond_wait (see the file comment), then
// `wake` runs with the mutex held.
struct Waiters {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  pthread_cond_t all_waiting = PTHREAD_COND_INITIALIZER;
  int waiting = 0;
  int tokens = 0;   // each waiter leaves after consuming one token
  int woken = 0;
  int errors = 0;
};

TEST(SyncCond, EachSignalReleasesOneWaiterAndBroadcastReleasesAll) {
  constexpr int kWaiters = 32;
  Waiters w;
  std::vector<Thread> ts;
  for (int i = 0; i < kWaiters; ++i)
    ts.emplace_back([&] {
      pthread_mutex_lock(&w.m);
      if (++w.waiting == kWaiters) pthread_cond_signal(&w.all_waiting);
      while (w.tokens == 0)
        if (pthread_cond_wait(&w.c, &w.m) != 0) w.errors++;
      w.tokens--;
      w.woken++;
      pthread_mutex_unlock(&w.m);
    });
  pthread_mutex_lock(&w.m);
  while (w.waiting < kWaiters) pthread_cond_wait(&w.all_waiting, &w.m);
  // Every waiter is now inside pthread_cond_wait.
  for (int i = 0; i < kWaiters / 2; ++i) {
    w.tokens++;
    EXPECT_EQ(0, pthread_cond_signal(&w.c));
  }
  pthread_mutex_unlock(&w.m);
  // Half leave; wait for them, then release the rest with one broadcast.
  synctest::yield_until([&] {
    pthread_mutex_lock(&w.m);
    bool done = w.woken == kWaiters / 2;
    pthread_mutex_unlock(&w.m);
    return done;
  });
  pthread_mutex_lock(&w.m);
  w.tokens += kWaiters - kWaiters / 2;
  EXPECT_EQ(0, pthread_cond_broadcast(&w.c));
  pthread_mutex_unlock(&w.m);
  ts.clear();
  EXPECT_EQ(kWaiters, w.woken);
  EXPECT_EQ(0, w.tokens);
  EXPECT_EQ(0, w.errors);
}

TEST(SyncCond, WaitReturnsWithTheMutexHeld) {
  pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  bool flag = false;
  std::atomic<int> held_after_wait{-1};
  Thread t([&] {
    pthread_mutex_lock(&m);
    while (!flag) pthread_cond_wait(&c, &m);
    // An errorcheck mutex knows its owner: relocking must say EDEADLK.
    held_after_wait = pthread_mutex_lock(&m) == EDEADLK;
    pthread_mutex_unlock(&m);
  });
  pthread_mutex_lock(&m);
  flag = true;
  pthread_cond_signal(&c);
  pthread_mutex_unlock(&m);
  t.join();
  EXPECT_EQ(1, held_after_wait.load());
}

TEST(SyncCond, WaitWithErrorcheckMutexNotHeldIsEperm) {
  pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  EXPECT_EQ(EPERM, pthread_cond_wait(&c, &m));
  timespec ts = far_deadline(CLOCK_REALTIME);
  EXPECT_EQ(EPERM, pthread_cond_timedwait(&c, &m, &ts));
  pthread_mutex_lock(&m);
  EXPECT_EQ(EPERM, in_other_thread([&] { return pthread_cond_wait(&c, &m); }));
  pthread_mutex_unlock(&m);
  // The failed waits left no waiter behind: destroy does not block.
  EXPECT_EQ(0, pthread_cond_destroy(&c));
}

// ---- timed waits ---------------------------------------------------------------

TEST(SyncCondTimed, InvalidNanosecondsIsEinvalAndTheMutexStaysHeld) {
  pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  pthread_mutex_lock(&m);
  timespec ts = {0, -1};
  EXPECT_EQ(EINVAL, pthread_cond_timedwait(&c, &m, &ts));
  ts.tv_nsec = 1000000000;
  EXPECT_EQ(EINVAL, pthread_cond_timedwait(&c, &m, &ts));
  EXPECT_EQ(EINVAL, pthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC, &ts));
  ts.tv_nsec = 0;
  EXPECT_EQ(EINVAL, pthread_cond_clockwait(&c, &m, (clockid_t)99, &ts));
  EXPECT_EQ(EINVAL, pthread_cond_clockwait(&c, &m, CLOCK_BOOTTIME, &ts));
  EXPECT_EQ(EINVAL, pthread_cond_clockwait(&c, &m, CLOCK_PROCESS_CPUTIME_ID, &ts));
  EXPECT_EQ(EDEADLK, pthread_mutex_lock(&m));  // still ours
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
}

TEST(SyncCondTimed, PastDeadlinesTimeOutWithTheMutexReacquired) {
  pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  pthread_mutex_lock(&m);
  timespec zero = {0, 0}, negative = {-1, 0};
  EXPECT_EQ(ETIMEDOUT, pthread_cond_timedwait(&c, &m, &zero));
  EXPECT_EQ(EDEADLK, pthread_mutex_lock(&m));
  EXPECT_EQ(ETIMEDOUT, pthread_cond_timedwait(&c, &m, &negative));
  EXPECT_EQ(EDEADLK, pthread_mutex_lock(&m));
  EXPECT_EQ(ETIMEDOUT, pthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC, &zero));
  EXPECT_EQ(ETIMEDOUT, pthread_cond_clockwait(&c, &m, CLOCK_REALTIME, &negative));
  EXPECT_EQ(EDEADLK, pthread_mutex_lock(&m));
  EXPECT_EQ(EBUSY, in_other_thread([&] { return pthread_mutex_trylock(&m); }));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
}

// A timed wait on `clock` (given by the condattr, or explicitly with
// clockwait) that nobody signals: ETIMEDOUT, not before the deadline, with the
// mutex held.
void expect_timeout_on(clockid_t attr_clock, bool use_clockwait, clockid_t wait_clock) {
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, attr_clock);
  pthread_cond_t c;
  ASSERT_EQ(0, pthread_cond_init(&c, &a));
  pthread_condattr_destroy(&a);
  pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
  pthread_mutex_lock(&m);
  timespec deadline = deadline_in(wait_clock, 30 * kNsPerMs);
  int r;
  do {  // a spurious wake-up is allowed; a 0 before the deadline is not wrong
    r = use_clockwait ? pthread_cond_clockwait(&c, &m, wait_clock, &deadline)
                      : pthread_cond_timedwait(&c, &m, &deadline);
  } while (r == 0);
  EXPECT_EQ(ETIMEDOUT, r);
  EXPECT_TRUE(reached(wait_clock, deadline));
  EXPECT_EQ(EDEADLK, pthread_mutex_lock(&m));
  pthread_mutex_unlock(&m);
  pthread_cond_destroy(&c);
}

TEST(SyncCondTimed, TimedwaitUsesTheAttributeClock) {
  // A monotonic deadline read as CLOCK_REALTIME would be decades in the
  // past and time out at once, before the monotonic deadline.
  expect_timeout_on(CLOCK_REALTIME, false, CLOCK_REALTIME);
  expect_timeout_on(CLOCK_MONOTONIC, false, CLOCK_MONOTONIC);
}

TEST(SyncCondTimed, ClockwaitUsesItsArgumentNotTheAttribute) {
  expect_timeout_on(CLOCK_REALTIME, true, CLOCK_MONOTONIC);
  expect_timeout_on(CLOCK_MONOTONIC, true, CLOCK_REALTIME);
}

TEST(SyncCondTimed, SignalBeforeTheDeadlineReturnsZero) {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  bool flag = false;
  std::atomic<int> result{-1};
  Thread t([&] {
    pthread_mutex_lock(&m);
    timespec ts = far_deadline(CLOCK_MONOTONIC);
    int r = 0;
    while (!flag && r == 0) r = pthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC, &ts);
    result = r;
    pthread_mutex_unlock(&m);
  });
  pthread_mutex_lock(&m);
  flag = true;
  pthread_cond_broadcast(&c);
  pthread_mutex_unlock(&m);
  t.join();
  EXPECT_EQ(0, result.load());
}

TEST(SyncCondTimed, TimeoutsAndSignalsMixedLoseNoWakeup) {
  // Waiters use short deadlines and loop; a producer hands out tokens with
  // signal. Every token is consumed exactly once whatever the interleaving.
  constexpr int kWaiters = 8, kTokens = 2000;
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  int tokens = 0, produced = 0, consumed = 0;
  bool done = false;
  std::atomic<int> errors{0};
  {
    std::vector<Thread> ts;
    for (int i = 0; i < kWaiters; ++i)
      ts.emplace_back([&] {
        pthread_mutex_lock(&m);
        for (;;) {
          while (tokens == 0 && !done) {
            timespec d = deadline_in(CLOCK_REALTIME, 200000);  // 0.2 ms
            int r = pthread_cond_timedwait(&c, &m, &d);
            if (r != 0 && r != ETIMEDOUT) errors++;
          }
          if (tokens == 0) break;
          tokens--;
          consumed++;
        }
        pthread_mutex_unlock(&m);
      });
    for (int i = 0; i < kTokens; ++i) {
      pthread_mutex_lock(&m);
      tokens++;
      produced++;
      pthread_cond_signal(&c);
      pthread_mutex_unlock(&m);
    }
    pthread_mutex_lock(&m);
    while (tokens != 0) {  // let the waiters drain, then stop them
      pthread_mutex_unlock(&m);
      sched_yield();
      pthread_mutex_lock(&m);
    }
    done = true;
    pthread_cond_broadcast(&c);
    pthread_mutex_unlock(&m);
  }
  EXPECT_EQ(kTokens, produced);
  EXPECT_EQ(kTokens, consumed);
  EXPECT_EQ(0, errors.load());
}

// ---- initialisation ----------------------------------------------------------

TEST(SyncCondInit, ZeroFilledAndCopiedBeforeFirstUse) {
  // PTHREAD_COND_INITIALIZER is all zeros; a copy of an initialised, unused
  // condvar (here a MONOTONIC one) keeps its clock.
  static pthread_cond_t zeroed;
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  pthread_cond_t tmpl;
  ASSERT_EQ(0, pthread_cond_init(&tmpl, &a));
  auto copy = std::make_unique<pthread_cond_t>();
  memcpy(copy.get(), &tmpl, sizeof tmpl);

  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  bool flag = false;
  Thread t([&] {
    pthread_mutex_lock(&m);
    while (!flag) pthread_cond_wait(&zeroed, &m);
    pthread_mutex_unlock(&m);
  });
  pthread_mutex_lock(&m);
  flag = true;
  pthread_cond_signal(&zeroed);
  pthread_mutex_unlock(&m);
  t.join();

  pthread_mutex_lock(&m);
  timespec d = deadline_in(CLOCK_MONOTONIC, 20 * kNsPerMs);
  int r;
  while ((r = pthread_cond_timedwait(copy.get(), &m, &d)) == 0) {
  }
  EXPECT_EQ(ETIMEDOUT, r);
  EXPECT_TRUE(reached(CLOCK_MONOTONIC, d));
  pthread_mutex_unlock(&m);
  pthread_cond_destroy(copy.get());
  pthread_cond_destroy(&tmpl);
  pthread_condattr_destroy(&a);
}

}  // namespace
