// Benchmark: pthread_create + pthread_join with default attributes.
//
// The thread must really run as a thread of its own, so that a runtime cannot
// win by cheating (running the function inline on the creator's stack or with
// the creator's TLS): it checks that its __thread variable holds the initial
// image value, writes it, fills an array on its own stack, and checks that the
// array lies far from the creator's stack. The creator checks the result and
// that its own copy of the variable was not touched.
// Goal (issue): weft >= 20x faster than NPTL for one create+join (aim 100x).
#include <benchmark/benchmark.h>

#include "bench_common.h"

namespace {

__thread long tls_probe = 7;  // each new thread must start from this image
constexpr long kArrayBytes = 1024;
constexpr intptr_t kMinStackDistance = 256 * 1024;

struct Job {
  const char* creator_stack;
  long seed;
  long result;
};

// What a correct thread computes for a seed; no TLS involved.
long expected(long seed) {
  long sum = 0;
  for (long i = 0; i < kArrayBytes; i += 64) sum += static_cast<signed char>(i + seed);
  return sum + seed;
}

void* body(void* p) {
  Job* job = static_cast<Job*>(p);
  if (tls_probe != 7) return reinterpret_cast<void*>(1);  // not a fresh TLS block
  tls_probe = job->seed;
  volatile signed char array[kArrayBytes];
  for (long i = 0; i < kArrayBytes; i += 64) array[i] = static_cast<signed char>(i + job->seed);
  intptr_t distance = reinterpret_cast<intptr_t>(&array[0]) - reinterpret_cast<intptr_t>(job->creator_stack);
  if (distance < kMinStackDistance && distance > -kMinStackDistance)
    return reinterpret_cast<void*>(2);  // ran on (or next to) the creator's stack
  long sum = 0;
  for (long i = 0; i < kArrayBytes; i += 64) sum += array[i];
  job->result = sum + tls_probe;
  return nullptr;
}

// Joins one thread and checks it ran correctly; false means SkipWithError
// was called.
bool finish(benchmark::State& state, pthread_t t, const Job& job) {
  void* ret = bench::join(t);
  if (ret == reinterpret_cast<void*>(1)) {
    state.SkipWithError("new thread did not see a fresh __thread variable");
  } else if (ret == reinterpret_cast<void*>(2)) {
    state.SkipWithError("new thread ran on the creator's stack");
  } else if (job.result != expected(job.seed) || tls_probe != 7) {
    state.SkipWithError("thread result wrong or creator's TLS overwritten");
  } else {
    return true;
  }
  return false;
}

void BM_CreateJoin(benchmark::State& state) {
  char here;
  long seed = 1;
  for (auto _ : state) {
    Job job{&here, seed++, 0};
    pthread_t t = bench::spawn(body, &job);
    if (!finish(state, t, job)) break;
  }
  state.SetLabel("goal>=20x");
}
BENCHMARK(BM_CreateJoin)->UseRealTime()->MinTime(0.2);

// 64 threads created before any is joined: the cost per thread when threads
// pile up (a runtime may run them in a batch). Reported per thread.
void BM_CreateJoinBatch64(benchmark::State& state) {
  constexpr int kBatch = 64;
  char here;
  Job jobs[kBatch];
  pthread_t threads[kBatch];
  long seed = 1;
  uint64_t t0 = bench::now_ns();
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      jobs[i] = Job{&here, seed++, 0};
      threads[i] = bench::spawn(body, &jobs[i]);
    }
    bool ok = true;
    for (int i = 0; i < kBatch; ++i) ok = finish(state, threads[i], jobs[i]) && ok;
    if (!ok) break;
  }
  double ns = double(bench::now_ns() - t0);
  state.counters["per_thread_ns"] = ns / double(state.iterations() * kBatch);
}
BENCHMARK(BM_CreateJoinBatch64)->UseRealTime()->MinTime(0.2);

}  // namespace

BENCHMARK_MAIN();
