// tests/compare/cancel_unwind.cpp — cancellation unwinds C++ frames
// (issue 11, acceptance 3).
//
// Cancellation is a forced unwind: between the point where it acts and the
// thread's start, every frame's automatic objects are destroyed, C
// pthread_cleanup_push handlers run (in C++ they are objects too), a
// `catch (abi::__forced_unwind&)` and a `catch (...)` see it and must
// rethrow; after the unwind come the thread_local destructors, then the
// key destructors, and join gives PTHREAD_CANCELED. The same nest of
// frames is cancelled three ways: deferred, blocked in sem_wait; deferred,
// at pthread_testcancel after a pending request; asynchronous, spinning in
// a function of its own (which has no objects: the forced unwind of an
// asynchronously interrupted frame destroys nothing of that frame, natively
// too, and a call the compiler knows cannot throw must not be on the way). Each thread logs what ran; the main thread prints the log.
#include <cxxabi.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

#include <string>

#include "sync_common.h"

namespace {

std::string log_text;
void note(const std::string& what) { log_text += (log_text.empty() ? "" : "\n  ") + what; }

struct Guard {
  const char* name;
  explicit Guard(const char* n) : name(n) {}
  ~Guard() { note(std::string("~Guard ") + name); }
};

struct PerThread {
  bool used = false;
  ~PerThread() {
    if (used) note("thread_local destructor");
  }
};
thread_local PerThread per_thread;

pthread_key_t key;
void key_destructor(void*) { note("key destructor"); }

sem_t started, never, go;
enum class How { kBlocked, kPending, kAsync };

// Called through a pointer, so that the compiler cannot prove spin()
// nothrow: a forced unwind reaching a call it thinks cannot throw calls
// std::terminate (natively too).
void say_started() { sem_post(&started); }
void (*volatile say_started_hook)() = say_started;

__attribute__((noinline)) void spin() {
  volatile unsigned long x = 0;
  say_started_hook();
  for (;;) x = x + 1;
}

__attribute__((noinline)) void inner(How how) {
  Guard g("inner");
  try {
    if (how == How::kAsync) {
      spin();
    } else if (how == How::kBlocked) {
      sem_post(&started);
      while (sem_wait(&never) == 0) {
      }
    } else {
      pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, nullptr);
      sem_post(&started);
      while (sem_wait(&go) != 0) {
      }
      pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, nullptr);
      note("enabled");
      pthread_testcancel();
    }
    note("NOT REACHED (inner)");
  } catch (...) {
    note("catch (...) in inner: rethrow");
    throw;
  }
}

void cleanup_handler(void*) { note("pthread_cleanup_push handler"); }

__attribute__((noinline)) void middle(How how) {
  Guard g("middle");
  pthread_cleanup_push(cleanup_handler, nullptr);
  inner(how);
  pthread_cleanup_pop(0);
}

__attribute__((noinline)) void outer(How how) {
  Guard g("outer");
  try {
    middle(how);
  } catch (abi::__forced_unwind&) {
    note("catch (abi::__forced_unwind&) in outer: rethrow");
    throw;
  }
  note("NOT REACHED (outer)");
}

void* thread_main(void* arg) {
  How how = *static_cast<How*>(arg);
  per_thread.used = true;
  pthread_setspecific(key, &key);
  if (how == How::kAsync) pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, nullptr);
  outer(how);
  return nullptr;
}

void run(const char* name, How how) {
  log_text.clear();
  pthread_t t;
  sync_start(&t, thread_main, &how, 256 * 1024);
  while (sem_wait(&started) != 0) {
  }
  struct timespec pause = sync_ts(20 * 1000000LL);  // lets it block; the result is the same
  nanosleep(&pause, nullptr);
  SYNC_CHECK(pthread_cancel(t) == 0, "pthread_cancel");
  if (how == How::kPending) sem_post(&go);
  void* r;
  SYNC_CHECK(pthread_join(t, &r) == 0, "join");
  printf("%s:\n  %s\n  -> %s\n", name, log_text.c_str(),
         r == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "NOT CANCELLED");
}

}  // namespace

int main() {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  alarm(60);
  sem_init(&started, 0, 0);
  sem_init(&never, 0, 0);
  sem_init(&go, 0, 0);
  pthread_key_create(&key, key_destructor);
  run("deferred, blocked in sem_wait", How::kBlocked);
  run("deferred, pending at pthread_testcancel", How::kPending);
  run("asynchronous, spinning", How::kAsync);
  return 0;
}
