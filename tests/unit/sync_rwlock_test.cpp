// tests/unit/sync_rwlock_test.cpp — pthread_rwlock_* and pthread_rwlockattr_*:
// the three kinds, try/timed/clock variants, EDEADLK for a writer that asks
// again, and EINVAL checks that NPTL makes before looking at the lock.
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

struct RwLock {
  pthread_rwlock_t l;
  explicit RwLock(int kind = PTHREAD_RWLOCK_PREFER_READER_NP) {
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, kind);
    EXPECT_EQ(0, pthread_rwlock_init(&l, &a));
    pthread_rwlockattr_destroy(&a);
  }
  ~RwLock() { pthread_rwlock_destroy(&l); }
  pthread_rwlock_t* operator&() { return &l; }
};

const int kKinds[] = {PTHREAD_RWLOCK_PREFER_READER_NP, PTHREAD_RWLOCK_PREFER_WRITER_NP,
                      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP};

TEST(SyncRwlockAttr, DefaultsAndSetters) {
  pthread_rwlockattr_t a;
  ASSERT_EQ(0, pthread_rwlockattr_init(&a));
  int v = -1;
  EXPECT_EQ(0, pthread_rwlockattr_getkind_np(&a, &v));
  EXPECT_EQ(PTHREAD_RWLOCK_PREFER_READER_NP, v);
  EXPECT_EQ(PTHREAD_RWLOCK_DEFAULT_NP, v);
  EXPECT_EQ(0, pthread_rwlockattr_getpshared(&a, &v));
  EXPECT_EQ(PTHREAD_PROCESS_PRIVATE, v);
  for (int k : kKinds) {
    EXPECT_EQ(0, pthread_rwlockattr_setkind_np(&a, k));
    EXPECT_EQ(0, pthread_rwlockattr_getkind_np(&a, &v));
    EXPECT_EQ(k, v);
  }
  EXPECT_EQ(EINVAL, pthread_rwlockattr_setkind_np(&a, 3));
  EXPECT_EQ(EINVAL, pthread_rwlockattr_setkind_np(&a, -1));
  EXPECT_EQ(0, pthread_rwlockattr_getkind_np(&a, &v));
  EXPECT_EQ(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP, v);
  EXPECT_EQ(0, pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
  EXPECT_EQ(0, pthread_rwlockattr_getpshared(&a, &v));
  EXPECT_EQ(PTHREAD_PROCESS_SHARED, v);
  EXPECT_EQ(EINVAL, pthread_rwlockattr_setpshared(&a, 3));
  EXPECT_EQ(0, pthread_rwlockattr_destroy(&a));
}

TEST(SyncRwlock, ReadersShareWritersExclude) {
  for (int kind : kKinds) {
    SCOPED_TRACE(kind);
    RwLock l(kind);
    ASSERT_EQ(0, pthread_rwlock_rdlock(&l));
    EXPECT_EQ(0, in_other_thread([&] {
                int r = pthread_rwlock_tryrdlock(&l);
                if (r == 0) pthread_rwlock_unlock(&l);
                return r;
              }));
    EXPECT_EQ(EBUSY, in_other_thread([&] { return pthread_rwlock_trywrlock(&l); }));
    EXPECT_EQ(EBUSY, pthread_rwlock_trywrlock(&l));  // own read lock too
    EXPECT_EQ(0, pthread_rwlock_unlock(&l));

    ASSERT_EQ(0, pthread_rwlock_wrlock(&l));
    EXPECT_EQ(EBUSY, in_other_thread([&] { return pthread_rwlock_tryrdlock(&l); }));
    EXPECT_EQ(EBUSY, in_other_thread([&] { return pthread_rwlock_trywrlock(&l); }));
    EXPECT_EQ(0, pthread_rwlock_unlock(&l));
    EXPECT_EQ(0, pthread_rwlock_trywrlock(&l));
    EXPECT_EQ(0, pthread_rwlock_unlock(&l));
  }
}

TEST(SyncRwlock, WriterAskingAgainGetsEdeadlkTryGetsEbusy) {
  for (int kind : kKinds) {
    SCOPED_TRACE(kind);
    RwLock l(kind);
    ASSERT_EQ(0, pthread_rwlock_wrlock(&l));
    EXPECT_EQ(EDEADLK, pthread_rwlock_wrlock(&l));
    EXPECT_EQ(EDEADLK, pthread_rwlock_rdlock(&l));
    timespec rt = far_deadline(CLOCK_REALTIME), mono = far_deadline(CLOCK_MONOTONIC);
    EXPECT_EQ(EDEADLK, pthread_rwlock_timedwrlock(&l, &rt));
    EXPECT_EQ(EDEADLK, pthread_rwlock_timedrdlock(&l, &rt));
    EXPECT_EQ(EDEADLK, pthread_rwlock_clockwrlock(&l, CLOCK_MONOTONIC, &mono));
    EXPECT_EQ(EDEADLK, pthread_rwlock_clockrdlock(&l, CLOCK_MONOTONIC, &mono));
    EXPECT_EQ(EBUSY, pthread_rwlock_trywrlock(&l));
    EXPECT_EQ(EBUSY, pthread_rwlock_tryrdlock(&l));
    EXPECT_EQ(0, pthread_rwlock_unlock(&l));
  }
}

TEST(SyncRwlock, ReadLockIsRecursiveWithoutAWaitingWriter) {
  for (int kind : kKinds) {
    SCOPED_TRACE(kind);
    RwLock l(kind);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(0, pthread_rwlock_rdlock(&l));
    EXPECT_EQ(0, pthread_rwlock_tryrdlock(&l));
    for (int i = 0; i < 6; ++i) EXPECT_EQ(0, pthread_rwlock_unlock(&l));
    EXPECT_EQ(0, pthread_rwlock_trywrlock(&l));
    EXPECT_EQ(0, pthread_rwlock_unlock(&l));
  }
}

TEST(SyncRwlockTimed, ArgumentsAreCheckedEvenWhenTheLockIsFree) {
  // Unlike mutexes, NPTL rwlocks validate the clock and the timespec first.
  RwLock l;
  timespec bad = {0, -1}, big = {0, 1000000000}, ok = {0, 0};
  EXPECT_EQ(EINVAL, pthread_rwlock_timedrdlock(&l, &bad));
  EXPECT_EQ(EINVAL, pthread_rwlock_timedwrlock(&l, &big));
  EXPECT_EQ(EINVAL, pthread_rwlock_clockrdlock(&l, CLOCK_MONOTONIC, &big));
  EXPECT_EQ(EINVAL, pthread_rwlock_clockwrlock(&l, CLOCK_REALTIME, &bad));
  for (clockid_t c : {CLOCK_BOOTTIME, CLOCK_PROCESS_CPUTIME_ID, (clockid_t)99}) {
    EXPECT_EQ(EINVAL, pthread_rwlock_clockrdlock(&l, c, &ok)) << c;
    EXPECT_EQ(EINVAL, pthread_rwlock_clockwrlock(&l, c, &ok)) << c;
  }
  EXPECT_EQ(0, pthread_rwlock_trywrlock(&l));  // none of those took the lock
  EXPECT_EQ(0, pthread_rwlock_unlock(&l));
  // A past (even negative) deadline on a free lock still acquires it.
  timespec neg = {-1, 0};
  EXPECT_EQ(0, pthread_rwlock_timedwrlock(&l, &neg));
  EXPECT_EQ(0, pthread_rwlock_unlock(&l));
  EXPECT_EQ(0, pthread_rwlock_clockrdlock(&l, CLOCK_MONOTONIC, &neg));
  EXPECT_EQ(0, pthread_rwlock_unlock(&l));
}

TEST(SyncRwlockTimed, ContendedTimeoutsAreEtimedoutAndNotEarly) {
  RwLock l;
  ASSERT_EQ(0, pthread_rwlock_rdlock(&l));
  in_other_thread([&] {
    timespec past = {0, 0}, neg = {-1, 0};
    EXPECT_EQ(ETIMEDOUT, pthread_rwlock_timedwrlock(&l, &past));
    EXPECT_EQ(ETIMEDOUT, pthread_rwlock_clockwrlock(&l, CLOCK_MONOTONIC, &neg));
    timespec rt = deadline_in(CLOCK_REALTIME, 20 * kNsPerMs);
    EXPECT_EQ(ETIMEDOUT, pthread_rwlock_timedwrlock(&l, &rt));
    EXPECT_TRUE(reached(CLOCK_REALTIME, rt));
    timespec mono = deadline_in(CLOCK_MONOTONIC, 20 * kNsPerMs);
    EXPECT_EQ(ETIMEDOUT, pthread_rwlock_clockwrlock(&l, CLOCK_MONOTONIC, &mono));
    EXPECT_TRUE(reached(CLOCK_MONOTONIC, mono));
    return 0;
  });
  EXPECT_EQ(0, pthread_rwlock_unlock(&l));

  ASSERT_EQ(0, pthread_rwlock_wrlock(&l));
  in_other_thread([&] {
    timespec mono = deadline_in(CLOCK_MONOTONIC, 20 * kNsPerMs);
    EXPECT_EQ(ETIMEDOUT, pthread_rwlock_clockrdlock(&l, CLOCK_MONOTONIC, &mono));
    EXPECT_TRUE(reached(CLOCK_MONOTONIC, mono));
    timespec rt = deadline_in(CLOCK_REALTIME, 20 * kNsPerMs);
    EXPECT_EQ(ETIMEDOUT, pthread_rwlock_timedrdlock(&l, &rt));
    EXPECT_TRUE(reached(CLOCK_REALTIME, rt));
    return 0;
  });
  EXPECT_EQ(0, pthread_rwlock_unlock(&l));
  // The timed-out waiters left nothing behind.
  EXPECT_EQ(0, pthread_rwlock_trywrlock(&l));
  EXPECT_EQ(0, pthread_rwlock_unlock(&l));
}

TEST(SyncRwlockTimed, BlockedWriterAndReadersGetTheLockInTurn) {
  RwLock l;
  ASSERT_EQ(0, pthread_rwlock_wrlock(&l));
  std::atomic<int> got_read{0}, got_write{0};
  {
    std::vector<Thread> ts;
    for (int i = 0; i < 4; ++i)
      ts.emplace_back([&] {
        timespec d = far_deadline(CLOCK_REALTIME);
        if (pthread_rwlock_timedrdlock(&l, &d) == 0) {
          got_read++;
          pthread_rwlock_unlock(&l);
        }
      });
    ts.emplace_back([&] {
      timespec d = far_deadline(CLOCK_MONOTONIC);
      if (pthread_rwlock_clockwrlock(&l, CLOCK_MONOTONIC, &d) == 0) {
        got_write++;
        pthread_rwlock_unlock(&l);
      }
    });
    EXPECT_EQ(0, pthread_rwlock_unlock(&l));
  }
  EXPECT_EQ(4, got_read.load());
  EXPECT_EQ(1, got_write.load());
}

TEST(SyncRwlockKinds, WriterNonrecursiveBlocksNewReadersOnceAWriterWaits) {
  // Observable only for this kind: once a writer is queued, tryrdlock fails
  // even though only readers hold the lock. Poll until the writer is queued.
  RwLock l(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  Event reader_has_it;
  Event release_reader;
  std::atomic<int> writer_result{-1};
  Thread reader([&] {
    pthread_rwlock_rdlock(&l);
    reader_has_it.post();
    release_reader.wait_for();
    pthread_rwlock_unlock(&l);
  });
  reader_has_it.wait_for();
  Thread writer([&] {
    writer_result = pthread_rwlock_wrlock(&l);
    pthread_rwlock_unlock(&l);
  });
  synctest::yield_until([&] {
    int r = pthread_rwlock_tryrdlock(&l);
    if (r == 0) pthread_rwlock_unlock(&l);
    return r == EBUSY;
  });
  release_reader.post();
  writer.join();
  reader.join();
  EXPECT_EQ(0, writer_result.load());
  EXPECT_EQ(0, pthread_rwlock_tryrdlock(&l));
  EXPECT_EQ(0, pthread_rwlock_unlock(&l));
}

TEST(SyncRwlockInit, StaticInitializersZeroFillAndCopies) {
  pthread_rwlock_t def = PTHREAD_RWLOCK_INITIALIZER;
  pthread_rwlock_t wnr = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
  static pthread_rwlock_t zeroed;
  for (pthread_rwlock_t* l : {&def, &wnr, &zeroed}) {
    EXPECT_EQ(0, pthread_rwlock_rdlock(l));
    EXPECT_EQ(EBUSY, in_other_thread([&] { return pthread_rwlock_trywrlock(l); }));
    EXPECT_EQ(0, pthread_rwlock_unlock(l));
    EXPECT_EQ(0, pthread_rwlock_wrlock(l));
    EXPECT_EQ(EDEADLK, pthread_rwlock_rdlock(l));
    EXPECT_EQ(0, pthread_rwlock_unlock(l));
  }
  RwLock tmpl(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  auto copy = std::make_unique<pthread_rwlock_t>();
  memcpy(copy.get(), &tmpl.l, sizeof tmpl.l);
  EXPECT_EQ(0, pthread_rwlock_wrlock(copy.get()));
  EXPECT_EQ(0, pthread_rwlock_trywrlock(&tmpl));  // the original is separate
  EXPECT_EQ(0, pthread_rwlock_unlock(&tmpl));
  EXPECT_EQ(EDEADLK, pthread_rwlock_wrlock(copy.get()));
  EXPECT_EQ(0, pthread_rwlock_unlock(copy.get()));
  pthread_rwlock_destroy(copy.get());
}

TEST(SyncRwlock, InvariantHoldsUnderContention) {
  // Writers keep every slot equal; readers must never see them differ.
  for (int kind : kKinds) {
    SCOPED_TRACE(kind);
    RwLock l(kind);
    constexpr int kSlots = 16, kReaders = 8, kWriters = 4, kIters = 2000;
    long slots[kSlots] = {};
    std::atomic<int> torn{0}, readers_in{0}, writers_in{0}, overlap{0};
    long writes = 0;
    {
      std::vector<Thread> ts;
      for (int i = 0; i < kReaders; ++i)
        ts.emplace_back([&] {
          for (int k = 0; k < kIters; ++k) {
            pthread_rwlock_rdlock(&l);
            readers_in++;
            if (writers_in.load()) overlap++;
            for (int s = 1; s < kSlots; ++s)
              if (slots[s] != slots[0]) torn++;
            readers_in--;
            pthread_rwlock_unlock(&l);
          }
        });
      for (int i = 0; i < kWriters; ++i)
        ts.emplace_back([&] {
          for (int k = 0; k < kIters / 4; ++k) {
            pthread_rwlock_wrlock(&l);
            if (writers_in++ != 0 || readers_in.load() != 0) overlap++;
            ++writes;
            for (int s = 0; s < kSlots; ++s) slots[s] = writes;
            writers_in--;
            pthread_rwlock_unlock(&l);
          }
        });
    }
    EXPECT_EQ(0, torn.load());
    EXPECT_EQ(0, overlap.load());
    EXPECT_EQ((long)kWriters * (kIters / 4), writes);
  }
}

}  // namespace
