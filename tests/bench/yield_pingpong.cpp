// Benchmark: sched_yield ping-pong between two runnable threads on one CPU.
//
// The benchmark thread and a partner both loop on sched_yield, so each yield
// hands the CPU to the other. Natively both threads are pinned to CPU 0 (a
// kernel context switch per yield); under weft the driver runs this with
// WEFT_PROCS=1 (a user-space switch per yield) and no pinning is done, since
// weft's one P already puts both on one kernel thread. Reported: wall time per
// yield, counting the yields of both threads.
// Goal (issue): weft >= 20x faster per yield.
#include <benchmark/benchmark.h>

#include <atomic>

#include "bench_common.h"

namespace {

struct Partner {
  bool pin;
  std::atomic<bool> started{false};
  std::atomic<bool> pin_failed{false};
  std::atomic<bool> stop{false};
  long yields = 0;  // written by the partner before it exits; read after join
};

void* partner(void* p) {
  Partner* s = static_cast<Partner*>(p);
  if (s->pin && !bench::pin_to_cpu0(nullptr)) s->pin_failed.store(true);
  s->started.store(true);
  long n = 0;
  while (!s->stop.load(std::memory_order_relaxed)) {
    sched_yield();
    ++n;
  }
  s->yields = n;
  return nullptr;
}

void BM_YieldPingPong(benchmark::State& state) {
  Partner s;
  s.pin = !bench::under_weft();
  cpu_set_t saved;
  if (s.pin && !bench::pin_to_cpu0(&saved)) {
    state.SkipWithError("cannot pin to CPU 0");
    return;
  }
  pthread_t t = bench::spawn(partner, &s);
  // Yielding (not spinning) while waiting: with one CPU the partner needs it.
  while (!s.started.load()) sched_yield();
  uint64_t t0 = bench::now_ns();
  for (auto _ : state) sched_yield();
  uint64_t elapsed = bench::now_ns() - t0;
  s.stop.store(true);
  bench::join(t);
  if (s.pin) bench::unpin(saved);
  if (s.pin_failed.load()) state.SkipWithError("partner cannot pin to CPU 0");
  state.counters["per_yield_ns"] = double(elapsed) / double(state.iterations() + s.yields);
  state.SetLabel(s.pin ? "goal>=20x; both pinned to cpu0" : "goal>=20x");
}
BENCHMARK(BM_YieldPingPong)->UseRealTime()->MinTime(0.2);

}  // namespace

BENCHMARK_MAIN();
