// tests/unit/sync_sem_test.cpp — POSIX semaphores: sem_init/wait/trywait/
// timedwait/clockwait/post/getvalue/destroy with glibc 2.36's exact errno
// values, and named semaphores (sem_open/close/unlink).
//
// Order of glibc's checks that matter here: sem_timedwait rejects a bad
// tv_nsec before trying to take a token (so it fails even when one is
// available); sem_clockwait checks the clock first, then tv_nsec.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sync_test_util.h"

namespace {

using synctest::deadline_in;
using synctest::kNsPerMs;
using synctest::reached;
using synctest::Thread;

int value_of(sem_t* s) {
  int v = -1;
  EXPECT_EQ(0, sem_getvalue(s, &v));
  return v;
}

// Result of a call that returns -1/errno, as 0 or the errno value.
#define ERRNO_OF(call) ((call) == 0 ? 0 : errno)

TEST(SyncSem, InitLimits) {
  sem_t s;
  errno = 0;
  EXPECT_EQ(-1, sem_init(&s, 0, (unsigned)SEM_VALUE_MAX + 1));
  EXPECT_EQ(EINVAL, errno);
  EXPECT_EQ(0, sem_init(&s, 0, SEM_VALUE_MAX));
  EXPECT_EQ(SEM_VALUE_MAX, value_of(&s));
  EXPECT_EQ(0, sem_destroy(&s));
  EXPECT_EQ(0, sem_init(&s, 1, 3));  // process-shared
  EXPECT_EQ(3, value_of(&s));
  EXPECT_EQ(0, sem_destroy(&s));
  EXPECT_EQ(0, sem_init(&s, 5, 0));  // any non-zero pshared means shared
  EXPECT_EQ(0, sem_destroy(&s));
}

TEST(SyncSem, PostWaitTrywaitGetvalue) {
  sem_t s;
  ASSERT_EQ(0, sem_init(&s, 0, 2));
  EXPECT_EQ(0, sem_wait(&s));
  EXPECT_EQ(0, sem_trywait(&s));
  EXPECT_EQ(0, value_of(&s));
  EXPECT_EQ(EAGAIN, ERRNO_OF(sem_trywait(&s)));
  EXPECT_EQ(0, sem_post(&s));
  EXPECT_EQ(0, sem_post(&s));
  EXPECT_EQ(2, value_of(&s));
  EXPECT_EQ(0, sem_destroy(&s));
}

TEST(SyncSem, PostAtMaximumIsEoverflowAndKeepsTheValue) {
  sem_t s;
  ASSERT_EQ(0, sem_init(&s, 0, SEM_VALUE_MAX - 1));
  EXPECT_EQ(0, sem_post(&s));
  EXPECT_EQ(EOVERFLOW, ERRNO_OF(sem_post(&s)));
  EXPECT_EQ(SEM_VALUE_MAX, value_of(&s));
  EXPECT_EQ(0, sem_trywait(&s));
  EXPECT_EQ(SEM_VALUE_MAX - 1, value_of(&s));
  sem_destroy(&s);
}

TEST(SyncSemTimed, BadArgumentsAreEinvalEvenWithATokenAvailable) {
  sem_t s;
  ASSERT_EQ(0, sem_init(&s, 0, 1));
  timespec bad = {0, -1}, big = {0, 1000000000}, ok = {0, 0};
  EXPECT_EQ(EINVAL, ERRNO_OF(sem_timedwait(&s, &bad)));
  EXPECT_EQ(EINVAL, ERRNO_OF(sem_timedwait(&s, &big)));
  EXPECT_EQ(EINVAL, ERRNO_OF(sem_clockwait(&s, CLOCK_MONOTONIC, &big)));
  for (clockid_t c : {CLOCK_BOOTTIME, CLOCK_PROCESS_CPUTIME_ID, (clockid_t)99}) {
    EXPECT_EQ(EINVAL, ERRNO_OF(sem_clockwait(&s, c, &ok))) << c;
  }
  EXPECT_EQ(1, value_of(&s));  // no token was taken
  // A past deadline with a token available succeeds.
  timespec neg = {-1, 0};
  EXPECT_EQ(0, sem_timedwait(&s, &neg));
  EXPECT_EQ(0, sem_post(&s));
  EXPECT_EQ(0, sem_clockwait(&s, CLOCK_MONOTONIC, &ok));
  sem_destroy(&s);
}

TEST(SyncSemTimed, EmptySemaphoreTimesOutNotEarly) {
  sem_t s;
  ASSERT_EQ(0, sem_init(&s, 0, 0));
  timespec zero = {0, 0}, neg = {-1, 0};
  EXPECT_EQ(ETIMEDOUT, ERRNO_OF(sem_timedwait(&s, &zero)));
  EXPECT_EQ(ETIMEDOUT, ERRNO_OF(sem_timedwait(&s, &neg)));
  EXPECT_EQ(ETIMEDOUT, ERRNO_OF(sem_clockwait(&s, CLOCK_MONOTONIC, &neg)));
  timespec rt = deadline_in(CLOCK_REALTIME, 20 * kNsPerMs);
  EXPECT_EQ(ETIMEDOUT, ERRNO_OF(sem_timedwait(&s, &rt)));
  EXPECT_TRUE(reached(CLOCK_REALTIME, rt));
  timespec mono = deadline_in(CLOCK_MONOTONIC, 20 * kNsPerMs);
  EXPECT_EQ(ETIMEDOUT, ERRNO_OF(sem_clockwait(&s, CLOCK_MONOTONIC, &mono)));
  EXPECT_TRUE(reached(CLOCK_MONOTONIC, mono));
  rt = deadline_in(CLOCK_REALTIME, 20 * kNsPerMs);
  EXPECT_EQ(ETIMEDOUT, ERRNO_OF(sem_clockwait(&s, CLOCK_REALTIME, &rt)));
  EXPECT_TRUE(reached(CLOCK_REALTIME, rt));
  EXPECT_EQ(0, value_of(&s));
  sem_destroy(&s);
}

TEST(SyncSem, WaitersAreReleasedOnePerPost) {
  // Consumers block in sem_wait / sem_timedwait / sem_clockwait; each post
  // releases exactly one; getvalue never goes negative.
  sem_t items, done;
  ASSERT_EQ(0, sem_init(&items, 0, 0));
  ASSERT_EQ(0, sem_init(&done, 0, 0));
  constexpr int kConsumers = 12, kPerConsumer = 200;
  std::atomic<int> taken{0}, errors{0};
  std::vector<Thread> ts;
  for (int i = 0; i < kConsumers; ++i)
    ts.emplace_back([&, i] {
      for (int k = 0; k < kPerConsumer; ++k) {
        int r;
        if (i % 3 == 0) {
          r = sem_wait(&items);
        } else if (i % 3 == 1) {
          timespec d = synctest::far_deadline(CLOCK_REALTIME);
          r = sem_timedwait(&items, &d);
        } else {
          timespec d = synctest::far_deadline(CLOCK_MONOTONIC);
          r = sem_clockwait(&items, CLOCK_MONOTONIC, &d);
        }
        if (r != 0) errors++;
        taken++;
        sem_post(&done);
      }
    });
  for (int k = 0; k < kConsumers * kPerConsumer; ++k) {
    ASSERT_EQ(0, sem_post(&items));
    if (k % 64 == 0) {
      EXPECT_GE(value_of(&items), 0);
    }
  }
  for (int k = 0; k < kConsumers * kPerConsumer; ++k) ASSERT_EQ(0, sem_wait(&done));
  ts.clear();
  EXPECT_EQ(kConsumers * kPerConsumer, taken.load());
  EXPECT_EQ(0, errors.load());
  EXPECT_EQ(0, value_of(&items));
  sem_destroy(&items);
  sem_destroy(&done);
}

TEST(SyncSem, CopiedBeforeFirstUse) {
  sem_t tmpl;
  ASSERT_EQ(0, sem_init(&tmpl, 0, 2));
  auto copy = std::make_unique<sem_t>();
  memcpy(copy.get(), &tmpl, sizeof tmpl);
  EXPECT_EQ(0, sem_wait(copy.get()));
  EXPECT_EQ(0, sem_wait(copy.get()));
  EXPECT_EQ(EAGAIN, ERRNO_OF(sem_trywait(copy.get())));
  EXPECT_EQ(2, value_of(&tmpl));  // the original is separate
  std::atomic<int> got{-1};
  Thread t([&] { got = sem_wait(copy.get()); });
  EXPECT_EQ(0, sem_post(copy.get()));
  t.join();
  EXPECT_EQ(0, got.load());
  sem_destroy(copy.get());
  sem_destroy(&tmpl);
}

// ---- named semaphores ----------------------------------------------------------

std::string sem_name(const char* tag) {
  char buf[64];
  snprintf(buf, sizeof buf, "/weft_synctest_%s_%d", tag, (int)getpid());
  return buf;
}

TEST(SyncSemNamed, OpenCloseUnlinkResults) {
  std::string name = sem_name("a");
  sem_unlink(name.c_str());
  sem_t* a = sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 2);
  ASSERT_NE(SEM_FAILED, a);
  errno = 0;
  EXPECT_EQ(SEM_FAILED, sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 2));
  EXPECT_EQ(EEXIST, errno);
  sem_t* b = sem_open(name.c_str(), 0);  // the same semaphore
  ASSERT_NE(SEM_FAILED, b);
  EXPECT_EQ(0, sem_wait(b));
  EXPECT_EQ(1, value_of(a));
  EXPECT_EQ(0, sem_post(a));
  EXPECT_EQ(2, value_of(b));
  EXPECT_EQ(0, sem_close(b));
  EXPECT_EQ(0, sem_unlink(name.c_str()));
  errno = 0;
  EXPECT_EQ(-1, sem_unlink(name.c_str()));
  EXPECT_EQ(ENOENT, errno);
  EXPECT_EQ(0, sem_trywait(a));  // still usable after unlink until closed
  EXPECT_EQ(0, sem_close(a));
}

TEST(SyncSemNamed, OpenErrors) {
  std::string name = sem_name("missing");
  sem_unlink(name.c_str());
  errno = 0;
  EXPECT_EQ(SEM_FAILED, sem_open(name.c_str(), 0));
  EXPECT_EQ(ENOENT, errno);
  errno = 0;
  EXPECT_EQ(SEM_FAILED, sem_open(name.c_str(), O_CREAT, 0600, (unsigned)SEM_VALUE_MAX + 1));
  EXPECT_EQ(EINVAL, errno);
  for (const char* bad : {"/", "", "/a/b"}) {
    errno = 0;
    EXPECT_EQ(SEM_FAILED, sem_open(bad, O_CREAT, 0600, 1)) << bad;
    EXPECT_EQ(EINVAL, errno) << bad;
  }
  errno = 0;
  EXPECT_EQ(-1, sem_unlink(name.c_str()));
  EXPECT_EQ(ENOENT, errno);
}

TEST(SyncSemNamed, BlockedWaiterIsWokenThroughAnotherHandle) {
  std::string name = sem_name("wake");
  sem_unlink(name.c_str());
  sem_t* a = sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 0);
  ASSERT_NE(SEM_FAILED, a);
  std::atomic<int> got{-1};
  Thread t([&] {
    timespec d = synctest::far_deadline(CLOCK_REALTIME);
    got = sem_timedwait(a, &d);
  });
  sem_t* b = sem_open(name.c_str(), 0);
  ASSERT_NE(SEM_FAILED, b);
  EXPECT_EQ(0, sem_post(b));
  t.join();
  EXPECT_EQ(0, got.load());
  sem_close(b);
  sem_close(a);
  sem_unlink(name.c_str());
}

}  // namespace
