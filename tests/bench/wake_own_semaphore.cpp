// Benchmark: many threads, each blocked on a semaphore of its own; the
// benchmark thread wakes them one at a time and waits for each to answer.
//
// One round trip: sem_post to thread i's semaphore, sem_wait on a shared
// "answered" semaphore that thread i posts. The point is how a wake-up
// scales with the number of other threads blocked on other objects (a
// runtime that keeps waiters in shared hash buckets must not walk the other
// objects' waiters). Counters: per_wake_ns. Natively the thread count stays
// at or below 10,000 (pid space); the weft runs use the same counts.
#include <benchmark/benchmark.h>
#include <semaphore.h>

#include <memory>
#include <vector>

#include "bench_common.h"

namespace {

struct Crowd {
  std::unique_ptr<sem_t[]> own;
  sem_t answered;
  long rounds = 0;  // wake-ups each thread answers before it exits
};

struct Member {
  Crowd* crowd;
  long index;
};

void* member(void* p) {
  Member* m = static_cast<Member*>(p);
  for (long r = 0; r < m->crowd->rounds; ++r) {
    while (sem_wait(&m->crowd->own[m->index]) != 0) {
    }
    sem_post(&m->crowd->answered);
  }
  return nullptr;
}

void BM_WakeOwnSemaphore(benchmark::State& state) {
  const long n = state.range(0);
  // Every thread answers exactly `rounds` wake-ups, so the benchmark must
  // run a whole number of passes over the crowd: one pass per iteration.
  constexpr long kPasses = 3;
  Crowd crowd;
  crowd.own = std::make_unique<sem_t[]>(size_t(n));
  crowd.rounds = kPasses;
  sem_init(&crowd.answered, 0, 0);
  std::vector<Member> members(static_cast<size_t>(n));
  std::vector<pthread_t> threads(static_cast<size_t>(n));
  for (long i = 0; i < n; ++i) {
    sem_init(&crowd.own[i], 0, 0);
    members[size_t(i)] = Member{&crowd, i};
    threads[size_t(i)] = bench::spawn(member, &members[size_t(i)]);
  }
  long passes = 0;
  for (auto _ : state) {
    if (passes == kPasses) {
      state.SkipWithError("more iterations than passes");
      break;
    }
    uint64_t t0 = bench::now_ns();
    for (long i = 0; i < n; ++i) {
      sem_post(&crowd.own[i]);
      while (sem_wait(&crowd.answered) != 0) {
      }
    }
    double ns = double(bench::now_ns() - t0);
    state.SetIterationTime(ns / 1e9);
    state.counters["per_wake_ns"] = ns / double(n);
    ++passes;
  }
  // Let every thread finish its remaining rounds, then join.
  for (; passes < kPasses; ++passes)
    for (long i = 0; i < n; ++i) {
      sem_post(&crowd.own[i]);
      while (sem_wait(&crowd.answered) != 0) {
      }
    }
  for (pthread_t t : threads) bench::join(t);
  for (long i = 0; i < n; ++i) sem_destroy(&crowd.own[i]);
  sem_destroy(&crowd.answered);
}
BENCHMARK(BM_WakeOwnSemaphore)->Arg(100)->Arg(10000)->Iterations(2)->UseManualTime();

}  // namespace

BENCHMARK_MAIN();
