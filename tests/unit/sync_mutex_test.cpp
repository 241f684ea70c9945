// tests/unit/sync_mutex_test.cpp — pthread_mutex_* and pthread_mutexattr_*:
// every type, every error path, with glibc 2.36 NPTL's exact results.
//
// Ownership is per thread: "another thread" below is always a real second
// pthread (a G under weft), never the same thread pretending. Robust mutexes
// are in sync_robust_test.cpp; C11 mtx_* in sync_c11_test.cpp.
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sync_test_util.h"

namespace {

using namespace synctest;  // the helpers of sync_test_util.h

// A mutex made from an attribute with the given type/protocol, destroyed at
// scope end.
struct Mutex {
  pthread_mutex_t m;
  int init_result;
  explicit Mutex(int type, int protocol = PTHREAD_PRIO_NONE) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, type);
    pthread_mutexattr_setprotocol(&a, protocol);
    init_result = pthread_mutex_init(&m, &a);
    pthread_mutexattr_destroy(&a);
  }
  ~Mutex() { pthread_mutex_destroy(&m); }
  pthread_mutex_t* operator&() { return &m; }
};

// For a RECURSIVE mutex the caller holds at depth 1: another thread cannot
// take it; the caller's unlock succeeds, a further one is EPERM, and then
// another thread can take it.
void expect_last_unlock_releases(pthread_mutex_t* m) {
  EXPECT_EQ(EBUSY, in_other_thread([&] { return pthread_mutex_trylock(m); }));
  EXPECT_EQ(0, pthread_mutex_unlock(m));
  EXPECT_EQ(EPERM, pthread_mutex_unlock(m));
  EXPECT_EQ(0, in_other_thread([&] {
              int r = pthread_mutex_trylock(m);
              pthread_mutex_unlock(m);
              return r;
            }));
}

// ---- attributes ------------------------------------------------------------

TEST(SyncMutexAttr, DefaultsAreNormalPrivateNotRobustNoProtocol) {
  pthread_mutexattr_t a;
  ASSERT_EQ(0, pthread_mutexattr_init(&a));
  int v = -1;
  EXPECT_EQ(0, pthread_mutexattr_gettype(&a, &v));
  EXPECT_EQ(PTHREAD_MUTEX_NORMAL, v);
  EXPECT_EQ(PTHREAD_MUTEX_DEFAULT, v);
  EXPECT_EQ(0, pthread_mutexattr_getpshared(&a, &v));
  EXPECT_EQ(PTHREAD_PROCESS_PRIVATE, v);
  EXPECT_EQ(0, pthread_mutexattr_getrobust(&a, &v));
  EXPECT_EQ(PTHREAD_MUTEX_STALLED, v);
  EXPECT_EQ(0, pthread_mutexattr_getprotocol(&a, &v));
  EXPECT_EQ(PTHREAD_PRIO_NONE, v);
  // glibc reports the SCHED_FIFO minimum when no ceiling was set.
  EXPECT_EQ(0, pthread_mutexattr_getprioceiling(&a, &v));
  EXPECT_EQ(sched_get_priority_min(SCHED_FIFO), v);
  EXPECT_EQ(0, pthread_mutexattr_destroy(&a));
}

TEST(SyncMutexAttr, SettersStoreValidValuesAndRejectOthersWithEinval) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  int v = -1;
  for (int type : {PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_RECURSIVE,
                   PTHREAD_MUTEX_ADAPTIVE_NP}) {
    EXPECT_EQ(0, pthread_mutexattr_settype(&a, type));
    EXPECT_EQ(0, pthread_mutexattr_gettype(&a, &v));
    EXPECT_EQ(type, v);
  }
  EXPECT_EQ(EINVAL, pthread_mutexattr_settype(&a, 4));
  EXPECT_EQ(EINVAL, pthread_mutexattr_settype(&a, -1));
  EXPECT_EQ(0, pthread_mutexattr_gettype(&a, &v));
  EXPECT_EQ(PTHREAD_MUTEX_ADAPTIVE_NP, v);  // unchanged by the failures

  EXPECT_EQ(0, pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
  EXPECT_EQ(0, pthread_mutexattr_getpshared(&a, &v));
  EXPECT_EQ(PTHREAD_PROCESS_SHARED, v);
  EXPECT_EQ(EINVAL, pthread_mutexattr_setpshared(&a, 5));
  EXPECT_EQ(0, pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_PRIVATE));
  EXPECT_EQ(0, pthread_mutexattr_getpshared(&a, &v));
  EXPECT_EQ(PTHREAD_PROCESS_PRIVATE, v);

  EXPECT_EQ(0, pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST));
  EXPECT_EQ(0, pthread_mutexattr_getrobust(&a, &v));
  EXPECT_EQ(PTHREAD_MUTEX_ROBUST, v);
  EXPECT_EQ(EINVAL, pthread_mutexattr_setrobust(&a, 2));
  EXPECT_EQ(0, pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_STALLED));

  for (int proto : {PTHREAD_PRIO_INHERIT, PTHREAD_PRIO_PROTECT, PTHREAD_PRIO_NONE}) {
    EXPECT_EQ(0, pthread_mutexattr_setprotocol(&a, proto));
    EXPECT_EQ(0, pthread_mutexattr_getprotocol(&a, &v));
    EXPECT_EQ(proto, v);
  }
  EXPECT_EQ(EINVAL, pthread_mutexattr_setprotocol(&a, 7));

  int lo = sched_get_priority_min(SCHED_FIFO), hi = sched_get_priority_max(SCHED_FIFO);
  EXPECT_EQ(0, pthread_mutexattr_setprioceiling(&a, hi));
  EXPECT_EQ(0, pthread_mutexattr_getprioceiling(&a, &v));
  EXPECT_EQ(hi, v);
  EXPECT_EQ(0, pthread_mutexattr_setprioceiling(&a, lo));
  EXPECT_EQ(EINVAL, pthread_mutexattr_setprioceiling(&a, lo - 1));
  EXPECT_EQ(EINVAL, pthread_mutexattr_setprioceiling(&a, hi + 1));
  EXPECT_EQ(0, pthread_mutexattr_getprioceiling(&a, &v));
  EXPECT_EQ(lo, v);
  pthread_mutexattr_destroy(&a);
}

TEST(SyncMutexAttr, RobustPriorityProtectIsNotSupported) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT);
  pthread_mutex_t m;
  EXPECT_EQ(ENOTSUP, pthread_mutex_init(&m, &a));
  pthread_mutexattr_destroy(&a);
}

// ---- NORMAL (default) --------------------------------------------------------

TEST(SyncMutexNormal, LockTrylockUnlock) {
  Mutex m(PTHREAD_MUTEX_NORMAL);
  ASSERT_EQ(0, m.init_result);
  EXPECT_EQ(0, pthread_mutex_lock(&m));
  EXPECT_EQ(EBUSY, pthread_mutex_trylock(&m));  // own lock: EBUSY, no deadlock
  EXPECT_EQ(EBUSY, in_other_thread([&] { return pthread_mutex_trylock(&m); }));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
  EXPECT_EQ(0, pthread_mutex_trylock(&m));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
}

TEST(SyncMutexNormal, UnlockByAnotherThreadReleasesIt) {
  // NPTL does not check the owner of a NORMAL mutex: code that uses one as a
  // binary semaphore (lock here, unlock there) works and must keep working.
  Mutex m(PTHREAD_MUTEX_NORMAL);
  ASSERT_EQ(0, pthread_mutex_lock(&m));
  EXPECT_EQ(0, in_other_thread([&] { return pthread_mutex_unlock(&m); }));
  EXPECT_EQ(0, pthread_mutex_trylock(&m));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
}

TEST(SyncMutexNormal, DestroyLockedIsEbusyThenDestroyUnlockedSucceeds) {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  ASSERT_EQ(0, pthread_mutex_lock(&m));
  EXPECT_EQ(EBUSY, pthread_mutex_destroy(&m));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
  EXPECT_EQ(0, pthread_mutex_destroy(&m));
  EXPECT_EQ(0, pthread_mutex_init(&m, nullptr));  // reusable after destroy
  EXPECT_EQ(0, pthread_mutex_lock(&m));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
  EXPECT_EQ(0, pthread_mutex_destroy(&m));
}

TEST(SyncMutexNormal, BlockedLockerProceedsAfterUnlock) {
  Mutex m(PTHREAD_MUTEX_NORMAL);
  std::atomic<int> stage{0};
  ASSERT_EQ(0, pthread_mutex_lock(&m));
  Thread t([&] {
    stage = 1;
    if (pthread_mutex_lock(&m) == 0) stage = 2;  // blocks until main unlocks
    pthread_mutex_unlock(&m);
  });
  synctest::yield_until([&] { return stage.load() >= 1; });
  EXPECT_EQ(1, stage.load());  // cannot have acquired: main holds it
  ASSERT_EQ(0, pthread_mutex_unlock(&m));
  t.join();
  EXPECT_EQ(2, stage.load());
}

// ---- ERRORCHECK --------------------------------------------------------------

TEST(SyncMutexErrorcheck, RelockIsEdeadlkTrylockIsEbusy) {
  Mutex m(PTHREAD_MUTEX_ERRORCHECK);
  ASSERT_EQ(0, pthread_mutex_lock(&m));
  EXPECT_EQ(EDEADLK, pthread_mutex_lock(&m));
  EXPECT_EQ(EBUSY, pthread_mutex_trylock(&m));
  timespec ts = far_deadline(CLOCK_REALTIME);
  EXPECT_EQ(EDEADLK, pthread_mutex_timedlock(&m, &ts));
  ts = far_deadline(CLOCK_MONOTONIC);
  EXPECT_EQ(EDEADLK, pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &ts));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
}

TEST(SyncMutexErrorcheck, UnlockByNonOwnerOrWhenUnlockedIsEperm) {
  Mutex m(PTHREAD_MUTEX_ERRORCHECK);
  EXPECT_EQ(EPERM, pthread_mutex_unlock(&m));  // not locked at all
  ASSERT_EQ(0, pthread_mutex_lock(&m));
  EXPECT_EQ(EPERM, in_other_thread([&] { return pthread_mutex_unlock(&m); }));
  EXPECT_EQ(EBUSY, in_other_thread([&] { return pthread_mutex_trylock(&m); }));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));  // still ours after the failed unlock
  EXPECT_EQ(EPERM, pthread_mutex_unlock(&m));
}

TEST(SyncMutexErrorcheck, OwnershipFollowsTheLockingThread) {
  Mutex m(PTHREAD_MUTEX_ERRORCHECK);
  Event locked, release;
  Thread t([&] {
    pthread_mutex_lock(&m);
    locked.post();
    release.wait_for();
    pthread_mutex_unlock(&m);
  });
  locked.wait_for();
  EXPECT_EQ(EPERM, pthread_mutex_unlock(&m));
  EXPECT_EQ(EBUSY, pthread_mutex_trylock(&m));
  release.post();
  t.join();
  EXPECT_EQ(0, pthread_mutex_lock(&m));  // not EDEADLK: we never owned it before
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
}

// ---- RECURSIVE ---------------------------------------------------------------

TEST(SyncMutexRecursive, CountsLocksAndReleasesOnLastUnlock) {
  Mutex m(PTHREAD_MUTEX_RECURSIVE);
  ASSERT_EQ(0, pthread_mutex_lock(&m));
  EXPECT_EQ(0, pthread_mutex_lock(&m));
  EXPECT_EQ(0, pthread_mutex_trylock(&m));
  timespec ts = far_deadline(CLOCK_REALTIME);
  EXPECT_EQ(0, pthread_mutex_timedlock(&m, &ts));
  ts = far_deadline(CLOCK_MONOTONIC);
  EXPECT_EQ(0, pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &ts));  // depth 5
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(0, pthread_mutex_unlock(&m));
    EXPECT_EQ(EBUSY, in_other_thread([&] { return pthread_mutex_trylock(&m); }));
  }
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
  expect_last_unlock_releases(&m);
}

TEST(SyncMutexRecursive, UnlockByNonOwnerIsEperm) {
  Mutex m(PTHREAD_MUTEX_RECURSIVE);
  ASSERT_EQ(0, pthread_mutex_lock(&m));
  EXPECT_EQ(EPERM, in_other_thread([&] { return pthread_mutex_unlock(&m); }));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
}

// ---- ADAPTIVE_NP ---------------------------------------------------------------

TEST(SyncMutexAdaptive, BehavesAsNormalForResults) {
  Mutex m(PTHREAD_MUTEX_ADAPTIVE_NP);
  ASSERT_EQ(0, m.init_result);
  ASSERT_EQ(0, pthread_mutex_lock(&m));
  EXPECT_EQ(EBUSY, pthread_mutex_trylock(&m));
  EXPECT_EQ(EBUSY, in_other_thread([&] { return pthread_mutex_trylock(&m); }));
  timespec past = {0, 0};
  EXPECT_EQ(ETIMEDOUT, in_other_thread([&] { return pthread_mutex_timedlock(&m, &past); }));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
}

// ---- timedlock / clocklock ---------------------------------------------------

TEST(SyncMutexTimed, FreeMutexIsTakenWithoutCheckingTheTimeout) {
  // NPTL validates the timespec only when it has to block.
  Mutex m(PTHREAD_MUTEX_NORMAL);
  timespec bad = {0, -1};
  EXPECT_EQ(0, pthread_mutex_timedlock(&m, &bad));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
  bad.tv_nsec = 1000000000;
  EXPECT_EQ(0, pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &bad));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
  timespec past = {-5, 0};
  EXPECT_EQ(0, pthread_mutex_timedlock(&m, &past));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
}

TEST(SyncMutexTimed, ClocklockRejectsUnsupportedClocksEvenWhenFree) {
  Mutex m(PTHREAD_MUTEX_NORMAL);
  timespec ts = far_deadline(CLOCK_MONOTONIC);
  for (clockid_t c : {CLOCK_BOOTTIME, CLOCK_PROCESS_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
                      (clockid_t)99, (clockid_t)-1}) {
    EXPECT_EQ(EINVAL, pthread_mutex_clocklock(&m, c, &ts)) << "clock " << c;
  }
  EXPECT_EQ(0, pthread_mutex_trylock(&m));  // the failures took nothing
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
}

TEST(SyncMutexTimed, HeldMutexGivesEinvalForBadNanosecondsAndEtimedoutForPast) {
  for (int type : {PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_RECURSIVE,
                   PTHREAD_MUTEX_ADAPTIVE_NP}) {
    SCOPED_TRACE(type);
    Mutex m(type);
    ASSERT_EQ(0, pthread_mutex_lock(&m));
    in_other_thread([&] {
      timespec ts = {0, -1};
      EXPECT_EQ(EINVAL, pthread_mutex_timedlock(&m, &ts));
      ts = {0, 1000000000};
      EXPECT_EQ(EINVAL, pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &ts));
      ts = {-1, 0};  // negative seconds: already expired, not invalid
      EXPECT_EQ(ETIMEDOUT, pthread_mutex_timedlock(&m, &ts));
      EXPECT_EQ(ETIMEDOUT, pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &ts));
      ts = {0, 0};
      EXPECT_EQ(ETIMEDOUT, pthread_mutex_timedlock(&m, &ts));
      EXPECT_EQ(ETIMEDOUT, pthread_mutex_clocklock(&m, CLOCK_REALTIME, &ts));
      return 0;
    });
    EXPECT_EQ(0, pthread_mutex_unlock(&m));
  }
}

TEST(SyncMutexTimed, TimeoutIsNotEarlyOnEitherClock) {
  Mutex m(PTHREAD_MUTEX_NORMAL);
  ASSERT_EQ(0, pthread_mutex_lock(&m));
  in_other_thread([&] {
    timespec rt = deadline_in(CLOCK_REALTIME, 30 * kNsPerMs);
    EXPECT_EQ(ETIMEDOUT, pthread_mutex_timedlock(&m, &rt));
    EXPECT_TRUE(reached(CLOCK_REALTIME, rt));
    timespec mono = deadline_in(CLOCK_MONOTONIC, 30 * kNsPerMs);
    EXPECT_EQ(ETIMEDOUT, pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &mono));
    EXPECT_TRUE(reached(CLOCK_MONOTONIC, mono));
    rt = deadline_in(CLOCK_REALTIME, 30 * kNsPerMs);
    EXPECT_EQ(ETIMEDOUT, pthread_mutex_clocklock(&m, CLOCK_REALTIME, &rt));
    EXPECT_TRUE(reached(CLOCK_REALTIME, rt));
    return 0;
  });
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
}

TEST(SyncMutexTimed, WaiterGetsTheMutexWhenReleasedBeforeDeadline) {
  Mutex m(PTHREAD_MUTEX_ERRORCHECK);
  ASSERT_EQ(0, pthread_mutex_lock(&m));
  std::atomic<int> result{-1};
  Thread t([&] {
    timespec ts = far_deadline(CLOCK_MONOTONIC);
    result = pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &ts);
    if (result == 0) pthread_mutex_unlock(&m);
  });
  ASSERT_EQ(0, pthread_mutex_unlock(&m));
  t.join();
  EXPECT_EQ(0, result.load());
}

// ---- static initializers and copies ----------------------------------------

TEST(SyncMutexInit, StaticInitializersHaveTheirTypes) {
  pthread_mutex_t normal = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_t rec = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
  pthread_mutex_t err = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
  pthread_mutex_t adaptive = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;

  EXPECT_EQ(0, pthread_mutex_lock(&normal));
  EXPECT_EQ(EBUSY, pthread_mutex_trylock(&normal));
  EXPECT_EQ(0, pthread_mutex_unlock(&normal));

  EXPECT_EQ(0, pthread_mutex_lock(&rec));
  EXPECT_EQ(0, pthread_mutex_lock(&rec));
  EXPECT_EQ(0, pthread_mutex_unlock(&rec));
  EXPECT_EQ(0, pthread_mutex_unlock(&rec));
  EXPECT_EQ(EPERM, pthread_mutex_unlock(&rec));

  EXPECT_EQ(0, pthread_mutex_lock(&err));
  EXPECT_EQ(EDEADLK, pthread_mutex_lock(&err));
  EXPECT_EQ(0, pthread_mutex_unlock(&err));
  EXPECT_EQ(EPERM, pthread_mutex_unlock(&err));

  EXPECT_EQ(0, pthread_mutex_lock(&adaptive));
  EXPECT_EQ(EBUSY, pthread_mutex_trylock(&adaptive));
  EXPECT_EQ(0, pthread_mutex_unlock(&adaptive));
}

TEST(SyncMutexInit, ZeroFilledMemoryIsAnUnlockedNormalMutex) {
  // Static storage is zero-filled; programs rely on that being
  // PTHREAD_MUTEX_INITIALIZER.
  static pthread_mutex_t zeroed;
  EXPECT_EQ(0, pthread_mutex_lock(&zeroed));
  EXPECT_EQ(EBUSY, in_other_thread([&] { return pthread_mutex_trylock(&zeroed); }));
  EXPECT_EQ(0, pthread_mutex_unlock(&zeroed));
  auto heap = std::make_unique<pthread_mutex_t>();
  memset(heap.get(), 0, sizeof(pthread_mutex_t));
  EXPECT_EQ(0, pthread_mutex_lock(heap.get()));
  EXPECT_EQ(0, pthread_mutex_unlock(heap.get()));
}

TEST(SyncMutexInit, CopiesMadeBeforeFirstUseWorkIndependently) {
  // Programs copy initialised, never-used mutexes (struct assignment of a
  // template object). The copy must behave as its own mutex of the same type.
  pthread_mutex_t tmpl_err = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
  Mutex rec(PTHREAD_MUTEX_RECURSIVE);
  auto a = std::make_unique<pthread_mutex_t>();
  auto b = std::make_unique<pthread_mutex_t>();
  auto c = std::make_unique<pthread_mutex_t>();
  memcpy(a.get(), &tmpl_err, sizeof *a);
  memcpy(b.get(), &tmpl_err, sizeof *b);
  memcpy(c.get(), &rec.m, sizeof *c);

  EXPECT_EQ(0, pthread_mutex_lock(a.get()));
  EXPECT_EQ(EDEADLK, pthread_mutex_lock(a.get()));
  EXPECT_EQ(0, pthread_mutex_lock(b.get()));  // a distinct mutex
  EXPECT_EQ(0, pthread_mutex_trylock(&tmpl_err));  // the template is untouched
  EXPECT_EQ(0, pthread_mutex_unlock(&tmpl_err));
  EXPECT_EQ(0, pthread_mutex_unlock(b.get()));
  EXPECT_EQ(0, pthread_mutex_unlock(a.get()));

  EXPECT_EQ(0, pthread_mutex_lock(c.get()));
  EXPECT_EQ(0, pthread_mutex_lock(c.get()));
  EXPECT_EQ(0, pthread_mutex_trylock(&rec));  // the original is a different lock
  EXPECT_EQ(0, pthread_mutex_unlock(&rec));
  EXPECT_EQ(0, pthread_mutex_unlock(c.get()));
  EXPECT_EQ(0, pthread_mutex_unlock(c.get()));
  EXPECT_EQ(EPERM, pthread_mutex_unlock(c.get()));
}

// ---- contention: every type keeps the count exact -------------------------

struct ContentionCase {
  int type;
  int protocol;
};

class SyncMutexContention : public ::testing::TestWithParam<ContentionCase> {};

TEST_P(SyncMutexContention, CountIsExactAndNoTwoThreadsAreInside) {
  Mutex m(GetParam().type, GetParam().protocol);
  ASSERT_EQ(0, m.init_result);
  constexpr int kThreads = 16, kIters = 5000;
  long counter = 0;  // plain: a broken mutex loses updates
  std::atomic<int> inside{0}, overlaps{0}, errors{0};
  {
    std::vector<Thread> ts;
    for (int i = 0; i < kThreads; ++i)
      ts.emplace_back([&, i] {
        for (int k = 0; k < kIters; ++k) {
          int r;
          if ((k + i) % 3 == 0) {
            while ((r = pthread_mutex_trylock(&m)) == EBUSY) sched_yield();
          } else if ((k + i) % 3 == 1) {
            timespec ts = far_deadline(CLOCK_MONOTONIC);
            r = pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &ts);
          } else {
            r = pthread_mutex_lock(&m);
          }
          if (r != 0) {
            errors++;
            continue;
          }
          if (inside.fetch_add(1) != 0) overlaps++;
          ++counter;
          inside.fetch_sub(1);
          if (pthread_mutex_unlock(&m) != 0) errors++;
        }
      });
  }
  EXPECT_EQ(0, errors.load());
  EXPECT_EQ(0, overlaps.load());
  EXPECT_EQ((long)kThreads * kIters, counter);
}

std::string contention_case_name(const ::testing::TestParamInfo<ContentionCase>& info) {
  static const char* const kTypeNames[] = {"Normal", "Recursive", "Errorcheck", "Adaptive"};
  return std::string(kTypeNames[info.param.type]) +
         (info.param.protocol == PTHREAD_PRIO_INHERIT ? "PI" : "");
}

INSTANTIATE_TEST_SUITE_P(
    Types, SyncMutexContention,
    ::testing::Values(ContentionCase{PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE},
                      ContentionCase{PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_NONE},
                      ContentionCase{PTHREAD_MUTEX_RECURSIVE, PTHREAD_PRIO_NONE},
                      ContentionCase{PTHREAD_MUTEX_ADAPTIVE_NP, PTHREAD_PRIO_NONE},
                      ContentionCase{PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_INHERIT},
                      ContentionCase{PTHREAD_MUTEX_RECURSIVE, PTHREAD_PRIO_INHERIT}),
    contention_case_name);

// ---- PRIO_INHERIT ----------------------------------------------------------

TEST(SyncMutexPI, NormalResults) {
  Mutex m(PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_INHERIT);
  ASSERT_EQ(0, m.init_result);
  ASSERT_EQ(0, pthread_mutex_lock(&m));
  EXPECT_EQ(EBUSY, pthread_mutex_trylock(&m));
  in_other_thread([&] {
    EXPECT_EQ(EBUSY, pthread_mutex_trylock(&m));
    EXPECT_EQ(EPERM, pthread_mutex_unlock(&m));  // PI checks the owner, unlike NORMAL
    timespec ts = {0, 0};
    EXPECT_EQ(ETIMEDOUT, pthread_mutex_timedlock(&m, &ts));
    ts = {0, -1};
    EXPECT_EQ(EINVAL, pthread_mutex_timedlock(&m, &ts));
    ts = {0, 0};
    EXPECT_EQ(EINVAL, pthread_mutex_clocklock(&m, (clockid_t)99, &ts));
    timespec mono = deadline_in(CLOCK_MONOTONIC, 20 * kNsPerMs);
    EXPECT_EQ(ETIMEDOUT, pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &mono));
    EXPECT_TRUE(reached(CLOCK_MONOTONIC, mono));
    return 0;
  });
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
  EXPECT_EQ(EPERM, pthread_mutex_unlock(&m));
}

TEST(SyncMutexPI, ErrorcheckTrylockByOwnerIsEdeadlk) {
  // Unlike a plain ERRORCHECK mutex (EBUSY), glibc's PI trylock reports EDEADLK.
  Mutex m(PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_INHERIT);
  ASSERT_EQ(0, pthread_mutex_lock(&m));
  EXPECT_EQ(EDEADLK, pthread_mutex_trylock(&m));
  EXPECT_EQ(EDEADLK, pthread_mutex_lock(&m));
  timespec ts = {0, 0};
  EXPECT_EQ(EDEADLK, pthread_mutex_timedlock(&m, &ts));
  EXPECT_EQ(EBUSY, in_other_thread([&] { return pthread_mutex_trylock(&m); }));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
  EXPECT_EQ(EPERM, pthread_mutex_unlock(&m));
}

TEST(SyncMutexPI, RecursiveCountsLocks) {
  Mutex m(PTHREAD_MUTEX_RECURSIVE, PTHREAD_PRIO_INHERIT);
  ASSERT_EQ(0, pthread_mutex_lock(&m));
  EXPECT_EQ(0, pthread_mutex_trylock(&m));
  EXPECT_EQ(0, pthread_mutex_lock(&m));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
  expect_last_unlock_releases(&m);
}

TEST(SyncMutexPI, BlockedLockerIsHandedTheMutex) {
  Mutex m(PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_INHERIT);
  ASSERT_EQ(0, pthread_mutex_lock(&m));
  std::atomic<int> r{-1};
  Thread t([&] {
    r = pthread_mutex_lock(&m);
    if (r == 0) r = pthread_mutex_unlock(&m);
  });
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
  t.join();
  EXPECT_EQ(0, r.load());
}

// ---- PRIO_PROTECT ----------------------------------------------------------

TEST(SyncMutexPP, CeilingDefaultsToFifoMinimumAndCanBeChanged) {
  int lo = sched_get_priority_min(SCHED_FIFO), hi = sched_get_priority_max(SCHED_FIFO);
  Mutex m(PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_PROTECT);
  ASSERT_EQ(0, m.init_result);
  int c = -1, old = -1;
  EXPECT_EQ(0, pthread_mutex_getprioceiling(&m, &c));
  EXPECT_EQ(lo, c);
  EXPECT_EQ(0, pthread_mutex_setprioceiling(&m, 5, &old));
  EXPECT_EQ(lo, old);
  EXPECT_EQ(0, pthread_mutex_getprioceiling(&m, &c));
  EXPECT_EQ(5, c);
  EXPECT_EQ(EINVAL, pthread_mutex_setprioceiling(&m, lo - 1, &old));
  EXPECT_EQ(EINVAL, pthread_mutex_setprioceiling(&m, hi + 1, &old));
  EXPECT_EQ(0, pthread_mutex_setprioceiling(&m, hi, &old));
  EXPECT_EQ(5, old);
  EXPECT_EQ(0, pthread_mutex_getprioceiling(&m, &c));
  EXPECT_EQ(hi, c);
}

TEST(SyncMutexPP, CeilingFromAttributeIsUsed) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT);
  pthread_mutexattr_setprioceiling(&a, 42);
  pthread_mutex_t m;
  ASSERT_EQ(0, pthread_mutex_init(&m, &a));
  int c = -1;
  EXPECT_EQ(0, pthread_mutex_getprioceiling(&m, &c));
  EXPECT_EQ(42, c);
  pthread_mutex_destroy(&m);
  pthread_mutexattr_destroy(&a);
}

TEST(SyncMutexPP, CeilingCallsOnOtherMutexesAreEinval) {
  pthread_mutex_t n = PTHREAD_MUTEX_INITIALIZER;
  Mutex pi(PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_INHERIT);
  int c = -1, old = -1;
  EXPECT_EQ(EINVAL, pthread_mutex_getprioceiling(&n, &c));
  EXPECT_EQ(EINVAL, pthread_mutex_setprioceiling(&n, 1, &old));
  EXPECT_EQ(EINVAL, pthread_mutex_getprioceiling(&pi, &c));
  EXPECT_EQ(EINVAL, pthread_mutex_setprioceiling(&pi, 1, &old));
}

TEST(SyncMutexPP, FirstLockFromASchedOtherThreadIsEinval) {
  // Locking raises the caller to the ceiling with sched_setscheduler(
  // SCHED_OTHER, priority >= 1), which the kernel rejects: a fresh
  // SCHED_OTHER thread's first PP lock fails with EINVAL (trylock too).
  Mutex m(PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_PROTECT);
  EXPECT_EQ(EINVAL, in_other_thread([&] { return pthread_mutex_lock(&m); }));
  EXPECT_EQ(EINVAL, in_other_thread([&] { return pthread_mutex_trylock(&m); }));
  int c = -1;
  EXPECT_EQ(0, pthread_mutex_getprioceiling(&m, &c));  // the mutex is unchanged
  EXPECT_EQ(sched_get_priority_min(SCHED_FIFO), c);
}

}  // namespace
