// tests/bench/bench_common.h — helpers shared by the benchmarks in tests/bench.
//
// Model: every benchmark binary is run twice by scripts/bench.sh, natively
// (NPTL) and with LD_PRELOAD=libweft.so, and the two results are compared as
// a ratio. So the benchmarks only use the plain POSIX surface that weft
// interposes (pthread_*, sched_yield, nanosleep), never weft internals; the
// one thing that differs between the runs is what under_weft() reports, used
// only where the native baseline needs set-up that weft must not see (CPU
// pinning) or where a native run must be capped (pid space).
//
// Metrics: a benchmark whose natural operation is not one loop iteration
// reports it as a counter whose name ends in _ns or _us (bench.sh prefers
// those to real_time). A label containing "goal>=Rx" states the goal
// as a minimum NPTL/weft ratio of the primary metric; "goal<=+Nns" as at most
// N ns more per operation under weft than under NPTL.
#pragma once

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace bench {

// True in the weft runs, so the same binary can tell its two runs apart:
// bench.sh sets WEFT_TEST_UNDER_WEFT=1 there (as tests/run_compare.sh does),
// and a run through scripts/weft has libweft.so in LD_PRELOAD.
inline bool under_weft() {
  const char* flag = std::getenv("WEFT_TEST_UNDER_WEFT");
  if (flag != nullptr && std::strcmp(flag, "1") == 0) return true;
  const char* p = std::getenv("LD_PRELOAD");
  return p != nullptr && std::strstr(p, "libweft") != nullptr;
}

inline uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// Thread creation failing means the measurement is meaningless, and a
// benchmark that limps on would report a wrong ratio: stop loudly instead.
inline pthread_t spawn(void* (*fn)(void*), void* arg) {
  pthread_t t;
  int rc = pthread_create(&t, nullptr, fn, arg);
  if (rc != 0) {
    std::fprintf(stderr, "bench: pthread_create failed: %s\n", std::strerror(rc));
    std::abort();
  }
  return t;
}

inline void* join(pthread_t t) {
  void* ret = nullptr;
  int rc = pthread_join(t, &ret);
  if (rc != 0) {
    std::fprintf(stderr, "bench: pthread_join failed: %s\n", std::strerror(rc));
    std::abort();
  }
  return ret;
}

// Pins the calling thread to CPU 0 (the native yield baseline needs both
// threads on one core); *saved receives the previous mask for unpin().
inline bool pin_to_cpu0(cpu_set_t* saved) {
  if (saved != nullptr && pthread_getaffinity_np(pthread_self(), sizeof *saved, saved) != 0)
    return false;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  return pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0;
}

inline void unpin(const cpu_set_t& saved) {
  pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
}

// The fields of /proc/self/status that the memory benchmarks watch, read in
// one pass (the file is read every few hundred thread creations).
struct ProcStatus {
  long rss_kb = -1, pte_kb = -1, threads = -1;
  long memory_kb() const { return rss_kb + pte_kb; }
};

inline ProcStatus read_status() {
  ProcStatus s;
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return s;
  char line[256];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    std::sscanf(line, "VmRSS: %ld", &s.rss_kb);
    std::sscanf(line, "VmPTE: %ld", &s.pte_kb);
    std::sscanf(line, "Threads: %ld", &s.threads);
  }
  std::fclose(f);
  return s;
}

// Holds many threads at a start line and releases them all at once, so a
// measurement starts when every thread exists. A write-locked rwlock is used
// rather than a condvar: the release wakes every reader and none of them has
// to re-acquire a mutex, so with 10,000 threads the release itself is not a
// thundering herd that the measurement would include.
class StartGate {
 public:
  StartGate() { pthread_rwlock_init(&lock_, nullptr); pthread_rwlock_wrlock(&lock_); }
  ~StartGate() { pthread_rwlock_destroy(&lock_); }
  StartGate(const StartGate&) = delete;
  StartGate& operator=(const StartGate&) = delete;
  void pass() { pthread_rwlock_rdlock(&lock_); pthread_rwlock_unlock(&lock_); }
  void open() { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};

// Counts threads in: wait_all() returns once n of them have called arrive().
class Countdown {
 public:
  explicit Countdown(long n) : left_(n) {}
  void arrive() {
    pthread_mutex_lock(&m_);
    if (--left_ == 0) pthread_cond_signal(&cv_);
    pthread_mutex_unlock(&m_);
  }
  void wait_all() {
    pthread_mutex_lock(&m_);
    while (left_ > 0) pthread_cond_wait(&cv_, &m_);
    pthread_mutex_unlock(&m_);
  }

 private:
  pthread_mutex_t m_ = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv_ = PTHREAD_COND_INITIALIZER;
  long left_;
};

}  // namespace bench
