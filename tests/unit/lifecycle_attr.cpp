// Unit tests: pthread_attr_* (init/destroy, detachstate, stacksize, stack,
// guardsize, scope, inheritsched, schedpolicy, schedparam, affinity_np),
// pthread_getattr_np (created threads, user stacks, the main thread),
// pthread_getattr_default_np / pthread_setattr_default_np, and
// pthread_{get,set}affinity_np, with glibc 2.36's exact results
// (nptl/pthread_attr_*.c, pthread_getattr_np.c, pthread_setattr_default_np.c,
// sysdeps/nptl/pthread_early_init.h, allocatestack.c).
//
// Invariant: a test that changes the process-wide default attribute restores
// it (DefaultAttrRestorer) even when an assertion fails.
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <threads.h>
#include <unistd.h>

#include <atomic>

#include <gtest/gtest.h>

#include "lifecycle_helpers.h"

namespace {

using lifecycle::Gate;
using lifecycle::spawn;
using lifecycle::stack_contains;

// glibc's own PTHREAD_STACK_MIN: with _GNU_SOURCE the header's macro may
// become sysconf(_SC_THREAD_STACK_MIN), but the checks use the constant.
constexpr size_t kGlibcStackMin = 16384;

size_t page_size() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

size_t default_stacksize() {
  pthread_attr_t a;
  size_t size = 0;
  if (pthread_getattr_default_np(&a) == 0) {
    pthread_attr_getstacksize(&a, &size);
    pthread_attr_destroy(&a);
  }
  return size;
}

TEST(LifecycleAttr, InitGivesTheDocumentedDefaults) {
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_attr_init(&a));
  int v = -1;
  EXPECT_EQ(0, pthread_attr_getdetachstate(&a, &v));
  EXPECT_EQ(PTHREAD_CREATE_JOINABLE, v);
  EXPECT_EQ(0, pthread_attr_getscope(&a, &v));
  EXPECT_EQ(PTHREAD_SCOPE_SYSTEM, v);
  EXPECT_EQ(0, pthread_attr_getinheritsched(&a, &v));
  EXPECT_EQ(PTHREAD_INHERIT_SCHED, v);
  EXPECT_EQ(0, pthread_attr_getschedpolicy(&a, &v));
  EXPECT_EQ(SCHED_OTHER, v);
  sched_param p{-1};
  EXPECT_EQ(0, pthread_attr_getschedparam(&a, &p));
  EXPECT_EQ(0, p.sched_priority);
  size_t size = 0;
  EXPECT_EQ(0, pthread_attr_getguardsize(&a, &size));
  EXPECT_EQ(page_size(), size);
  // An unset stack size reads as the process default ...
  EXPECT_EQ(0, pthread_attr_getstacksize(&a, &size));
  EXPECT_EQ(default_stacksize(), size);
  // ... but getstack reports the raw, unset fields.
  void *addr = &size;
  EXPECT_EQ(0, pthread_attr_getstack(&a, &addr, &size));
  EXPECT_EQ(nullptr, addr);
  EXPECT_EQ(0u, size);
  EXPECT_EQ(0, pthread_attr_destroy(&a));
}

TEST(LifecycleAttr, DetachStateRejectsUnknownValues) {
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_attr_init(&a));
  int v = -1;
  EXPECT_EQ(0, pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
  EXPECT_EQ(EINVAL, pthread_attr_setdetachstate(&a, 2));
  EXPECT_EQ(EINVAL, pthread_attr_setdetachstate(&a, -1));
  EXPECT_EQ(0, pthread_attr_getdetachstate(&a, &v));
  EXPECT_EQ(PTHREAD_CREATE_DETACHED, v);
  EXPECT_EQ(0, pthread_attr_setdetachstate(&a, PTHREAD_CREATE_JOINABLE));
  EXPECT_EQ(0, pthread_attr_getdetachstate(&a, &v));
  EXPECT_EQ(PTHREAD_CREATE_JOINABLE, v);
  pthread_attr_destroy(&a);
}

TEST(LifecycleAttr, StackSizeBelowTheMinimumIsEinval) {
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_attr_init(&a));
  EXPECT_EQ(0, pthread_attr_setstacksize(&a, 1 << 20));
  EXPECT_EQ(EINVAL, pthread_attr_setstacksize(&a, kGlibcStackMin - 1));
  EXPECT_EQ(EINVAL, pthread_attr_setstacksize(&a, 0));
  size_t size = 0;
  EXPECT_EQ(0, pthread_attr_getstacksize(&a, &size));
  EXPECT_EQ(size_t{1} << 20, size);
  EXPECT_EQ(0, pthread_attr_setstacksize(&a, kGlibcStackMin));
  EXPECT_EQ(0, pthread_attr_getstacksize(&a, &size));
  EXPECT_EQ(kGlibcStackMin, size);
  // Not rounded: any size from the minimum up is stored as given.
  EXPECT_EQ(0, pthread_attr_setstacksize(&a, kGlibcStackMin + 1));
  EXPECT_EQ(0, pthread_attr_getstacksize(&a, &size));
  EXPECT_EQ(kGlibcStackMin + 1, size);
  pthread_attr_destroy(&a);
}

TEST(LifecycleAttr, SetStackValidatesTheSizeAndRoundTrips) {
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_attr_init(&a));
  alignas(64) static char buf[1 << 16];
  EXPECT_EQ(EINVAL, pthread_attr_setstack(&a, buf, kGlibcStackMin - 1));
  void *addr = nullptr;
  size_t size = 1;
  EXPECT_EQ(0, pthread_attr_getstack(&a, &addr, &size));
  EXPECT_EQ(0u, size);
  EXPECT_EQ(0, pthread_attr_setstack(&a, buf, sizeof buf));
  EXPECT_EQ(0, pthread_attr_getstack(&a, &addr, &size));
  EXPECT_EQ(static_cast<void *>(buf), addr);
  EXPECT_EQ(sizeof buf, size);
  EXPECT_EQ(0, pthread_attr_getstacksize(&a, &size));
  EXPECT_EQ(sizeof buf, size);
  pthread_attr_destroy(&a);
}

TEST(LifecycleAttr, GuardSizeIsStoredUnrounded) {
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_attr_init(&a));
  size_t size = 0;
  EXPECT_EQ(0, pthread_attr_setguardsize(&a, 12345));
  EXPECT_EQ(0, pthread_attr_getguardsize(&a, &size));
  EXPECT_EQ(12345u, size);
  EXPECT_EQ(0, pthread_attr_setguardsize(&a, 0));
  EXPECT_EQ(0, pthread_attr_getguardsize(&a, &size));
  EXPECT_EQ(0u, size);
  pthread_attr_destroy(&a);
}

TEST(LifecycleAttr, ProcessScopeIsNotSupported) {
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_attr_init(&a));
  EXPECT_EQ(ENOTSUP, pthread_attr_setscope(&a, PTHREAD_SCOPE_PROCESS));
  EXPECT_EQ(EINVAL, pthread_attr_setscope(&a, 99));
  EXPECT_EQ(0, pthread_attr_setscope(&a, PTHREAD_SCOPE_SYSTEM));
  int v = -1;
  EXPECT_EQ(0, pthread_attr_getscope(&a, &v));
  EXPECT_EQ(PTHREAD_SCOPE_SYSTEM, v);
  pthread_attr_destroy(&a);
}

TEST(LifecycleAttr, InheritSchedRejectsUnknownValues) {
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_attr_init(&a));
  int v = -1;
  EXPECT_EQ(0, pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED));
  EXPECT_EQ(EINVAL, pthread_attr_setinheritsched(&a, 7));
  EXPECT_EQ(0, pthread_attr_getinheritsched(&a, &v));
  EXPECT_EQ(PTHREAD_EXPLICIT_SCHED, v);
  EXPECT_EQ(0, pthread_attr_setinheritsched(&a, PTHREAD_INHERIT_SCHED));
  EXPECT_EQ(0, pthread_attr_getinheritsched(&a, &v));
  EXPECT_EQ(PTHREAD_INHERIT_SCHED, v);
  pthread_attr_destroy(&a);
}

TEST(LifecycleAttr, SchedPolicyAcceptsOnlyOtherFifoAndRr) {
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_attr_init(&a));
  int v = -1;
  for (int policy : {SCHED_FIFO, SCHED_RR, SCHED_OTHER}) {
    EXPECT_EQ(0, pthread_attr_setschedpolicy(&a, policy));
    EXPECT_EQ(0, pthread_attr_getschedpolicy(&a, &v));
    EXPECT_EQ(policy, v);
  }
  for (int policy : {SCHED_BATCH, SCHED_IDLE, 42, -1}) {
    EXPECT_EQ(EINVAL, pthread_attr_setschedpolicy(&a, policy)) << policy;
  }
  EXPECT_EQ(0, pthread_attr_getschedpolicy(&a, &v));
  EXPECT_EQ(SCHED_OTHER, v);
  pthread_attr_destroy(&a);
}

TEST(LifecycleAttr, SchedParamRangeFollowsThePolicy) {
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_attr_init(&a));
  sched_param p{};
  p.sched_priority = 0;
  EXPECT_EQ(0, pthread_attr_setschedparam(&a, &p));
  p.sched_priority = 1;
  EXPECT_EQ(EINVAL, pthread_attr_setschedparam(&a, &p));  // SCHED_OTHER: 0 only
  ASSERT_EQ(0, pthread_attr_setschedpolicy(&a, SCHED_FIFO));
  p.sched_priority = 0;
  EXPECT_EQ(EINVAL, pthread_attr_setschedparam(&a, &p));
  p.sched_priority = 100;
  EXPECT_EQ(EINVAL, pthread_attr_setschedparam(&a, &p));
  for (int prio : {1, 50, 99}) {
    p.sched_priority = prio;
    EXPECT_EQ(0, pthread_attr_setschedparam(&a, &p)) << prio;
  }
  sched_param got{};
  EXPECT_EQ(0, pthread_attr_getschedparam(&a, &got));
  EXPECT_EQ(99, got.sched_priority);
  pthread_attr_destroy(&a);
}

TEST(LifecycleAttr, AffinityRoundTripsThroughTheAttribute) {
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_attr_init(&a));
  // Nothing set: every CPU, whatever the size asked for.
  unsigned char raw[16];
  EXPECT_EQ(0, pthread_attr_getaffinity_np(&a, sizeof raw, reinterpret_cast<cpu_set_t *>(raw)));
  for (unsigned char c : raw) EXPECT_EQ(0xff, c);

  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(1, &set);
  CPU_SET(100, &set);
  EXPECT_EQ(0, pthread_attr_setaffinity_np(&a, sizeof set, &set));
  cpu_set_t got;
  memset(&got, 0xff, sizeof got);
  EXPECT_EQ(0, pthread_attr_getaffinity_np(&a, sizeof got, &got));
  EXPECT_TRUE(CPU_EQUAL(&set, &got));
  // A smaller buffer that cannot hold CPU 100 is EINVAL; a larger one is
  // zero-filled past the stored set.
  EXPECT_EQ(EINVAL, pthread_attr_getaffinity_np(&a, 8, &got));
  unsigned char big[sizeof(cpu_set_t) + 16];
  memset(big, 0xff, sizeof big);
  EXPECT_EQ(0, pthread_attr_getaffinity_np(&a, sizeof big, reinterpret_cast<cpu_set_t *>(big)));
  EXPECT_EQ(0, memcmp(big, &set, sizeof set));
  for (size_t i = sizeof set; i < sizeof big; i++) EXPECT_EQ(0, big[i]) << i;

  // A zero size clears it again.
  EXPECT_EQ(0, pthread_attr_setaffinity_np(&a, 0, &set));
  EXPECT_EQ(0, pthread_attr_getaffinity_np(&a, sizeof raw, reinterpret_cast<cpu_set_t *>(raw)));
  for (unsigned char c : raw) EXPECT_EQ(0xff, c);
  EXPECT_EQ(0, pthread_attr_destroy(&a));
}

// What a thread sees of itself through pthread_getattr_np.
struct SelfView {
  bool ok = false;
  bool contains_local = false;
  void *stack = nullptr;
  size_t stacksize = 0;
  size_t guardsize = 0;
  int detachstate = -1;
};

SelfView view_self() {
  SelfView v;
  int local = 0;
  pthread_attr_t a;
  if (pthread_getattr_np(pthread_self(), &a) != 0) return v;
  v.ok = pthread_attr_getstack(&a, &v.stack, &v.stacksize) == 0 &&
         pthread_attr_getguardsize(&a, &v.guardsize) == 0 &&
         pthread_attr_getdetachstate(&a, &v.detachstate) == 0;
  v.contains_local = stack_contains(&a, &local);
  pthread_attr_destroy(&a);
  return v;
}

SelfView view_of_new_thread(const pthread_attr_t *attr) {
  SelfView v;
  pthread_t t;
  if (spawn(&t, attr, [&] {
        v = view_self();
        return nullptr;
      }) != 0)
    return v;
  pthread_join(t, nullptr);
  return v;
}

TEST(LifecycleAttr, GetattrNpDescribesANewThreadsStack) {
  SelfView v = view_of_new_thread(nullptr);
  ASSERT_TRUE(v.ok);
  EXPECT_TRUE(v.contains_local);
  EXPECT_EQ(PTHREAD_CREATE_JOINABLE, v.detachstate);
  EXPECT_EQ(page_size(), v.guardsize);
  // A reused stack may be larger than asked (glibc takes cached stacks up to
  // four times the size).
  EXPECT_GE(v.stacksize, default_stacksize());
  EXPECT_LE(v.stacksize, 4 * default_stacksize());
}

TEST(LifecycleAttr, GetattrNpFromAnotherThreadMatchesTheThreadsOwnView) {
  Gate gate;
  SelfView inside;
  std::atomic<bool> looked{false};
  pthread_t t;
  ASSERT_EQ(0, spawn(&t, [&] {
              inside = view_self();
              looked = true;
              gate.wait();
              return nullptr;
            }));
  lifecycle::yield_until(looked);
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_getattr_np(t, &a));
  void *stack = nullptr;
  size_t size = 0;
  EXPECT_EQ(0, pthread_attr_getstack(&a, &stack, &size));
  pthread_attr_destroy(&a);
  gate.open();
  ASSERT_EQ(0, pthread_join(t, nullptr));
  ASSERT_TRUE(inside.ok);
  EXPECT_EQ(inside.stack, stack);
  EXPECT_EQ(inside.stacksize, size);
}

TEST(LifecycleAttr, GetattrNpReportsTheRequestedSizes) {
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_attr_init(&a));
  ASSERT_EQ(0, pthread_attr_setstacksize(&a, 1 << 20));
  ASSERT_EQ(0, pthread_attr_setguardsize(&a, 64 << 10));
  SelfView v = view_of_new_thread(&a);
  ASSERT_TRUE(v.ok);
  EXPECT_TRUE(v.contains_local);
  EXPECT_EQ(size_t{64} << 10, v.guardsize);
  EXPECT_GE(v.stacksize, size_t{1} << 20);
  EXPECT_LE(v.stacksize, size_t{4} << 20);

  // The reported guard is the requested one rounded up to a page.
  ASSERT_EQ(0, pthread_attr_setguardsize(&a, 1000));
  v = view_of_new_thread(&a);
  ASSERT_TRUE(v.ok);
  EXPECT_EQ(page_size(), v.guardsize);

  ASSERT_EQ(0, pthread_attr_setguardsize(&a, 0));
  v = view_of_new_thread(&a);
  ASSERT_TRUE(v.ok);
  EXPECT_TRUE(v.contains_local);
  EXPECT_EQ(0u, v.guardsize);
  pthread_attr_destroy(&a);
}

TEST(LifecycleAttr, GetattrNpOfAUserStackIsExactlyThatStack) {
  const size_t size = 256 << 10;
  void *mem = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(MAP_FAILED, mem);
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_attr_init(&a));
  ASSERT_EQ(0, pthread_attr_setstack(&a, mem, size));
  SelfView v = view_of_new_thread(&a);
  pthread_attr_destroy(&a);
  ASSERT_TRUE(v.ok);
  EXPECT_TRUE(v.contains_local);
  EXPECT_EQ(mem, v.stack);
  EXPECT_EQ(size, v.stacksize);
  EXPECT_EQ(0u, v.guardsize);
  munmap(mem, size);
}

TEST(LifecycleAttr, GetattrNpReflectsALaterDetach) {
  std::atomic<bool> done{false};
  SelfView before, after;
  pthread_t t;
  ASSERT_EQ(0, spawn(&t, [&] {
              before = view_self();
              pthread_detach(pthread_self());
              after = view_self();
              done = true;
              return nullptr;
            }));
  lifecycle::yield_until(done);
  EXPECT_EQ(PTHREAD_CREATE_JOINABLE, before.detachstate);
  EXPECT_EQ(PTHREAD_CREATE_DETACHED, after.detachstate);
}

TEST(LifecycleAttr, GetattrNpOfTheMainThreadContainsItsLocals) {
  // gtest runs test bodies on the process's initial thread.
  SelfView v = view_self();
  ASSERT_TRUE(v.ok);
  EXPECT_TRUE(v.contains_local);
  EXPECT_GT(v.stacksize, 0u);
  EXPECT_EQ(PTHREAD_CREATE_JOINABLE, v.detachstate);

  // Another thread asking about the main thread gets the same range.
  pthread_t main_thread = pthread_self();
  int main_local = 0;
  bool ok = false, contains = false;
  void *stack = nullptr;
  size_t size = 0;
  pthread_t t;
  ASSERT_EQ(0, spawn(&t, [&] {
              pthread_attr_t a;
              if (pthread_getattr_np(main_thread, &a) == 0) {
                ok = pthread_attr_getstack(&a, &stack, &size) == 0;
                contains = stack_contains(&a, &main_local);
                pthread_attr_destroy(&a);
              }
              return nullptr;
            }));
  ASSERT_EQ(0, pthread_join(t, nullptr));
  ASSERT_TRUE(ok);
  EXPECT_TRUE(contains);
  EXPECT_EQ(v.stack, stack);
  EXPECT_EQ(v.stacksize, size);
}

// sysdeps/nptl/pthread_early_init.h: RLIMIT_STACK's soft limit (2 MiB when
// unlimited, at least PTHREAD_STACK_MIN), rounded up to a page.
TEST(LifecycleAttr, DefaultAttrFollowsGlibcsStartupRule) {
  rlimit rl;
  ASSERT_EQ(0, getrlimit(RLIMIT_STACK, &rl));
  size_t expected = rl.rlim_cur == RLIM_INFINITY ? size_t{2} << 20 : rl.rlim_cur;
  if (expected < kGlibcStackMin) expected = kGlibcStackMin;
  expected = (expected + page_size() - 1) & ~(page_size() - 1);

  pthread_attr_t a;
  ASSERT_EQ(0, pthread_getattr_default_np(&a));
  size_t size = 0;
  EXPECT_EQ(0, pthread_attr_getstacksize(&a, &size));
  EXPECT_EQ(expected, size);
  EXPECT_EQ(0, pthread_attr_getguardsize(&a, &size));
  EXPECT_EQ(page_size(), size);
  int v = -1;
  EXPECT_EQ(0, pthread_attr_getdetachstate(&a, &v));
  EXPECT_EQ(PTHREAD_CREATE_JOINABLE, v);
  EXPECT_EQ(0, pthread_attr_getschedpolicy(&a, &v));
  EXPECT_EQ(SCHED_OTHER, v);
  EXPECT_EQ(0, pthread_attr_getinheritsched(&a, &v));
  EXPECT_EQ(PTHREAD_INHERIT_SCHED, v);
  pthread_attr_destroy(&a);
}

// Saves the process default attribute and puts it back on scope exit.
class DefaultAttrRestorer {
 public:
  DefaultAttrRestorer() { saved_ok_ = pthread_getattr_default_np(&saved_) == 0; }
  ~DefaultAttrRestorer() {
    if (!saved_ok_) return;
    pthread_setattr_default_np(&saved_);
    pthread_attr_destroy(&saved_);
  }
  bool ok() const { return saved_ok_; }

 private:
  pthread_attr_t saved_;
  bool saved_ok_ = false;
};

int c11_view_self(void *p) {
  *static_cast<SelfView *>(p) = view_self();
  return 0;
}

TEST(LifecycleAttr, SetDefaultAttrAppliesToThreadsCreatedWithoutAttr) {
  DefaultAttrRestorer restore;
  ASSERT_TRUE(restore.ok());
  const size_t want = 512 << 10;
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_attr_init(&a));
  ASSERT_EQ(0, pthread_attr_setstacksize(&a, want));
  ASSERT_EQ(0, pthread_attr_setguardsize(&a, 2 * page_size()));
  ASSERT_EQ(0, pthread_setattr_default_np(&a));
  pthread_attr_destroy(&a);
  EXPECT_EQ(want, default_stacksize());

  SelfView v = view_of_new_thread(nullptr);
  ASSERT_TRUE(v.ok);
  EXPECT_TRUE(v.contains_local);
  EXPECT_GE(v.stacksize, want);
  EXPECT_LE(v.stacksize, 4 * want);
  EXPECT_EQ(2 * page_size(), v.guardsize);

  // C11 threads take the default attribute too.
  SelfView c11;
  thrd_t ct;
  ASSERT_EQ(thrd_success, thrd_create(&ct, c11_view_self, &c11));
  ASSERT_EQ(thrd_success, thrd_join(ct, nullptr));
  ASSERT_TRUE(c11.ok);
  EXPECT_GE(c11.stacksize, want);
  EXPECT_LE(c11.stacksize, 4 * want);

  // A stack size of 0 keeps the current default size.
  ASSERT_EQ(0, pthread_attr_init(&a));
  ASSERT_EQ(0, pthread_setattr_default_np(&a));
  EXPECT_EQ(want, default_stacksize());

  // The default detach state applies too.
  ASSERT_EQ(0, pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
  ASSERT_EQ(0, pthread_setattr_default_np(&a));
  pthread_attr_destroy(&a);
  Gate gate;
  std::atomic<bool> done{false};
  pthread_t t;
  ASSERT_EQ(0, lifecycle::spawn_gated(&t, nullptr, gate, done));
  const int probe = lifecycle::probe_join(t);
  EXPECT_EQ(EINVAL, probe);
  if (probe == EINVAL) {
    EXPECT_EQ(EINVAL, pthread_join(t, nullptr));
  }
  gate.open();
  if (probe != EINVAL) pthread_join(t, nullptr);  // joinable after all
  lifecycle::yield_until(done);
}

TEST(LifecycleAttr, SetDefaultAttrRejectsAStackAndABadPriority) {
  DefaultAttrRestorer restore;
  ASSERT_TRUE(restore.ok());
  const size_t before = default_stacksize();
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_attr_init(&a));
  alignas(64) static char buf[1 << 16];
  ASSERT_EQ(0, pthread_attr_setstack(&a, buf, sizeof buf));
  EXPECT_EQ(EINVAL, pthread_setattr_default_np(&a));
  pthread_attr_destroy(&a);

  // SCHED_OTHER with priority 10, reachable by setting the priority under
  // SCHED_FIFO and switching the policy back.
  ASSERT_EQ(0, pthread_attr_init(&a));
  ASSERT_EQ(0, pthread_attr_setschedpolicy(&a, SCHED_FIFO));
  sched_param p{};
  p.sched_priority = 10;
  ASSERT_EQ(0, pthread_attr_setschedparam(&a, &p));
  ASSERT_EQ(0, pthread_attr_setschedpolicy(&a, SCHED_OTHER));
  ASSERT_EQ(0, pthread_attr_setstacksize(&a, before + (1 << 20)));
  EXPECT_EQ(EINVAL, pthread_setattr_default_np(&a));
  pthread_attr_destroy(&a);
  EXPECT_EQ(before, default_stacksize());
}

TEST(LifecycleAttr, ExplicitSchedOtherIsAppliedToTheNewThread) {
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_attr_init(&a));
  ASSERT_EQ(0, pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED));
  ASSERT_EQ(0, pthread_attr_setschedpolicy(&a, SCHED_OTHER));
  sched_param p{};
  ASSERT_EQ(0, pthread_attr_setschedparam(&a, &p));
  int policy = -1, rc = -1;
  sched_param got{-1};
  pthread_t t;
  ASSERT_EQ(0, spawn(&t, &a, [&] {
              rc = pthread_getschedparam(pthread_self(), &policy, &got);
              return nullptr;
            }));
  ASSERT_EQ(0, pthread_join(t, nullptr));
  pthread_attr_destroy(&a);
  EXPECT_EQ(0, rc);
  EXPECT_EQ(SCHED_OTHER, policy);
  EXPECT_EQ(0, got.sched_priority);
}

int first_allowed_cpu() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
  for (int i = 0; i < CPU_SETSIZE; i++)
    if (CPU_ISSET(i, &set)) return i;
  return -1;
}

TEST(LifecycleAttr, ThreadAffinityCallsMatchTheKernelsRules) {
  cpu_set_t process, self;
  ASSERT_EQ(0, sched_getaffinity(0, sizeof process, &process));
  ASSERT_EQ(0, pthread_getaffinity_np(pthread_self(), sizeof self, &self));
  EXPECT_TRUE(CPU_EQUAL(&process, &self));
  // The kernel wants a multiple of sizeof(long).
  EXPECT_EQ(EINVAL, pthread_getaffinity_np(pthread_self(), 4, &self));
  // A set naming only CPUs that do not exist.
  cpu_set_t *bogus = CPU_ALLOC(2048);
  const size_t bogus_size = CPU_ALLOC_SIZE(2048);
  CPU_ZERO_S(bogus_size, bogus);
  CPU_SET_S(2000, bogus_size, bogus);
  EXPECT_EQ(EINVAL, pthread_setaffinity_np(pthread_self(), bogus_size, bogus));
  ASSERT_EQ(0, pthread_getaffinity_np(pthread_self(), sizeof self, &self));
  EXPECT_TRUE(CPU_EQUAL(&process, &self));

  // pthread_create applies the attribute's set, and fails with EINVAL (the
  // thread never running) when the kernel rejects it.
  pthread_attr_t a;
  ASSERT_EQ(0, pthread_attr_init(&a));
  ASSERT_EQ(0, pthread_attr_setaffinity_np(&a, bogus_size, bogus));
  // Static: under a broken implementation the thread may run after the test.
  static std::atomic<bool> ran;
  ran = false;
  pthread_t t;
  EXPECT_EQ(EINVAL, spawn(&t, &a, [] {
              ran = true;
              return nullptr;
            }));
  EXPECT_FALSE(ran.load());
  CPU_FREE(bogus);

  const int cpu = first_allowed_cpu();
  ASSERT_GE(cpu, 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  ASSERT_EQ(0, pthread_attr_setaffinity_np(&a, sizeof one, &one));
  cpu_set_t inside, via_attr;
  CPU_ZERO(&inside);
  CPU_ZERO(&via_attr);
  int rc_inside = -1, rc_attr = -1;
  ASSERT_EQ(0, spawn(&t, &a, [&] {
              rc_inside = pthread_getaffinity_np(pthread_self(), sizeof inside, &inside);
              pthread_attr_t mine;
              rc_attr = pthread_getattr_np(pthread_self(), &mine);
              if (rc_attr == 0) {
                rc_attr = pthread_attr_getaffinity_np(&mine, sizeof via_attr, &via_attr);
                pthread_attr_destroy(&mine);
              }
              return nullptr;
            }));
  ASSERT_EQ(0, pthread_join(t, nullptr));
  pthread_attr_destroy(&a);
  EXPECT_EQ(0, rc_inside);
  EXPECT_TRUE(CPU_EQUAL(&one, &inside));
  EXPECT_EQ(0, rc_attr);
  EXPECT_TRUE(CPU_EQUAL(&one, &via_attr));
}

}  // namespace
