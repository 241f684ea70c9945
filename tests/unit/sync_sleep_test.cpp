// tests/unit/sync_sleep_test.cpp — nanosleep, clock_nanosleep (relative and
// TIMER_ABSTIME), usleep and sleep: results, errno conventions and the rule
// that a sleep never ends before its time. (thrd_sleep: sync_c11_test.cpp.)
//
// clock_nanosleep returns the error number and leaves errno alone; nanosleep
// returns -1 and sets errno. Only lower bounds on elapsed time are checked.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <vector>

#include <gtest/gtest.h>

#include "sync_test_util.h"

namespace {

using namespace synctest;  // the helpers of sync_test_util.h

long long elapsed_ns(clockid_t c, const timespec& since) { return to_ns(now(c)) - to_ns(since); }

TEST(SyncSleep, NanosleepSleepsAtLeastTheRequestAndLeavesRemAlone) {
  timespec req = {0, 25 * kNsPerMs};
  timespec rem = {77, 77};  // the kernel writes rem only when interrupted
  timespec start = now(CLOCK_MONOTONIC);
  EXPECT_EQ(0, nanosleep(&req, &rem));
  EXPECT_GE(elapsed_ns(CLOCK_MONOTONIC, start), 25 * kNsPerMs);
  EXPECT_EQ(77, rem.tv_sec);
  EXPECT_EQ(77, rem.tv_nsec);
  timespec zero = {0, 0};
  EXPECT_EQ(0, nanosleep(&zero, nullptr));
}

TEST(SyncSleep, NanosleepRejectsInvalidTimespecs) {
  for (timespec bad : {timespec{0, -1}, timespec{0, 1000000000}, timespec{-1, 0}}) {
    errno = 0;
    EXPECT_EQ(-1, nanosleep(&bad, nullptr));
    EXPECT_EQ(EINVAL, errno);
  }
}

TEST(SyncSleep, ClockNanosleepRelativeOnEachClock) {
  for (clockid_t c : {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI}) {
    SCOPED_TRACE(c);
    timespec req = {0, 15 * kNsPerMs};
    timespec start = now(c);
    errno = 0;
    EXPECT_EQ(0, clock_nanosleep(c, 0, &req, nullptr));
    EXPECT_GE(elapsed_ns(c, start), 15 * kNsPerMs);
    EXPECT_EQ(0, errno);
  }
}

TEST(SyncSleep, ClockNanosleepAbsoluteEndsAtTheDeadline) {
  for (clockid_t c : {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME}) {
    SCOPED_TRACE(c);
    timespec deadline = synctest::deadline_in(c, 20 * kNsPerMs);
    EXPECT_EQ(0, clock_nanosleep(c, TIMER_ABSTIME, &deadline, nullptr));
    EXPECT_TRUE(reached(c, deadline));
  }
  // A deadline already past returns at once with 0 (a monotonic deadline of
  // 1 s after boot; on CLOCK_REALTIME, 1970).
  timespec past = {1, 0};
  EXPECT_EQ(0, clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, nullptr));
  EXPECT_EQ(0, clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &past, nullptr));
}

TEST(SyncSleep, ClockNanosleepErrorsAreReturnedNotPutInErrno) {
  timespec ok = {0, 1000};
  struct Case {
    clockid_t clock;
    int flags;
    timespec ts;
    int expected;
  } cases[] = {
      {(clockid_t)12345, 0, ok, EINVAL},
      {(clockid_t)-1, 0, ok, EINVAL},
      {CLOCK_THREAD_CPUTIME_ID, 0, ok, EINVAL},  // glibc refuses it itself
      {CLOCK_MONOTONIC_RAW, 0, ok, ENOTSUP},
      {CLOCK_REALTIME_COARSE, 0, ok, ENOTSUP},
      {CLOCK_MONOTONIC, 0, {0, -1}, EINVAL},
      {CLOCK_MONOTONIC, 0, {0, 1000000000}, EINVAL},
      {CLOCK_MONOTONIC, 0, {-1, 0}, EINVAL},
      {CLOCK_REALTIME, TIMER_ABSTIME, {0, 1000000000}, EINVAL},
      {CLOCK_MONOTONIC, TIMER_ABSTIME, {-1, 0}, EINVAL},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(::testing::Message() << "clock " << k.clock << " flags " << k.flags << " ts "
                                      << k.ts.tv_sec << "," << k.ts.tv_nsec);
    errno = 0;
    EXPECT_EQ(k.expected, clock_nanosleep(k.clock, k.flags, &k.ts, nullptr));
    EXPECT_EQ(0, errno);
  }
}

TEST(SyncSleep, UsleepAndSleep) {
  timespec start = now(CLOCK_MONOTONIC);
  EXPECT_EQ(0, usleep(10000));
  EXPECT_GE(elapsed_ns(CLOCK_MONOTONIC, start), 10 * kNsPerMs);
  EXPECT_EQ(0, usleep(0));
  EXPECT_EQ(0u, sleep(0));
  start = now(CLOCK_MONOTONIC);
  EXPECT_EQ(0u, sleep(1));
  EXPECT_GE(elapsed_ns(CLOCK_MONOTONIC, start), kNsPerSec);
}

TEST(SyncSleep, ConcurrentSleepersEachSleepTheirOwnTime) {
  // Sleepers with different durations, started together; each one checks its
  // own lower bound (a shared timer queue must not wake anyone early).
  constexpr int kThreads = 24;
  std::atomic<int> early{0}, errors{0};
  {
    std::vector<Thread> ts;
    for (int i = 0; i < kThreads; ++i)
      ts.emplace_back([&, i] {
        long long ns = (1 + i % 6) * 5 * kNsPerMs;
        timespec start = now(CLOCK_MONOTONIC);
        int r;
        switch (i % 3) {
          case 0: {
            timespec req = synctest::from_ns(ns);
            r = nanosleep(&req, nullptr);
            break;
          }
          case 1: {
            timespec req = synctest::from_ns(ns);
            r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, nullptr);
            break;
          }
          default: {
            timespec d = synctest::from_ns(to_ns(start) + ns);
            r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &d, nullptr);
          }
        }
        if (r != 0) errors++;
        if (elapsed_ns(CLOCK_MONOTONIC, start) < ns) early++;
      });
  }
  EXPECT_EQ(0, early.load());
  EXPECT_EQ(0, errors.load());
}

std::atomic<int> g_sigusr1_count{0};
void on_sigusr1(int) { g_sigusr1_count++; }

TEST(SyncSleep, SignalHandlerInterruptsNanosleepWithEintrAndRemaining) {
  // The sleeper's 10 s request is interrupted by a handled signal. The signal
  // is re-sent until the sleeper returns, because one sent before it entered
  // nanosleep would be handled without interrupting anything.
  struct sigaction sa = {}, old = {};
  sa.sa_handler = on_sigusr1;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART (nanosleep never restarts anyway)
  ASSERT_EQ(0, sigaction(SIGUSR1, &sa, &old));
  std::atomic<int> done{0}, result{0}, saved_errno{0};
  timespec rem = {0, 0};
  Thread t([&] {
    timespec req = {10, 0};
    result = nanosleep(&req, &rem);
    saved_errno = errno;
    done = 1;
  });
  while (!done.load()) {
    pthread_kill(t.id(), SIGUSR1);
    sched_yield();
  }
  t.join();
  EXPECT_EQ(-1, result.load());
  EXPECT_EQ(EINTR, saved_errno.load());
  // rem is measured to the timer's expiry, which includes the timer slack,
  // so it may exceed the request slightly: only check that time remained.
  EXPECT_GT(to_ns(rem), 0);
  EXPECT_GE(g_sigusr1_count.load(), 1);

  // clock_nanosleep returns EINTR (not -1) and fills rem for relative sleeps.
  done = 0;
  rem = {0, 0};
  Thread t2([&] {
    timespec req = {10, 0};
    result = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
    done = 1;
  });
  while (!done.load()) {
    pthread_kill(t2.id(), SIGUSR1);
    sched_yield();
  }
  t2.join();
  EXPECT_EQ(EINTR, result.load());
  EXPECT_GT(to_ns(rem), 0);
  sigaction(SIGUSR1, &old, nullptr);
}

}  // namespace
