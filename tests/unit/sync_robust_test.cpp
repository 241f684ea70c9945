// tests/unit/sync_robust_test.cpp — robust mutexes within one process: the
// owner thread ends while holding them (return or pthread_exit), the next
// locker gets EOWNERDEAD, then pthread_mutex_consistent or ENOTRECOVERABLE.
//
// Under NPTL the kernel marks the mutexes at thread exit from the thread's
// registered robust list; under weft a G's list is walked when the G exits.
// Cross-process cases (a killed process) are in tests/compare/sync_robust.c.
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include <atomic>
#include <vector>

#include <gtest/gtest.h>

#include "sync_test_util.h"

namespace {

using synctest::Event;
using synctest::far_deadline;
using synctest::in_other_thread;
using synctest::Thread;

struct RobustMutex {
  pthread_mutex_t m;
  explicit RobustMutex(int type = PTHREAD_MUTEX_NORMAL, int pshared = PTHREAD_PROCESS_PRIVATE,
                       int protocol = PTHREAD_PRIO_NONE) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutexattr_settype(&a, type);
    pthread_mutexattr_setpshared(&a, pshared);
    pthread_mutexattr_setprotocol(&a, protocol);
    EXPECT_EQ(0, pthread_mutex_init(&m, &a));
    pthread_mutexattr_destroy(&a);
  }
  ~RobustMutex() { pthread_mutex_destroy(&m); }
  pthread_mutex_t* operator&() { return &m; }
};

// A thread that locks `m` `depth` times and then ends without unlocking,
// either by returning or through pthread_exit.
void die_holding(pthread_mutex_t* m, int depth, bool use_pthread_exit) {
  Thread t([=] {
    for (int i = 0; i < depth; ++i) EXPECT_EQ(0, pthread_mutex_lock(m));
    if (use_pthread_exit) pthread_exit(nullptr);
  });
  t.join();
}

TEST(SyncRobust, OwnerReturnsThenLockIsEownerdeadAndConsistentRepairs) {
  RobustMutex m;
  die_holding(&m, 1, false);
  ASSERT_EQ(EOWNERDEAD, pthread_mutex_lock(&m));
  // The caller holds it now: others see it locked.
  EXPECT_EQ(EBUSY, in_other_thread([&] { return pthread_mutex_trylock(&m); }));
  EXPECT_EQ(0, pthread_mutex_consistent(&m));
  EXPECT_EQ(EINVAL, pthread_mutex_consistent(&m));  // already consistent
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
  EXPECT_EQ(0, pthread_mutex_lock(&m));  // an ordinary mutex again
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
}

TEST(SyncRobust, OwnerPthreadExitsThenTrylockAndTimedlockSeeEownerdead) {
  RobustMutex a, b;
  die_holding(&a, 1, true);
  EXPECT_EQ(EOWNERDEAD, pthread_mutex_trylock(&a));
  EXPECT_EQ(0, pthread_mutex_consistent(&a));
  EXPECT_EQ(0, pthread_mutex_unlock(&a));

  die_holding(&b, 1, true);
  timespec ts = far_deadline(CLOCK_REALTIME);
  EXPECT_EQ(EOWNERDEAD, pthread_mutex_timedlock(&b, &ts));
  EXPECT_EQ(0, pthread_mutex_consistent(&b));
  EXPECT_EQ(0, pthread_mutex_unlock(&b));
}

TEST(SyncRobust, UnlockWithoutConsistentMakesItNotRecoverable) {
  RobustMutex m;
  die_holding(&m, 1, false);
  ASSERT_EQ(EOWNERDEAD, pthread_mutex_lock(&m));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
  EXPECT_EQ(ENOTRECOVERABLE, pthread_mutex_lock(&m));
  timespec ts = far_deadline(CLOCK_MONOTONIC);
  EXPECT_EQ(ENOTRECOVERABLE, pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &ts));
  EXPECT_EQ(ENOTRECOVERABLE, in_other_thread([&] { return pthread_mutex_lock(&m); }));
  EXPECT_EQ(EINVAL, pthread_mutex_consistent(&m));
  // Last, because glibc 2.36's trylock returns ENOTRECOVERABLE but leaves the
  // lock word held by the caller (it compares the pre-CAS value with its tid),
  // so any later blocking lock would hang.
  EXPECT_EQ(ENOTRECOVERABLE, pthread_mutex_trylock(&m));
}

TEST(SyncRobust, ConsistentOnOtherMutexesIsEinval) {
  pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER;
  EXPECT_EQ(EINVAL, pthread_mutex_consistent(&plain));
  pthread_mutex_lock(&plain);
  EXPECT_EQ(EINVAL, pthread_mutex_consistent(&plain));
  pthread_mutex_unlock(&plain);
  RobustMutex r;
  EXPECT_EQ(EINVAL, pthread_mutex_consistent(&r));  // unlocked, owner alive
  pthread_mutex_lock(&r);
  EXPECT_EQ(EINVAL, pthread_mutex_consistent(&r));  // locked normally
  pthread_mutex_unlock(&r);
}

TEST(SyncRobust, LiveOwnerResults) {
  RobustMutex normal(PTHREAD_MUTEX_NORMAL), err(PTHREAD_MUTEX_ERRORCHECK),
      rec(PTHREAD_MUTEX_RECURSIVE);
  ASSERT_EQ(0, pthread_mutex_lock(&normal));
  EXPECT_EQ(EBUSY, pthread_mutex_trylock(&normal));
  timespec past = {0, 0};
  EXPECT_EQ(ETIMEDOUT, pthread_mutex_timedlock(&normal, &past));  // no EDEADLK check
  // Robust mutexes check the owner on unlock, even the NORMAL kind.
  EXPECT_EQ(EPERM, in_other_thread([&] { return pthread_mutex_unlock(&normal); }));
  EXPECT_EQ(0, pthread_mutex_unlock(&normal));
  EXPECT_EQ(EPERM, pthread_mutex_unlock(&normal));

  ASSERT_EQ(0, pthread_mutex_lock(&err));
  EXPECT_EQ(EDEADLK, pthread_mutex_lock(&err));
  EXPECT_EQ(EDEADLK, pthread_mutex_trylock(&err));
  EXPECT_EQ(0, pthread_mutex_unlock(&err));

  ASSERT_EQ(0, pthread_mutex_lock(&rec));
  EXPECT_EQ(0, pthread_mutex_lock(&rec));
  EXPECT_EQ(0, pthread_mutex_trylock(&rec));
  EXPECT_EQ(0, pthread_mutex_unlock(&rec));
  EXPECT_EQ(0, pthread_mutex_unlock(&rec));
  EXPECT_EQ(EBUSY, in_other_thread([&] { return pthread_mutex_trylock(&rec); }));
  EXPECT_EQ(0, pthread_mutex_unlock(&rec));
  EXPECT_EQ(EPERM, pthread_mutex_unlock(&rec));
}

TEST(SyncRobust, RecursiveHeldSeveralTimesNeedsOneUnlockAfterRecovery) {
  RobustMutex m(PTHREAD_MUTEX_RECURSIVE);
  die_holding(&m, 3, false);
  ASSERT_EQ(EOWNERDEAD, pthread_mutex_lock(&m));
  EXPECT_EQ(0, pthread_mutex_consistent(&m));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));  // the dead owner's count is gone
  EXPECT_EQ(0, in_other_thread([&] {
              int r = pthread_mutex_trylock(&m);
              pthread_mutex_unlock(&m);
              return r;
            }));
}

TEST(SyncRobust, EveryMutexHeldAtExitIsMarked) {
  // The exit walks the whole robust list, whatever the kinds and order.
  constexpr int kEach = 6;
  std::vector<std::unique_ptr<RobustMutex>> ms;
  for (int i = 0; i < kEach; ++i) {
    ms.push_back(std::make_unique<RobustMutex>(PTHREAD_MUTEX_NORMAL));
    ms.push_back(std::make_unique<RobustMutex>(PTHREAD_MUTEX_ERRORCHECK));
    ms.push_back(std::make_unique<RobustMutex>(PTHREAD_MUTEX_RECURSIVE));
    ms.push_back(std::make_unique<RobustMutex>(PTHREAD_MUTEX_NORMAL, PTHREAD_PROCESS_SHARED));
  }
  Thread t([&] {
    for (auto& m : ms) EXPECT_EQ(0, pthread_mutex_lock(&m->m));
    // Release one in the middle: it must not be reported.
    EXPECT_EQ(0, pthread_mutex_unlock(&ms[5]->m));
  });
  t.join();
  for (size_t i = 0; i < ms.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(i == 5 ? 0 : EOWNERDEAD, pthread_mutex_lock(&ms[i]->m));
    if (i != 5) {
      EXPECT_EQ(0, pthread_mutex_consistent(&ms[i]->m));
    }
    EXPECT_EQ(0, pthread_mutex_unlock(&ms[i]->m));
  }
}

TEST(SyncRobust, ExactlyOneWaiterSeesEownerdead) {
  RobustMutex m;
  constexpr int kWaiters = 8;
  Event locked, die;
  std::atomic<int> ownerdead{0}, ok{0}, other{0};
  Thread owner([&] {
    pthread_mutex_lock(&m);
    locked.post();
    die.wait_for();
  });
  locked.wait_for();
  {
    std::vector<Thread> waiters;
    for (int i = 0; i < kWaiters; ++i)
      waiters.emplace_back([&] {
        int r = pthread_mutex_lock(&m);
        if (r == EOWNERDEAD) {
          ownerdead++;
          pthread_mutex_consistent(&m);
        } else if (r == 0) {
          ok++;
        } else {
          other++;
        }
        pthread_mutex_unlock(&m);
      });
    die.post();  // the owner ends; waiters may or may not be asleep yet
    owner.join();
  }
  EXPECT_EQ(1, ownerdead.load());
  EXPECT_EQ(kWaiters - 1, ok.load());
  EXPECT_EQ(0, other.load());
}

TEST(SyncRobust, ThreadOfTheSameProcessSharedMutex) {
  RobustMutex m(PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PROCESS_SHARED);
  die_holding(&m, 1, true);
  EXPECT_EQ(EOWNERDEAD, pthread_mutex_lock(&m));
  EXPECT_EQ(0, pthread_mutex_consistent(&m));
  EXPECT_EQ(EDEADLK, pthread_mutex_lock(&m));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
}

TEST(SyncRobust, PriorityInheritRobustOwnerDies) {
  RobustMutex m(PTHREAD_MUTEX_NORMAL, PTHREAD_PROCESS_PRIVATE, PTHREAD_PRIO_INHERIT);
  die_holding(&m, 1, false);
  ASSERT_EQ(EOWNERDEAD, pthread_mutex_lock(&m));
  EXPECT_EQ(0, pthread_mutex_consistent(&m));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));
  EXPECT_EQ(0, pthread_mutex_trylock(&m));
  EXPECT_EQ(0, pthread_mutex_unlock(&m));

  RobustMutex n(PTHREAD_MUTEX_NORMAL, PTHREAD_PROCESS_PRIVATE, PTHREAD_PRIO_INHERIT);
  die_holding(&n, 1, true);
  ASSERT_EQ(EOWNERDEAD, pthread_mutex_trylock(&n));
  EXPECT_EQ(0, pthread_mutex_unlock(&n));  // not made consistent
  EXPECT_EQ(ENOTRECOVERABLE, pthread_mutex_lock(&n));
}

}  // namespace
