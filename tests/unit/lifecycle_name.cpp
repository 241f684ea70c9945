// Unit tests: pthread_setname_np / pthread_getname_np (per-thread names,
// inherited from the creator, ERANGE at 16 bytes: TASK_COMM_LEN) and
// sched_yield / pthread_yield, with glibc 2.36's results
// (nptl/pthread_setname.c, pthread_getname.c).
//
// Invariant: a test that renames the main thread restores its name.
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include <gtest/gtest.h>

#include "lifecycle_helpers.h"

namespace {

using lifecycle::Gate;
using lifecycle::spawn;

std::string name_of(pthread_t t) {
  char buf[16];
  memset(buf, 'x', sizeof buf);
  if (pthread_getname_np(t, buf, sizeof buf) != 0) return "<error>";
  return std::string(buf, strnlen(buf, sizeof buf));
}

// Restores the calling thread's name on scope exit.
class NameRestorer {
 public:
  NameRestorer() { saved_ = name_of(pthread_self()); }
  ~NameRestorer() { pthread_setname_np(pthread_self(), saved_.c_str()); }

 private:
  std::string saved_;
};

TEST(LifecycleName, MainThreadStartsWithTheProgramName) {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  ASSERT_GT(n, 0);
  exe[n] = '\0';
  const char *base = strrchr(exe, '/');
  std::string expected = std::string(base ? base + 1 : exe).substr(0, 15);
  EXPECT_EQ(expected, name_of(pthread_self()));
}

TEST(LifecycleName, SetAndGetOwnName) {
  NameRestorer restore;
  EXPECT_EQ(0, pthread_setname_np(pthread_self(), "lc-main"));
  EXPECT_EQ("lc-main", name_of(pthread_self()));
  // 15 characters fit; 16 do not, and leave the name unchanged.
  EXPECT_EQ(0, pthread_setname_np(pthread_self(), "abcdefghijklmno"));
  EXPECT_EQ("abcdefghijklmno", name_of(pthread_self()));
  EXPECT_EQ(ERANGE, pthread_setname_np(pthread_self(), "abcdefghijklmnop"));
  EXPECT_EQ(ERANGE, pthread_setname_np(pthread_self(), std::string(100, 'z').c_str()));
  EXPECT_EQ("abcdefghijklmno", name_of(pthread_self()));
  EXPECT_EQ(0, pthread_setname_np(pthread_self(), ""));
  EXPECT_EQ("", name_of(pthread_self()));
}

TEST(LifecycleName, GetnameNeedsSixteenBytes) {
  char buf[64];
  EXPECT_EQ(ERANGE, pthread_getname_np(pthread_self(), buf, 15));
  EXPECT_EQ(ERANGE, pthread_getname_np(pthread_self(), buf, 0));
  EXPECT_EQ(0, pthread_getname_np(pthread_self(), buf, 16));
  EXPECT_EQ(0, pthread_getname_np(pthread_self(), buf, sizeof buf));
  Gate gate;
  pthread_t t;
  ASSERT_EQ(0, spawn(&t, [&] {
              gate.wait();
              return nullptr;
            }));
  EXPECT_EQ(ERANGE, pthread_getname_np(t, buf, 15));
  EXPECT_EQ(ERANGE, pthread_setname_np(t, "abcdefghijklmnop"));
  gate.open();
  ASSERT_EQ(0, pthread_join(t, nullptr));
}

TEST(LifecycleName, NamesArePerThreadAndSettableFromOutside) {
  NameRestorer restore;
  ASSERT_EQ(0, pthread_setname_np(pthread_self(), "lc-outside"));
  Gate named, finish;
  std::atomic<bool> own_set{false};
  std::string own_view, outside_view;
  pthread_t a, b;
  ASSERT_EQ(0, spawn(&a, [&] {
              pthread_setname_np(pthread_self(), "lc-a");
              own_set = true;
              named.wait();  // main renames b meanwhile
              own_view = name_of(pthread_self());
              finish.wait();
              return nullptr;
            }));
  ASSERT_EQ(0, spawn(&b, [&] {
              named.wait();
              outside_view = name_of(pthread_self());
              finish.wait();
              return nullptr;
            }));
  lifecycle::yield_until(own_set);
  // A 15-character name read through another thread's handle.
  EXPECT_EQ(0, pthread_setname_np(b, "lc-b-0123456789"));
  EXPECT_EQ("lc-a", name_of(a));
  EXPECT_EQ("lc-b-0123456789", name_of(b));
  EXPECT_EQ("lc-outside", name_of(pthread_self()));
  named.open();
  finish.open();
  ASSERT_EQ(0, pthread_join(a, nullptr));
  ASSERT_EQ(0, pthread_join(b, nullptr));
  EXPECT_EQ("lc-a", own_view);
  EXPECT_EQ("lc-b-0123456789", outside_view);
}

TEST(LifecycleName, ANewThreadStartsWithItsCreatorsName) {
  NameRestorer restore;
  ASSERT_EQ(0, pthread_setname_np(pthread_self(), "lc-parent"));
  std::string child_name, grandchild_name;
  pthread_t t;
  ASSERT_EQ(0, spawn(&t, [&] {
              child_name = name_of(pthread_self());
              pthread_setname_np(pthread_self(), "lc-child");
              pthread_t g;
              if (spawn(&g, [&] {
                    grandchild_name = name_of(pthread_self());
                    return nullptr;
                  }) == 0)
                pthread_join(g, nullptr);
              return nullptr;
            }));
  ASSERT_EQ(0, pthread_join(t, nullptr));
  EXPECT_EQ("lc-parent", child_name);
  EXPECT_EQ("lc-child", grandchild_name);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
TEST(LifecycleName, YieldsReturnZero) {
  EXPECT_EQ(0, sched_yield());
  EXPECT_EQ(0, pthread_yield());
  int r = -1;
  pthread_t t;
  ASSERT_EQ(0, spawn(&t, [&] {
              r = sched_yield() | pthread_yield();
              return nullptr;
            }));
  ASSERT_EQ(0, pthread_join(t, nullptr));
  EXPECT_EQ(0, r);
}
#pragma GCC diagnostic pop

}  // namespace
