// tests/unit/sync_pshared_test.cpp — process-shared objects in a MAP_SHARED
// mapping used by a parent and a fork()ed child that take turns (ping-pong):
// mutex + condvar, semaphores, barrier, rwlock, spinlock, and a named
// semaphore.
//
// The child never returns into GoogleTest: it reports through _exit(status),
// 0 meaning every check passed. Process-shared objects must use kernel-visible
// futexes keyed by the shared page, whichever side runs under weft.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <new>
#include <string>

#include <gtest/gtest.h>

#include "sync_test_util.h"

namespace {

constexpr int kRounds = 500;

// Anonymous shared memory holding a T, constructed in place.
template <class T>
struct Shared {
  T* p;
  Shared() {
    void* m = mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    p = m == MAP_FAILED ? nullptr : new (m) T();
  }
  ~Shared() {
    if (p) {
      p->~T();
      munmap(p, sizeof(T));
    }
  }
  T* operator->() { return p; }
};

// Runs child_body in a forked child and returns its exit status (or -1 when
// it did not exit normally), while parent_body runs here.
int fork_and_run(const std::function<int()>& child_body, const std::function<void()>& parent_body) {
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) _exit(child_body());
  if (pid < 0) return -2;
  parent_body();
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -3;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct MutexCond {
  pthread_mutex_t m;
  pthread_cond_t c;
  int turn = 0;  // 0: parent's move, 1: child's
  long moves = 0;
  MutexCond() {
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&m, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c, &ca);
    pthread_condattr_destroy(&ca);
  }
  ~MutexCond() {
    pthread_cond_destroy(&c);
    pthread_mutex_destroy(&m);
  }
  // Waits for `me`'s turn (with a timed wait on odd rounds), moves, passes.
  int play(int me, int round) {
    if (pthread_mutex_lock(&m) != 0) return 1;
    while (turn != me) {
      int r;
      if (round & 1) {
        timespec d = synctest::far_deadline(CLOCK_MONOTONIC);
        r = pthread_cond_timedwait(&c, &m, &d);
      } else {
        r = pthread_cond_wait(&c, &m);
      }
      if (r != 0) return 2;
    }
    ++moves;
    turn = 1 - me;
    if (pthread_cond_signal(&c) != 0) return 3;
    return pthread_mutex_unlock(&m) == 0 ? 0 : 4;
  }
};

TEST(SyncPshared, MutexAndCondvarPingPongAcrossFork) {
  Shared<MutexCond> s;
  ASSERT_NE(nullptr, s.p);
  int parent_err = 0;
  int st = fork_and_run(
      [&] {
        for (int i = 0; i < kRounds; ++i)
          if (int e = s->play(1, i)) return 10 + e;
        return 0;
      },
      [&] {
        for (int i = 0; i < kRounds && !parent_err; ++i) parent_err = s->play(0, i);
      });
  EXPECT_EQ(0, st);
  EXPECT_EQ(0, parent_err);
  EXPECT_EQ(2L * kRounds, s->moves);
}

TEST(SyncPshared, ErrorcheckOwnershipIsPerProcess) {
  Shared<MutexCond> s;
  ASSERT_NE(nullptr, s.p);
  ASSERT_EQ(0, pthread_mutex_lock(&s->m));
  int st = fork_and_run(
      [&] {
        // fork copied no ownership: the child's thread is not the owner.
        if (pthread_mutex_unlock(&s->m) != EPERM) return 1;
        if (pthread_mutex_trylock(&s->m) != EBUSY) return 2;
        return 0;
      },
      [] {});
  EXPECT_EQ(0, st);
  EXPECT_EQ(0, pthread_mutex_unlock(&s->m));
}

struct TwoSems {
  sem_t ping, pong;
  long moves = 0;
  TwoSems() {
    sem_init(&ping, 1, 0);
    sem_init(&pong, 1, 0);
  }
  ~TwoSems() {
    sem_destroy(&ping);
    sem_destroy(&pong);
  }
};

TEST(SyncPshared, SemaphorePingPongAcrossFork) {
  Shared<TwoSems> s;
  ASSERT_NE(nullptr, s.p);
  int parent_err = 0;
  int st = fork_and_run(
      [&] {
        for (int i = 0; i < kRounds; ++i) {
          int r;
          if (i % 2) {
            timespec d = synctest::far_deadline(CLOCK_REALTIME);
            r = sem_timedwait(&s->ping, &d);
          } else {
            r = sem_wait(&s->ping);
          }
          if (r != 0) return 1;
          ++s->moves;
          if (sem_post(&s->pong) != 0) return 2;
        }
        return 0;
      },
      [&] {
        for (int i = 0; i < kRounds; ++i) {
          ++s->moves;
          if (sem_post(&s->ping) != 0) parent_err++;
          timespec d = synctest::far_deadline(CLOCK_MONOTONIC);
          if (sem_clockwait(&s->pong, CLOCK_MONOTONIC, &d) != 0) parent_err++;
        }
      });
  EXPECT_EQ(0, st);
  EXPECT_EQ(0, parent_err);
  EXPECT_EQ(2L * kRounds, s->moves);
  int v = -1;
  sem_getvalue(&s->ping, &v);
  EXPECT_EQ(0, v);
}

struct SharedBarrier {
  pthread_barrier_t b;
  std::atomic<int> serial{0};
  std::atomic<int> arrived{0};
  std::atomic<int> early{0};
  SharedBarrier() {
    pthread_barrierattr_t a;
    pthread_barrierattr_init(&a);
    pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(&b, &a, 2);
    pthread_barrierattr_destroy(&a);
  }
  ~SharedBarrier() { pthread_barrier_destroy(&b); }
  int rounds(int n) {
    for (int i = 0; i < n; ++i) {
      arrived++;
      int r = pthread_barrier_wait(&b);
      if (r == PTHREAD_BARRIER_SERIAL_THREAD)
        serial++;
      else if (r != 0)
        return 1;
      if (arrived.load() < 2 * (i + 1)) early++;
      // Second barrier so nobody increments `arrived` for the next round
      // before both have checked this one.
      r = pthread_barrier_wait(&b);
      if (r != 0 && r != PTHREAD_BARRIER_SERIAL_THREAD) return 2;
    }
    return 0;
  }
};

TEST(SyncPshared, BarrierAcrossFork) {
  Shared<SharedBarrier> s;
  ASSERT_NE(nullptr, s.p);
  int parent_err = 0;
  int st = fork_and_run([&] { return s->rounds(kRounds); },
                        [&] { parent_err = s->rounds(kRounds); });
  EXPECT_EQ(0, st);
  EXPECT_EQ(0, parent_err);
  EXPECT_EQ(kRounds, s->serial.load());
  EXPECT_EQ(0, s->early.load());
}

struct SharedRw {
  pthread_rwlock_t l;
  sem_t held, release;
  SharedRw() {
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_rwlock_init(&l, &a);
    pthread_rwlockattr_destroy(&a);
    sem_init(&held, 1, 0);
    sem_init(&release, 1, 0);
  }
  ~SharedRw() {
    pthread_rwlock_destroy(&l);
    sem_destroy(&held);
    sem_destroy(&release);
  }
};

TEST(SyncPshared, RwlockHeldByChildBlocksParentWriter) {
  Shared<SharedRw> s;
  ASSERT_NE(nullptr, s.p);
  int wr = -1, try_wr = -1, try_rd = -1;
  int st = fork_and_run(
      [&] {
        if (pthread_rwlock_rdlock(&s->l) != 0) return 1;
        sem_post(&s->held);
        sem_wait(&s->release);
        return pthread_rwlock_unlock(&s->l) == 0 ? 0 : 2;
      },
      [&] {
        sem_wait(&s->held);
        try_wr = pthread_rwlock_trywrlock(&s->l);
        try_rd = pthread_rwlock_tryrdlock(&s->l);
        if (try_rd == 0) pthread_rwlock_unlock(&s->l);
        sem_post(&s->release);
        wr = pthread_rwlock_wrlock(&s->l);  // blocks until the child unlocks
        pthread_rwlock_unlock(&s->l);
      });
  EXPECT_EQ(0, st);
  EXPECT_EQ(EBUSY, try_wr);
  EXPECT_EQ(0, try_rd);
  EXPECT_EQ(0, wr);
}

struct SharedSpin {
  pthread_spinlock_t s;
  long counter = 0;
  SharedSpin() { pthread_spin_init(&s, PTHREAD_PROCESS_SHARED); }
  void add(int n) {
    for (int i = 0; i < n; ++i) {
      pthread_spin_lock(&s);
      ++counter;
      pthread_spin_unlock(&s);
    }
  }
};

TEST(SyncPshared, SpinlockCountAcrossFork) {
  Shared<SharedSpin> s;
  ASSERT_NE(nullptr, s.p);
  int st = fork_and_run(
      [&] {
        s->add(100000);
        return 0;
      },
      [&] { s->add(100000); });
  EXPECT_EQ(0, st);
  EXPECT_EQ(200000, s->counter);
}

TEST(SyncPshared, NamedSemaphorePingPongAcrossFork) {
  char a_name[64], b_name[64];
  snprintf(a_name, sizeof a_name, "/weft_synctest_fork_a_%d", (int)getpid());
  snprintf(b_name, sizeof b_name, "/weft_synctest_fork_b_%d", (int)getpid());
  sem_unlink(a_name);
  sem_unlink(b_name);
  sem_t* a = sem_open(a_name, O_CREAT | O_EXCL, 0600, 0);
  sem_t* b = sem_open(b_name, O_CREAT | O_EXCL, 0600, 0);
  ASSERT_NE(SEM_FAILED, a);
  ASSERT_NE(SEM_FAILED, b);
  int parent_err = 0;
  int st = fork_and_run(
      [&] {
        // The child opens its own handles by name.
        sem_t* ca = sem_open(a_name, 0);
        sem_t* cb = sem_open(b_name, 0);
        if (ca == SEM_FAILED || cb == SEM_FAILED) return 1;
        for (int i = 0; i < kRounds; ++i) {
          if (sem_wait(ca) != 0) return 2;
          if (sem_post(cb) != 0) return 3;
        }
        return 0;
      },
      [&] {
        for (int i = 0; i < kRounds; ++i) {
          if (sem_post(a) != 0) parent_err++;
          if (sem_wait(b) != 0) parent_err++;
        }
      });
  EXPECT_EQ(0, st);
  EXPECT_EQ(0, parent_err);
  sem_close(a);
  sem_close(b);
  sem_unlink(a_name);
  sem_unlink(b_name);
}

}  // namespace
