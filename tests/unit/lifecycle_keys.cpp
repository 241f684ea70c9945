// Unit tests: pthread_key_create / pthread_key_delete / pthread_getspecific /
// pthread_setspecific (including PTHREAD_KEYS_MAX exhaustion and destructor
// rounds), pthread_once, and their C11 twins tss_* and call_once, with the
// exact results of glibc 2.36 (nptl/pthread_key_*.c, pthread_setspecific.c,
// nptl_deallocate_tsd.c, pthread_once.c, sysdeps/pthread/tss_*.c).
//
// Invariant: every key a test creates is deleted before it returns, so the
// exhaustion test sees the same free slots however the tests are ordered.
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <threads.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "lifecycle_helpers.h"

namespace {

using lifecycle::Gate;
using lifecycle::spawn;

void *as_ptr(intptr_t v) { return reinterpret_cast<void *>(v); }

TEST(LifecycleKeys, CreateSetGetDeleteAndTheirErrors) {
  pthread_key_t k;
  ASSERT_EQ(0, pthread_key_create(&k, nullptr));
  EXPECT_LT(k, static_cast<pthread_key_t>(PTHREAD_KEYS_MAX));
  EXPECT_EQ(nullptr, pthread_getspecific(k));
  EXPECT_EQ(0, pthread_setspecific(k, as_ptr(1)));
  EXPECT_EQ(as_ptr(1), pthread_getspecific(k));
  EXPECT_EQ(0, pthread_setspecific(k, nullptr));
  EXPECT_EQ(nullptr, pthread_getspecific(k));
  EXPECT_EQ(0, pthread_key_delete(k));
  EXPECT_EQ(EINVAL, pthread_key_delete(k));
  EXPECT_EQ(EINVAL, pthread_setspecific(k, as_ptr(2)));

  EXPECT_EQ(EINVAL, pthread_key_delete(PTHREAD_KEYS_MAX));
  EXPECT_EQ(EINVAL, pthread_setspecific(PTHREAD_KEYS_MAX, as_ptr(3)));
  EXPECT_EQ(nullptr, pthread_getspecific(PTHREAD_KEYS_MAX));
  EXPECT_EQ(EINVAL, pthread_key_delete(UINT_MAX));
  EXPECT_EQ(EINVAL, pthread_setspecific(UINT_MAX, as_ptr(3)));
  EXPECT_EQ(nullptr, pthread_getspecific(UINT_MAX));
}

TEST(LifecycleKeys, ValuesArePerThread) {
  constexpr int kThreads = 8;
  pthread_key_t k;
  ASSERT_EQ(0, pthread_key_create(&k, nullptr));
  ASSERT_EQ(0, pthread_setspecific(k, as_ptr(1000)));
  std::atomic<int> started{0};
  Gate gate;
  void *first_read[kThreads], *last_read[kThreads];
  pthread_t t[kThreads];
  for (int i = 0; i < kThreads; i++) {
    ASSERT_EQ(0, spawn(&t[i], [&, i] {
                first_read[i] = pthread_getspecific(k);
                pthread_setspecific(k, as_ptr(i + 1));
                started++;
                gate.wait();  // all values are set at once here
                for (int y = 0; y < 100; y++) sched_yield();
                last_read[i] = pthread_getspecific(k);
                return nullptr;
              }));
  }
  lifecycle::yield_until_at_least(started, kThreads);
  gate.open();
  for (auto &th : t) ASSERT_EQ(0, pthread_join(th, nullptr));
  for (int i = 0; i < kThreads; i++) {
    EXPECT_EQ(nullptr, first_read[i]) << i;
    EXPECT_EQ(as_ptr(i + 1), last_read[i]) << i;
  }
  EXPECT_EQ(as_ptr(1000), pthread_getspecific(k));
  EXPECT_EQ(0, pthread_key_delete(k));
}

// A new key reads as null everywhere, even when it reuses the slot of a
// deleted key that still had values.
TEST(LifecycleKeys, ANewKeyReadsNullInEveryThread) {
  pthread_key_t old_key;
  ASSERT_EQ(0, pthread_key_create(&old_key, nullptr));
  ASSERT_EQ(0, pthread_setspecific(old_key, as_ptr(1)));
  Gate set, check;
  std::atomic<bool> value_set{false};
  pthread_key_t new_key{};
  void *seen = as_ptr(-1);
  pthread_t t;
  ASSERT_EQ(0, spawn(&t, [&] {
              pthread_setspecific(old_key, as_ptr(2));
              value_set = true;
              check.wait();
              seen = pthread_getspecific(new_key);
              return nullptr;
            }));
  lifecycle::yield_until(value_set);
  ASSERT_EQ(0, pthread_key_delete(old_key));
  ASSERT_EQ(0, pthread_key_create(&new_key, nullptr));
  EXPECT_EQ(nullptr, pthread_getspecific(new_key));
  check.open();
  ASSERT_EQ(0, pthread_join(t, nullptr));
  EXPECT_EQ(nullptr, seen);
  EXPECT_EQ(0, pthread_key_delete(new_key));
}

// Destructor bookkeeping shared by the destructor tests; each test resets it.
// One destructor serves every key: the values tell the keys apart.
struct DtorLog {
  std::mutex mu;
  std::vector<intptr_t> calls;  // values passed to the destructor, in order
  pthread_key_t rearm_key{};    // the key whose value re-arms ...
  intptr_t rearm_value = -1;    // ... when the destructor gets this value
  int rearms_left = 0;
  void *seen_inside = as_ptr(-1);  // getspecific(rearm_key) in the destructor
  void reset(pthread_key_t key, intptr_t value, int rearms) {
    calls.clear();
    rearm_key = key;
    rearm_value = value;
    rearms_left = rearms;
    seen_inside = as_ptr(-1);
  }
};
DtorLog dlog;

void logging_dtor(void *v) {
  std::lock_guard<std::mutex> g(dlog.mu);
  auto value = reinterpret_cast<intptr_t>(v);
  dlog.calls.push_back(value);
  if (value != dlog.rearm_value) return;
  dlog.seen_inside = pthread_getspecific(dlog.rearm_key);
  if (dlog.rearms_left > 0) {
    dlog.rearms_left--;
    pthread_setspecific(dlog.rearm_key, v);
  }
}

void run_thread(std::function<void()> body) {
  pthread_t t;
  ASSERT_EQ(0, spawn(&t, [&] {
              body();
              return nullptr;
            }));
  ASSERT_EQ(0, pthread_join(t, nullptr));
}

TEST(LifecycleKeys, DestructorRunsOncePerThreadWithAValue) {
  pthread_key_t k;
  ASSERT_EQ(0, pthread_key_create(&k, logging_dtor));
  dlog.reset(k, 100, 0);
  constexpr int kWith = 16, kWithout = 4;
  pthread_t t[kWith + kWithout];
  for (int i = 0; i < kWith + kWithout; i++) {
    ASSERT_EQ(0, spawn(&t[i], [i, k] {
                if (i < kWith) {
                  pthread_setspecific(k, as_ptr(100 + i));
                } else {
                  // Set then cleared: no destructor call.
                  pthread_setspecific(k, as_ptr(1));
                  pthread_setspecific(k, nullptr);
                }
                return nullptr;
              }));
  }
  for (auto &th : t) ASSERT_EQ(0, pthread_join(th, nullptr));
  std::vector<intptr_t> values = dlog.calls;
  std::sort(values.begin(), values.end());
  ASSERT_EQ(static_cast<size_t>(kWith), values.size());
  for (int i = 0; i < kWith; i++) EXPECT_EQ(100 + i, values[i]);
  EXPECT_EQ(nullptr, dlog.seen_inside);  // the slot is cleared before the call
  EXPECT_EQ(0, pthread_key_delete(k));
}

TEST(LifecycleKeys, DestructorsRunInKeyOrderForUpToFourRounds) {
  ASSERT_EQ(PTHREAD_DESTRUCTOR_ITERATIONS, 4);
  ASSERT_EQ(TSS_DTOR_ITERATIONS, 4);
  pthread_key_t lo, hi;
  ASSERT_EQ(0, pthread_key_create(&lo, logging_dtor));
  ASSERT_EQ(0, pthread_key_create(&hi, logging_dtor));
  if (lo > hi) std::swap(lo, hi);

  // The lower key's destructor re-arms itself forever: glibc calls it four
  // times, once per round, each round visiting the keys in ascending order
  // whatever order the values were set in.
  dlog.reset(lo, 20, 1000);
  run_thread([lo, hi] {
    pthread_setspecific(hi, as_ptr(21));
    pthread_setspecific(lo, as_ptr(20));
  });
  EXPECT_EQ((std::vector<intptr_t>{20, 21, 20, 20, 20}), dlog.calls);

  // Re-armed twice: three calls, then it stops.
  dlog.reset(hi, 30, 2);
  run_thread([hi] { pthread_setspecific(hi, as_ptr(30)); });
  EXPECT_EQ((std::vector<intptr_t>{30, 30, 30}), dlog.calls);

  EXPECT_EQ(0, pthread_key_delete(lo));
  EXPECT_EQ(0, pthread_key_delete(hi));
}

TEST(LifecycleKeys, ADeletedKeysDestructorDoesNotRun) {
  pthread_key_t k;
  ASSERT_EQ(0, pthread_key_create(&k, logging_dtor));
  dlog.reset(k, 5, 0);
  Gate gate;
  std::atomic<bool> set{false};
  pthread_t t;
  ASSERT_EQ(0, spawn(&t, [&] {
              pthread_setspecific(k, as_ptr(5));
              set = true;
              gate.wait();
              return nullptr;
            }));
  lifecycle::yield_until(set);
  ASSERT_EQ(0, pthread_key_delete(k));
  gate.open();
  ASSERT_EQ(0, pthread_join(t, nullptr));
  EXPECT_TRUE(dlog.calls.empty());
}

std::atomic<int> many_calls{0};
void count_call(void *) { many_calls++; }

// Keys past the first 32 live in lazily allocated second-level blocks in
// glibc; their values and destructors must work the same.
TEST(LifecycleKeys, ManyKeysKeepValuesAndRunDestructors) {
  constexpr int kKeys = 100;
  std::vector<pthread_key_t> keys(kKeys);
  for (auto &k : keys) ASSERT_EQ(0, pthread_key_create(&k, count_call));
  many_calls = 0;
  int mismatches = -1;
  run_thread([&] {
    for (int i = 0; i < kKeys; i++) pthread_setspecific(keys[i], as_ptr(i + 1));
    sched_yield();
    mismatches = 0;
    for (int i = 0; i < kKeys; i++)
      if (pthread_getspecific(keys[i]) != as_ptr(i + 1)) mismatches++;
  });
  EXPECT_EQ(0, mismatches);
  EXPECT_EQ(kKeys, many_calls.load());
  for (auto k : keys) EXPECT_EQ(0, pthread_key_delete(k));
}

TEST(LifecycleKeys, ExhaustionIsEagainAndADeleteFreesASlot) {
  std::vector<pthread_key_t> keys;
  pthread_key_t k;
  int r;
  while ((r = pthread_key_create(&k, nullptr)) == 0) {
    keys.push_back(k);
    if (keys.size() > PTHREAD_KEYS_MAX) break;
  }
  EXPECT_EQ(EAGAIN, r);
  // Other code in the process may hold a few keys of its own.
  EXPECT_LE(keys.size(), static_cast<size_t>(PTHREAD_KEYS_MAX));
  EXPECT_GE(keys.size(), static_cast<size_t>(PTHREAD_KEYS_MAX) - 64);
  EXPECT_EQ(keys.size(), std::set<pthread_key_t>(keys.begin(), keys.end()).size());
  for (auto key : keys) EXPECT_LT(key, static_cast<pthread_key_t>(PTHREAD_KEYS_MAX));
  tss_t tss;
  EXPECT_EQ(thrd_error, tss_create(&tss, nullptr));
  EXPECT_EQ(EAGAIN, pthread_key_create(&k, nullptr));

  ASSERT_FALSE(keys.empty());
  pthread_key_t freed = keys.back();
  keys.pop_back();
  ASSERT_EQ(0, pthread_key_delete(freed));
  ASSERT_EQ(0, pthread_key_create(&k, nullptr));
  EXPECT_EQ(freed, k);  // the only free slot
  keys.push_back(k);
  for (auto key : keys) EXPECT_EQ(0, pthread_key_delete(key));
  ASSERT_EQ(0, pthread_key_create(&k, nullptr));
  EXPECT_EQ(0, pthread_key_delete(k));
}

std::atomic<int> once_runs{0};
std::atomic<bool> once_done{false};
void once_init() {
  once_runs++;
  // Give the other callers time to arrive while the routine runs.
  for (int i = 0; i < 50; i++) sched_yield();
  once_done = true;
}

TEST(LifecycleKeys, OnceRunsTheRoutineExactlyOnceAndCallersWaitForIt) {
  pthread_once_t once = PTHREAD_ONCE_INIT;
  constexpr int kThreads = 32;
  once_runs = 0;
  once_done = false;
  std::atomic<int> saw_done{0};
  pthread_t t[kThreads];
  for (auto &th : t) {
    ASSERT_EQ(0, spawn(&th, [&] {
                if (pthread_once(&once, once_init) == 0 && once_done) saw_done++;
                return nullptr;
              }));
  }
  for (auto &th : t) ASSERT_EQ(0, pthread_join(th, nullptr));
  EXPECT_EQ(1, once_runs.load());
  EXPECT_EQ(kThreads, saw_done.load());
  EXPECT_EQ(0, pthread_once(&once, once_init));
  EXPECT_EQ(1, once_runs.load());
}

std::atomic<int> exiting_init_runs{0};
void init_that_exits_the_first_time() {
  if (exiting_init_runs++ == 0) pthread_exit(as_ptr(3));
}

// An init routine left by pthread_exit (an unwind) leaves the once control
// unset, so the next caller runs it again.
TEST(LifecycleKeys, OnceLeftByPthreadExitRunsAgain) {
  pthread_once_t once = PTHREAD_ONCE_INIT;
  exiting_init_runs = 0;
  pthread_t t;
  ASSERT_EQ(0, spawn(&t, [&] {
              pthread_once(&once, init_that_exits_the_first_time);
              return as_ptr(0);
            }));
  void *r = nullptr;
  ASSERT_EQ(0, pthread_join(t, &r));
  EXPECT_EQ(as_ptr(3), r);
  EXPECT_EQ(1, exiting_init_runs.load());
  EXPECT_EQ(0, pthread_once(&once, init_that_exits_the_first_time));
  EXPECT_EQ(2, exiting_init_runs.load());
  EXPECT_EQ(0, pthread_once(&once, init_that_exits_the_first_time));
  EXPECT_EQ(2, exiting_init_runs.load());
}

std::atomic<int> call_once_runs{0};
void call_once_init() {
  call_once_runs++;
  for (int i = 0; i < 50; i++) sched_yield();
}

TEST(LifecycleKeys, CallOnceRunsExactlyOnce) {
  once_flag flag = ONCE_FLAG_INIT;
  call_once_runs = 0;
  constexpr int kThreads = 16;
  std::atomic<int> saw_run{0};
  pthread_t t[kThreads];
  for (auto &th : t) {
    ASSERT_EQ(0, spawn(&th, [&] {
                call_once(&flag, call_once_init);
                if (call_once_runs == 1) saw_run++;
                return nullptr;
              }));
  }
  for (auto &th : t) ASSERT_EQ(0, pthread_join(th, nullptr));
  call_once(&flag, call_once_init);
  EXPECT_EQ(1, call_once_runs.load());
  EXPECT_EQ(kThreads, saw_run.load());
}

std::atomic<int> tss_calls{0};
tss_t tss_key;
void tss_dtor(void *v) {
  tss_calls++;
  // Re-arm forever: TSS_DTOR_ITERATIONS bounds the rounds.
  tss_set(tss_key, v);
}

int c11_set_then_exit(void *arg) {
  tss_set(tss_key, arg);
  thrd_exit(17);
}

TEST(LifecycleKeys, TssValuesAndDestructors) {
  ASSERT_EQ(thrd_success, tss_create(&tss_key, tss_dtor));
  EXPECT_EQ(nullptr, tss_get(tss_key));
  EXPECT_EQ(thrd_success, tss_set(tss_key, as_ptr(8)));
  EXPECT_EQ(as_ptr(8), tss_get(tss_key));

  tss_calls = 0;
  thrd_t t;
  ASSERT_EQ(thrd_success, thrd_create(&t, c11_set_then_exit, as_ptr(9)));
  int res = 0;
  ASSERT_EQ(thrd_success, thrd_join(t, &res));
  EXPECT_EQ(17, res);
  EXPECT_EQ(TSS_DTOR_ITERATIONS, tss_calls.load());
  EXPECT_EQ(as_ptr(8), tss_get(tss_key));

  // The main thread's value is not destroyed by tss_delete, and the deleted
  // key rejects new values.
  tss_calls = 0;
  tss_delete(tss_key);
  EXPECT_EQ(0, tss_calls.load());
  EXPECT_EQ(thrd_error, tss_set(tss_key, as_ptr(1)));
}

}  // namespace
