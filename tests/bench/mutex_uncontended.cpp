// Benchmark: uncontended pthread_mutex_lock + pthread_mutex_unlock.
//
// The fast path every program hits most: one thread locks and unlocks a
// default mutex nobody else touches. Measured once with the process
// single-threaded and once with a second thread alive (parked on a gate), in
// case either runtime takes a different path once threads exist.
// Goal (issue): weft within 2x of NPTL (ratio NPTL/weft >= 0.5).
#include <benchmark/benchmark.h>

#include "bench_common.h"

namespace {

void lock_unlock_loop(benchmark::State& state) {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  for (auto _ : state) {
    pthread_mutex_lock(&m);
    benchmark::ClobberMemory();  // keep the critical section from being merged away
    pthread_mutex_unlock(&m);
  }
  state.SetLabel("goal>=0.5x");
}

void BM_MutexUncontended(benchmark::State& state) { lock_unlock_loop(state); }
BENCHMARK(BM_MutexUncontended)->UseRealTime()->MinTime(0.2);

void* park(void* gate) {
  static_cast<bench::StartGate*>(gate)->pass();
  return nullptr;
}

void BM_MutexUncontendedOtherThreadAlive(benchmark::State& state) {
  bench::StartGate gate;
  pthread_t t = bench::spawn(park, &gate);
  lock_unlock_loop(state);
  gate.open();
  bench::join(t);
}
BENCHMARK(BM_MutexUncontendedOtherThreadAlive)->UseRealTime()->MinTime(0.2);

}  // namespace

BENCHMARK_MAIN();
