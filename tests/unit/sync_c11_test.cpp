// tests/unit/sync_c11_test.cpp — C11 <threads.h> synchronization: mtx_*,
// cnd_*, call_once and thrd_sleep, with glibc 2.36's result mapping
// (0 -> thrd_success, EBUSY -> thrd_busy, ETIMEDOUT -> thrd_timedout,
// anything else -> thrd_error; thrd_sleep: 0, -1 on EINTR, -2 otherwise).
//
// glibc's C11 functions call its hidden __pthread_* entry points, not the
// exported ones, so an interposer must cover them separately; these tests
// catch a C11 call that bypasses it.
#include <errno.h>
#include <threads.h>
#include <time.h>

#include <atomic>
#include <vector>

#include <gtest/gtest.h>

#include "sync_test_util.h"

namespace {

using namespace synctest;  // the helpers of sync_test_util.h

TEST(SyncC11Mtx, PlainAndTimedResults) {
  for (int type : {mtx_plain, mtx_timed}) {
    SCOPED_TRACE(type);
    mtx_t m;
    ASSERT_EQ(thrd_success, mtx_init(&m, type));
    EXPECT_EQ(thrd_success, mtx_lock(&m));
    EXPECT_EQ(thrd_busy, mtx_trylock(&m));
    EXPECT_EQ(thrd_busy, in_other_thread([&] { return mtx_trylock(&m); }));
    in_other_thread([&] {
      timespec past = {0, 0};
      EXPECT_EQ(thrd_timedout, mtx_timedlock(&m, &past));
      timespec bad = {0, -1};
      EXPECT_EQ(thrd_error, mtx_timedlock(&m, &bad));  // EINVAL
      timespec d = deadline_in(CLOCK_REALTIME, 20 * kNsPerMs);
      EXPECT_EQ(thrd_timedout, mtx_timedlock(&m, &d));
      EXPECT_TRUE(reached(CLOCK_REALTIME, d));
      return 0;
    });
    EXPECT_EQ(thrd_success, mtx_unlock(&m));
    timespec d = far_deadline(CLOCK_REALTIME);
    EXPECT_EQ(thrd_success, mtx_timedlock(&m, &d));
    EXPECT_EQ(thrd_success, mtx_unlock(&m));
    mtx_destroy(&m);
  }
}

TEST(SyncC11Mtx, RecursiveCountsAndUnknownTypeIsPlain) {
  for (int type : {mtx_plain | mtx_recursive, mtx_timed | mtx_recursive}) {
    mtx_t m;
    ASSERT_EQ(thrd_success, mtx_init(&m, type));
    EXPECT_EQ(thrd_success, mtx_lock(&m));
    EXPECT_EQ(thrd_success, mtx_lock(&m));
    EXPECT_EQ(thrd_success, mtx_trylock(&m));
    EXPECT_EQ(thrd_success, mtx_unlock(&m));
    EXPECT_EQ(thrd_success, mtx_unlock(&m));
    EXPECT_EQ(thrd_busy, in_other_thread([&] { return mtx_trylock(&m); }));
    EXPECT_EQ(thrd_success, mtx_unlock(&m));
    EXPECT_EQ(thrd_error, mtx_unlock(&m));  // EPERM: no longer owned
    mtx_destroy(&m);
  }
  // glibc maps any other type to a plain mutex.
  mtx_t m;
  ASSERT_EQ(thrd_success, mtx_init(&m, 77));
  EXPECT_EQ(thrd_success, mtx_lock(&m));
  EXPECT_EQ(thrd_busy, mtx_trylock(&m));
  EXPECT_EQ(thrd_success, mtx_unlock(&m));
  mtx_destroy(&m);
}

TEST(SyncC11Mtx, ContendedCountIsExact) {
  mtx_t m;
  ASSERT_EQ(thrd_success, mtx_init(&m, mtx_timed));
  long counter = 0;
  std::atomic<int> errors{0};
  {
    std::vector<Thread> ts;
    for (int i = 0; i < 8; ++i)
      ts.emplace_back([&, i] {
        for (int k = 0; k < 5000; ++k) {
          int r;
          if ((i + k) & 1) {
            r = mtx_lock(&m);
          } else {
            timespec d = far_deadline(CLOCK_REALTIME);
            r = mtx_timedlock(&m, &d);
          }
          if (r != thrd_success) errors++;
          ++counter;
          mtx_unlock(&m);
        }
      });
  }
  EXPECT_EQ(8L * 5000, counter);
  EXPECT_EQ(0, errors.load());
  mtx_destroy(&m);
}

TEST(SyncC11Cnd, TimedwaitResultsAndMutexReacquired) {
  mtx_t m;
  cnd_t c;
  ASSERT_EQ(thrd_success, mtx_init(&m, mtx_plain));
  ASSERT_EQ(thrd_success, cnd_init(&c));
  EXPECT_EQ(thrd_success, cnd_signal(&c));
  EXPECT_EQ(thrd_success, cnd_broadcast(&c));
  ASSERT_EQ(thrd_success, mtx_lock(&m));
  timespec past = {0, 0};
  EXPECT_EQ(thrd_timedout, cnd_timedwait(&c, &m, &past));
  EXPECT_EQ(thrd_busy, in_other_thread([&] { return mtx_trylock(&m); }));  // held again
  timespec bad = {0, 1000000000};
  EXPECT_EQ(thrd_error, cnd_timedwait(&c, &m, &bad));
  timespec d = deadline_in(CLOCK_REALTIME, 20 * kNsPerMs);
  int r;
  while ((r = cnd_timedwait(&c, &m, &d)) == thrd_success) {
  }
  EXPECT_EQ(thrd_timedout, r);
  EXPECT_TRUE(reached(CLOCK_REALTIME, d));
  EXPECT_EQ(thrd_success, mtx_unlock(&m));
  cnd_destroy(&c);
  mtx_destroy(&m);
}

TEST(SyncC11Cnd, WaitSignalBroadcast) {
  mtx_t m;
  cnd_t c;
  mtx_init(&m, mtx_plain);
  cnd_init(&c);
  constexpr int kWaiters = 16;
  int tokens = 0, woken = 0;
  std::atomic<int> errors{0};
  {
    std::vector<Thread> ts;
    for (int i = 0; i < kWaiters; ++i)
      ts.emplace_back([&, i] {
        mtx_lock(&m);
        while (tokens == 0) {
          int r;
          if (i & 1) {
            r = cnd_wait(&c, &m);
          } else {
            timespec d = far_deadline(CLOCK_REALTIME);
            r = cnd_timedwait(&c, &m, &d);
          }
          if (r != thrd_success) errors++;
        }
        tokens--;
        woken++;
        mtx_unlock(&m);
      });
    for (int i = 0; i < kWaiters / 2; ++i) {
      mtx_lock(&m);
      tokens++;
      EXPECT_EQ(thrd_success, cnd_signal(&c));
      mtx_unlock(&m);
    }
    mtx_lock(&m);
    tokens += kWaiters - kWaiters / 2;
    EXPECT_EQ(thrd_success, cnd_broadcast(&c));
    mtx_unlock(&m);
  }
  EXPECT_EQ(kWaiters, woken);
  EXPECT_EQ(0, tokens);
  EXPECT_EQ(0, errors.load());
  cnd_destroy(&c);
  mtx_destroy(&m);
}

std::atomic<int> g_call_once_runs{0};
void call_once_routine() { g_call_once_runs++; }

TEST(SyncC11, CallOnceRunsOnce) {
  static once_flag flag = ONCE_FLAG_INIT;
  {
    std::vector<Thread> ts;
    for (int i = 0; i < 16; ++i) ts.emplace_back([] { call_once(&flag, call_once_routine); });
  }
  call_once(&flag, call_once_routine);
  EXPECT_EQ(1, g_call_once_runs.load());
}

TEST(SyncC11, ThrdSleepResults) {
  timespec d = {0, 20 * kNsPerMs};
  timespec start = synctest::now(CLOCK_MONOTONIC);
  EXPECT_EQ(0, thrd_sleep(&d, nullptr));
  EXPECT_GE(synctest::to_ns(synctest::now(CLOCK_MONOTONIC)) - synctest::to_ns(start), 20 * kNsPerMs);
  timespec zero = {0, 0};
  EXPECT_EQ(0, thrd_sleep(&zero, nullptr));
  timespec bad = {0, -1};
  EXPECT_EQ(-2, thrd_sleep(&bad, nullptr));
  bad = {0, 1000000000};
  EXPECT_EQ(-2, thrd_sleep(&bad, nullptr));
  bad = {-1, 0};
  EXPECT_EQ(-2, thrd_sleep(&bad, nullptr));
}

}  // namespace
