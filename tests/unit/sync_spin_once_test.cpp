// tests/unit/sync_spin_once_test.cpp — pthread_spin_* and pthread_once.
//
// Spinlocks: glibc's pthread_spin_init accepts any pshared value; trylock on
// a held lock is EBUSY; contended increments stay exact. (Under weft with one
// P a spinning G relies on the holder being switched back in: critical
// sections here never block.)
// pthread_once: the routine runs once, and every caller returns only after it
// has finished, including callers that arrive while it runs.
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <string.h>

#include <atomic>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "sync_test_util.h"

namespace {

using synctest::in_other_thread;
using synctest::Thread;

TEST(SyncSpin, InitTrylockUnlockDestroy) {
  pthread_spinlock_t s;
  EXPECT_EQ(0, pthread_spin_init(&s, PTHREAD_PROCESS_PRIVATE));
  EXPECT_EQ(0, pthread_spin_destroy(&s));
  EXPECT_EQ(0, pthread_spin_init(&s, PTHREAD_PROCESS_SHARED));
  EXPECT_EQ(0, pthread_spin_destroy(&s));
  EXPECT_EQ(0, pthread_spin_init(&s, 7));  // glibc does not validate pshared
  EXPECT_EQ(0, pthread_spin_lock(&s));
  EXPECT_EQ(EBUSY, pthread_spin_trylock(&s));
  EXPECT_EQ(EBUSY, in_other_thread([&] { return pthread_spin_trylock(&s); }));
  EXPECT_EQ(0, pthread_spin_unlock(&s));
  EXPECT_EQ(0, pthread_spin_trylock(&s));
  EXPECT_EQ(0, pthread_spin_unlock(&s));
  EXPECT_EQ(0, pthread_spin_destroy(&s));
}

TEST(SyncSpin, UnlockFromAnotherThreadReleases) {
  pthread_spinlock_t s;
  pthread_spin_init(&s, PTHREAD_PROCESS_PRIVATE);
  ASSERT_EQ(0, pthread_spin_lock(&s));
  EXPECT_EQ(0, in_other_thread([&] { return pthread_spin_unlock(&s); }));
  EXPECT_EQ(0, pthread_spin_trylock(&s));
  pthread_spin_unlock(&s);
}

TEST(SyncSpin, ContendedCountIsExact) {
  pthread_spinlock_t s;
  pthread_spin_init(&s, PTHREAD_PROCESS_PRIVATE);
  // Copy before first use: a spinlock is a plain word.
  auto copy = std::make_unique<pthread_spinlock_t>();
  memcpy((void*)copy.get(), (const void*)&s, sizeof s);
  constexpr int kThreads = 8, kIters = 20000;
  long counter = 0;
  std::atomic<int> inside{0}, overlaps{0};
  {
    std::vector<Thread> ts;
    for (int i = 0; i < kThreads; ++i)
      ts.emplace_back([&, i] {
        for (int k = 0; k < kIters; ++k) {
          if ((i + k) & 1) {
            pthread_spin_lock(copy.get());
          } else {
            while (pthread_spin_trylock(copy.get()) == EBUSY) sched_yield();
          }
          if (inside.fetch_add(1) != 0) overlaps++;
          ++counter;
          inside.fetch_sub(1);
          pthread_spin_unlock(copy.get());
        }
      });
  }
  EXPECT_EQ((long)kThreads * kIters, counter);
  EXPECT_EQ(0, overlaps.load());
  EXPECT_EQ(0, pthread_spin_destroy(copy.get()));
}

// ---- pthread_once --------------------------------------------------------------

std::atomic<int> g_once_runs{0};
std::atomic<int> g_once_finished{0};
sem_t g_once_gate;          // the routine blocks here until the test opens it
std::atomic<int> g_once_in_routine{0};

void slow_once_routine() {
  g_once_runs++;
  g_once_in_routine = 1;
  sem_wait(&g_once_gate);
  g_once_finished = 1;
}

TEST(SyncOnce, RoutineRunsOnceAndLateCallersWaitForIt) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  sem_init(&g_once_gate, 0, 0);
  constexpr int kThreads = 16;
  std::atomic<int> saw_unfinished{0}, results{0};
  {
    std::vector<Thread> ts;
    for (int i = 0; i < kThreads; ++i)
      ts.emplace_back([&] {
        results += pthread_once(&once, slow_once_routine);
        if (!g_once_finished.load()) saw_unfinished++;
      });
    // The routine is running (in one of them) and blocked on the gate; the
    // others are either inside pthread_once waiting or not there yet. Both
    // must return only after it finishes.
    synctest::yield_until([] { return g_once_in_routine.load() == 1; });
    sem_post(&g_once_gate);
  }
  EXPECT_EQ(1, g_once_runs.load());
  EXPECT_EQ(0, saw_unfinished.load());
  EXPECT_EQ(0, results.load());
  EXPECT_EQ(0, pthread_once(&once, slow_once_routine));  // no second run
  EXPECT_EQ(1, g_once_runs.load());
  sem_destroy(&g_once_gate);
}

std::atomic<int> g_outer_runs{0}, g_inner_runs{0};
pthread_once_t g_inner_once = PTHREAD_ONCE_INIT;
void inner_routine() { g_inner_runs++; }
void outer_routine() {
  g_outer_runs++;
  pthread_once(&g_inner_once, inner_routine);  // a different control: allowed
}

TEST(SyncOnce, NestedOnceOnAnotherControlAndZeroFilledControl) {
  static pthread_once_t outer;  // zero-filled == PTHREAD_ONCE_INIT
  std::vector<Thread> ts;
  for (int i = 0; i < 8; ++i) ts.emplace_back([] { pthread_once(&outer, outer_routine); });
  ts.clear();
  EXPECT_EQ(1, g_outer_runs.load());
  EXPECT_EQ(1, g_inner_runs.load());
}

}  // namespace
