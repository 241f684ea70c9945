// Benchmark: contended counter, N threads incrementing one shared counter
// under one default mutex.
//
// All N threads are created first and held at a start gate, so the timed part
// is only the increments (from opening the gate to the last join). Reported
// per increment (per_incr_ns; lower is higher throughput). The final count is
// checked, so a broken mutex cannot look fast. N = 64 is the case;
// N = 2 shows the two-thread handoff for reference.
// Goal (issue): none stated; reported.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench_common.h"

namespace {

constexpr long kIncrementsPerIteration = 1 << 18;

struct Shared {
  bench::StartGate gate;
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  long counter = 0;
  long per_thread = 0;
};

void* incrementer(void* p) {
  Shared* s = static_cast<Shared*>(p);
  s->gate.pass();
  for (long i = 0; i < s->per_thread; ++i) {
    pthread_mutex_lock(&s->m);
    ++s->counter;
    pthread_mutex_unlock(&s->m);
  }
  return nullptr;
}

void BM_ContendedCounter(benchmark::State& state) {
  const long n = state.range(0);
  std::vector<pthread_t> threads(n);
  double total_ns = 0;
  long total_increments = 0;
  for (auto _ : state) {
    Shared s;
    s.per_thread = kIncrementsPerIteration / n;
    for (long i = 0; i < n; ++i) threads[i] = bench::spawn(incrementer, &s);
    uint64_t t0 = bench::now_ns();
    s.gate.open();
    for (long i = 0; i < n; ++i) bench::join(threads[i]);
    uint64_t ns = bench::now_ns() - t0;
    state.SetIterationTime(double(ns) * 1e-9);
    total_ns += double(ns);
    total_increments += s.counter;
    if (s.counter != s.per_thread * n) {
      state.SkipWithError("counter lost increments");
      break;
    }
  }
  if (total_increments > 0) state.counters["per_incr_ns"] = total_ns / double(total_increments);
}
BENCHMARK(BM_ContendedCounter)->Arg(2)->Arg(64)->UseManualTime()->MinTime(0.3);

}  // namespace

BENCHMARK_MAIN();
