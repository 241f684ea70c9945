// tests/unit/sync_barrier_test.cpp — pthread_barrier_* and
// pthread_barrierattr_*: count limits, exactly one
// PTHREAD_BARRIER_SERIAL_THREAD per round, and no thread leaving a round
// before every thread has arrived.
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <atomic>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "sync_test_util.h"

namespace {

using synctest::Thread;

TEST(SyncBarrierAttr, DefaultsAndSetters) {
  pthread_barrierattr_t a;
  ASSERT_EQ(0, pthread_barrierattr_init(&a));
  int v = -1;
  EXPECT_EQ(0, pthread_barrierattr_getpshared(&a, &v));
  EXPECT_EQ(PTHREAD_PROCESS_PRIVATE, v);
  EXPECT_EQ(0, pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
  EXPECT_EQ(0, pthread_barrierattr_getpshared(&a, &v));
  EXPECT_EQ(PTHREAD_PROCESS_SHARED, v);
  EXPECT_EQ(EINVAL, pthread_barrierattr_setpshared(&a, 7));
  EXPECT_EQ(0, pthread_barrierattr_destroy(&a));
}

TEST(SyncBarrier, CountZeroOrHugeIsEinval) {
  pthread_barrier_t b;
  EXPECT_EQ(EINVAL, pthread_barrier_init(&b, nullptr, 0));
  // glibc also refuses counts at or above its internal threshold (INT_MAX).
  EXPECT_EQ(EINVAL, pthread_barrier_init(&b, nullptr, INT_MAX));
  EXPECT_EQ(EINVAL, pthread_barrier_init(&b, nullptr, UINT_MAX));
}

TEST(SyncBarrier, CountOneAlwaysReturnsSerial) {
  pthread_barrier_t b;
  ASSERT_EQ(0, pthread_barrier_init(&b, nullptr, 1));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(PTHREAD_BARRIER_SERIAL_THREAD, pthread_barrier_wait(&b));
  EXPECT_EQ(0, pthread_barrier_destroy(&b));
}

// Runs kThreads threads through kRounds rounds of barrier `b`; checks one
// serial thread per round and that nobody passes a round early.
void run_rounds(pthread_barrier_t* b, int kThreads, int kRounds) {
  std::vector<std::atomic<int>> arrived(kRounds), serial(kRounds);
  std::atomic<int> early{0}, bad_result{0};
  {
    std::vector<Thread> ts;
    for (int i = 0; i < kThreads; ++i)
      ts.emplace_back([&] {
        for (int r = 0; r < kRounds; ++r) {
          arrived[r]++;
          int res = pthread_barrier_wait(b);
          if (res == PTHREAD_BARRIER_SERIAL_THREAD)
            serial[r]++;
          else if (res != 0)
            bad_result++;
          if (arrived[r].load() != kThreads) early++;
        }
      });
  }
  int rounds_with_one_serial = 0;
  for (int r = 0; r < kRounds; ++r) rounds_with_one_serial += serial[r].load() == 1;
  EXPECT_EQ(kRounds, rounds_with_one_serial);
  EXPECT_EQ(0, early.load());
  EXPECT_EQ(0, bad_result.load());
}

TEST(SyncBarrier, ExactlyOneSerialThreadPerRound) {
  pthread_barrier_t b;
  ASSERT_EQ(0, pthread_barrier_init(&b, nullptr, 8));
  run_rounds(&b, 8, 500);
  EXPECT_EQ(0, pthread_barrier_destroy(&b));
}

TEST(SyncBarrier, ProcessSharedAttributeWorksWithinAProcess) {
  pthread_barrierattr_t a;
  pthread_barrierattr_init(&a);
  pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_barrier_t b;
  ASSERT_EQ(0, pthread_barrier_init(&b, &a, 5));
  run_rounds(&b, 5, 200);
  EXPECT_EQ(0, pthread_barrier_destroy(&b));
  pthread_barrierattr_destroy(&a);
}

TEST(SyncBarrier, ReinitialisedAndCopiedBeforeFirstUse) {
  pthread_barrier_t tmpl;
  ASSERT_EQ(0, pthread_barrier_init(&tmpl, nullptr, 3));
  auto copy = std::make_unique<pthread_barrier_t>();
  memcpy(copy.get(), &tmpl, sizeof tmpl);
  run_rounds(copy.get(), 3, 100);
  EXPECT_EQ(0, pthread_barrier_destroy(copy.get()));
  EXPECT_EQ(0, pthread_barrier_destroy(&tmpl));
  ASSERT_EQ(0, pthread_barrier_init(&tmpl, nullptr, 4));
  run_rounds(&tmpl, 4, 100);
  EXPECT_EQ(0, pthread_barrier_destroy(&tmpl));
}

}  // namespace
