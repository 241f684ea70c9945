// tests/compare/life_exit_unwind.cpp — pthread_exit from nested C++ frames.
//
// pthread_exit is a forced unwind (nptl/unwind.c): every frame between the
// call and the thread's start is unwound, running destructors of automatic
// objects, pthread_cleanup_push handlers (in C++ these are objects too) and
// `catch (...)` blocks, which must rethrow (abi::__forced_unwind). After the
// unwind come the thread_local destructors, then the key destructors; join
// gets the exit value. Several threads do this at once, yielding in the middle
// of the nest so that under weft the unwind may run on another kernel thread
// than the frames were built on. Each thread logs what ran; the main thread
// prints one log and checks that all are the same.
#include <cxxabi.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#include <string>
#include <vector>

#include "life_common.h"

namespace {

constexpr int kThreads = 8;

thread_local std::string *log_of_thread = nullptr;
void note(const char *what) { *log_of_thread += std::string(log_of_thread->empty() ? "" : "\n  ") + what; }

struct Guard {
  const char *name;
  explicit Guard(const char *n) : name(n) {}
  ~Guard() { note(name); }
};

struct TlsObject {
  bool live = false;
  ~TlsObject() {
    if (live) note("thread_local destructor");
  }
};
thread_local TlsObject tls_object;

pthread_key_t key;
void key_dtor(void *) { note("key destructor"); }

void cleanup(void *arg) { note(static_cast<const char *>(arg)); }

[[noreturn]] void level3() {
  Guard g("~Guard level3");
  for (int i = 0; i < 10; i++) sched_yield();
  pthread_exit(reinterpret_cast<void *>(intptr_t{77}));
}

void level2() {
  Guard g("~Guard level2");
  pthread_cleanup_push(cleanup, const_cast<char *>("cleanup handler level2"));
  try {
    Guard inner("~Guard level2 try block");
    level3();
  } catch (abi::__forced_unwind &) {
    note("catch (abi::__forced_unwind&) in level2, rethrowing");
    throw;
  }
  pthread_cleanup_pop(0);
}

void level1() {
  Guard g("~Guard level1");
  pthread_cleanup_push(cleanup, const_cast<char *>("cleanup handler level1 (outer)"));
  pthread_cleanup_push(cleanup, const_cast<char *>("cleanup handler level1 (inner)"));
  // Popped with execute=1 before the exit: runs now, in order.
  pthread_cleanup_push(cleanup, const_cast<char *>("cleanup handler popped with 1"));
  pthread_cleanup_pop(1);
  try {
    level2();
  } catch (...) {
    note("catch (...) in level1, rethrowing");
    throw;
  }
  note("after level2 (must not run)");
  pthread_cleanup_pop(0);
  pthread_cleanup_pop(0);
}

void *thread_main(void *arg) {
  log_of_thread = static_cast<std::string *>(arg);
  tls_object.live = true;
  pthread_setspecific(key, &key);
  Guard g("~Guard thread_main");
  level1();
  note("after level1 (must not run)");
  return nullptr;
}

}  // namespace

int main() {
  LIFE_CHECK(pthread_key_create(&key, key_dtor) == 0, "key_create");
  std::vector<std::string> logs(kThreads);
  pthread_t t[kThreads];
  for (int i = 0; i < kThreads; i++) sync_start(&t[i], thread_main, &logs[i], 0);
  int bad_values = 0;
  for (int i = 0; i < kThreads; i++) {
    void *value = nullptr;
    LIFE_CHECK(pthread_join(t[i], &value) == 0, "join");
    bad_values += value != reinterpret_cast<void *>(intptr_t{77});
  }
  printf("unwind log of a thread:\n  %s\n", logs[0].c_str());
  int differing = 0;
  for (auto &l : logs) differing += l != logs[0];
  printf("threads with a different log: %d\n", differing);
  printf("joins without the exit value: %d\n", bad_values);
  return 0;
}
