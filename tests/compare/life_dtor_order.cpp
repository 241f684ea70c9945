// tests/compare/life_dtor_order.cpp — thread_local destructors and
// pthread_key destructors run exactly once per thread, in NPTL's order.
//
// NPTL's thread exit (nptl/pthread_create.c, start_thread) first runs the
// C++ thread_local destructors (__call_tls_dtors, reverse construction order),
// then the key destructors (nptl_deallocate_tsd.c, ascending key number). A
// thread_local destructor that sets a key value therefore still gets that
// key's destructor. Threads that never touch a thread_local get no
// destructor; threads started through std::thread behave the same.
// At exit() the main thread's thread_local destructors run before static
// destructors; its key destructors never run (only pthread_exit runs them).
//
// Every event goes to the log of the thread it happened on; the main thread
// prints the logs in thread order after joining, so the output does not
// depend on scheduling.
#include <pthread.h>
#include <stdio.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "life_common.h"

namespace {

constexpr int kThreads = 24;

std::mutex log_mu;
std::vector<std::string> logs(kThreads + 1);  // index kThreads: the main thread
thread_local int my_index = -1;                // trivial: readable to the very end

void note(const std::string &what) {
  std::lock_guard<std::mutex> g(log_mu);
  LIFE_CHECK(my_index >= 0 && my_index <= kThreads, "event %s on an unknown thread", what.c_str());
  logs[my_index] += (logs[my_index].empty() ? "" : ", ") + what;
}

pthread_key_t key_lo, key_hi;  // key_lo < key_hi

void key_dtor(void *v) { note("key " + std::string(static_cast<const char *>(v))); }

struct Tracked {
  std::string name;
  explicit Tracked(const char *n) : name(n) { note("ctor " + name); }
  ~Tracked() {
    note("dtor " + name);
    // Key destructors run after every thread_local destructor: this value's
    // destructor still runs.
    if (name == "A" && pthread_getspecific(key_lo) == nullptr)
      pthread_setspecific(key_lo, const_cast<char *>("lo-from-A"));
  }
};

// Function-local, so that each is constructed at its first use: GCC
// initialises all namespace-scope thread_locals of a file together.
Tracked &tl_a() {
  thread_local Tracked t("A");
  return t;
}
Tracked &tl_b() {
  thread_local Tracked t("B");
  return t;
}

// Kinds of thread, by index modulo 4.
void thread_body(int index) {
  my_index = index;
  switch (index % 4) {
    case 0:  // thread_locals in order A, B, and both keys
      tl_a();
      tl_b();
      pthread_setspecific(key_hi, const_cast<char *>("hi"));
      pthread_setspecific(key_lo, const_cast<char *>("lo"));
      break;
    case 1:  // B before A: destroyed in the reverse, so B's after A's
      tl_b();
      tl_a();
      break;
    case 2:  // keys only
      pthread_setspecific(key_hi, const_cast<char *>("hi"));
      break;
    case 3:  // nothing at all
      break;
  }
}

void *pthread_entry(void *arg) {
  thread_body(static_cast<int>(reinterpret_cast<intptr_t>(arg)));
  return nullptr;
}

struct StaticObject {
  ~StaticObject() { printf("static destructor\n"); }
} static_object;

struct MainOnly {
  ~MainOnly() { printf("main thread_local destructor\n"); }
};
void touch_main_only() {
  thread_local MainOnly object;
  (void)object;
}

void main_key_dtor(void *) { printf("main key destructor (must not run at exit)\n"); }

}  // namespace

int main() {
  LIFE_CHECK(pthread_key_create(&key_lo, key_dtor) == 0, "key_create");
  LIFE_CHECK(pthread_key_create(&key_hi, key_dtor) == 0, "key_create");
  if (key_lo > key_hi) std::swap(key_lo, key_hi);

  my_index = kThreads;
  std::vector<pthread_t> pthreads;
  std::vector<std::thread> std_threads;
  for (int i = 0; i < kThreads; i++) {
    if (i % 2 == 0) {
      pthread_t t;
      sync_start(&t, pthread_entry, reinterpret_cast<void *>(static_cast<intptr_t>(i)), 0);
      pthreads.push_back(t);
    } else {
      std_threads.emplace_back(thread_body, i);
    }
  }
  for (pthread_t t : pthreads) sync_join(t);
  for (auto &t : std_threads) t.join();

  for (int i = 0; i < kThreads; i++) printf("thread %2d: %s\n", i, logs[i].c_str());

  pthread_key_t main_key;
  LIFE_CHECK(pthread_key_create(&main_key, main_key_dtor) == 0, "key_create");
  pthread_setspecific(main_key, &main_key);
  touch_main_only();
  printf("main returns\n");
  return 0;
}
