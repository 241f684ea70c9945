// Benchmark: malloc/free throughput with N threads alive at once (2, 64 and
// 10,000).
//
// Every thread keeps a small ring of live blocks and repeatedly frees the
// oldest and mallocs a new one of a pseudo-random size in 16 B..2 KiB,
// touching both ends; one op = one free + one malloc. All threads are created
// and held at a start gate first, so the timed part (gate open to last join)
// is allocator work with all N threads' caches in play. About a million ops
// per iteration whatever N, so per-op times are comparable. Natively this is
// glibc malloc; under weft it is the jemalloc built into libweft.so.
// Goal (issue): none stated; both reported.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <vector>

#include "bench_common.h"

namespace {

constexpr long kOpsPerIteration = 1 << 20;
constexpr int kRing = 8;

struct Worker {
  bench::StartGate* gate;
  long ops;
  unsigned seed;
  unsigned long checksum = 0;
};

void* worker(void* p) {
  Worker* w = static_cast<Worker*>(p);
  char* ring[kRing] = {};
  unsigned x = w->seed | 1;
  w->gate->pass();
  for (long i = 0; i < w->ops + kRing; ++i) {
    // xorshift32: cheap, deterministic sizes with no shared state
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    size_t size = 16 + x % 2033;
    char*& slot = ring[i % kRing];
    if (slot != nullptr) {
      w->checksum += static_cast<unsigned char>(slot[0]);
      std::free(slot);
    }
    slot = static_cast<char*>(std::malloc(size));
    if (slot == nullptr) std::abort();
    slot[0] = char(i);
    slot[size - 1] = char(i);
  }
  for (char* b : ring) std::free(b);
  return nullptr;
}

void BM_MallocFree(benchmark::State& state) {
  const long n = state.range(0);
  if (n > 10000 && !bench::under_weft()) {
    state.SkipWithError("more than 10,000 native threads (pid_max)");
    return;
  }
  const long per_thread = kOpsPerIteration / n > 64 ? kOpsPerIteration / n : 64;
  std::vector<Worker> workers(n);
  std::vector<pthread_t> threads(n);
  double total_ns = 0;
  double total_ops = 0;
  for (auto _ : state) {
    bench::StartGate gate;
    for (long i = 0; i < n; ++i) {
      workers[i] = Worker{&gate, per_thread, unsigned(i * 2654435761u), 0};
      threads[i] = bench::spawn(worker, &workers[i]);
    }
    uint64_t t0 = bench::now_ns();
    gate.open();
    for (long i = 0; i < n; ++i) bench::join(threads[i]);
    uint64_t ns = bench::now_ns() - t0;
    state.SetIterationTime(double(ns) * 1e-9);
    total_ns += double(ns);
    total_ops += double(per_thread * n);
  }
  state.counters["per_op_ns"] = total_ns / total_ops;
}
BENCHMARK(BM_MallocFree)->Arg(2)->Arg(64)->UseManualTime()->MinTime(0.3);
// Creating 10,000 threads takes ~0.4 s natively: a fixed, small count.
BENCHMARK(BM_MallocFree)->Arg(10000)->UseManualTime()->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
