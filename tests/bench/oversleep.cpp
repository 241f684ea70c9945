// Benchmark: how late 10 ms nanosleeps wake up (actual - requested).
//
// N threads (1, and 100 sleeping at once) each sleep 10 ms repeatedly and
// record by how much each sleep overshot. The threads start at staggered
// offsets (thread i first sleeps i/N of the period), so their wake-ups are
// spread over the period: this measures timer precision, not how fast two
// CPUs can drain 100 simultaneous wake-ups. Reported: p50/p90/p99/max of the
// overshoot in microseconds over all samples of one run. The driver runs weft
// with WEFT_PROCS=1 and 2. Natively the overshoot includes the default 50 us
// timer slack. Goal (issue): none stated; reported.
// BesideSpinner: one sleeper while one thread spins in a pure arithmetic
// loop (no calls): under weft at WEFT_PROCS=1 the sleeper runs only because
// the spinner is preempted (issue 12: at most 50 ms late, goal 20 ms).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "bench_common.h"

namespace {

constexpr long kPeriodNs = 10 * 1000 * 1000;

struct Sleeper {
  bench::StartGate* gate;
  long offset_ns;
  int sleeps;
  std::vector<long> overshoot_ns;
  bool failed = false;
};

void sleep_ns(long ns) {
  timespec req{ns / 1000000000, ns % 1000000000};
  while (nanosleep(&req, &req) != 0) {
  }
}

void* sleeper(void* p) {
  Sleeper* s = static_cast<Sleeper*>(p);
  s->gate->pass();
  if (s->offset_ns > 0) sleep_ns(s->offset_ns);
  for (int i = 0; i < s->sleeps; ++i) {
    timespec req{0, kPeriodNs};
    uint64_t t0 = bench::now_ns();
    if (nanosleep(&req, nullptr) != 0) s->failed = true;  // EINTR: nothing signals us
    s->overshoot_ns.push_back(long(bench::now_ns() - t0) - kPeriodNs);
  }
  return nullptr;
}

double percentile_us(const std::vector<long>& sorted, double q) {
  size_t i = size_t(q * double(sorted.size() - 1) + 0.5);
  return double(sorted[i]) / 1000.0;
}

std::atomic<bool> spin_stop;

void* spinner(void*) {
  unsigned long x = 1;
  while (!spin_stop.load(std::memory_order_relaxed)) x = x * 6364136223846793005ul + 1;
  return reinterpret_cast<void*>(x & 1);
}

void run_sleepers(benchmark::State& state, int n, bool beside_spinner) {
  const int sleeps = n == 1 ? 30 : 10;  // at least ~30 samples for one thread
  std::vector<long> all;
  bool failed = false;
  spin_stop.store(false);
  pthread_t spin{};
  if (beside_spinner) spin = bench::spawn(spinner, nullptr);
  for (auto _ : state) {
    bench::StartGate gate;
    std::vector<Sleeper> sleepers(n);
    std::vector<pthread_t> threads(n);
    for (int i = 0; i < n; ++i) {
      sleepers[i].gate = &gate;
      sleepers[i].offset_ns = kPeriodNs / n * i;
      sleepers[i].sleeps = sleeps;
      sleepers[i].overshoot_ns.reserve(sleeps);  // no allocation while timing
      threads[i] = bench::spawn(sleeper, &sleepers[i]);
    }
    gate.open();
    for (int i = 0; i < n; ++i) {
      bench::join(threads[i]);
      failed = failed || sleepers[i].failed;
      all.insert(all.end(), sleepers[i].overshoot_ns.begin(), sleepers[i].overshoot_ns.end());
    }
  }
  if (beside_spinner) {
    spin_stop.store(true);
    bench::join(spin);
  }
  if (failed) state.SkipWithError("nanosleep failed");
  if (all.empty()) return;
  std::sort(all.begin(), all.end());
  if (all.front() < 0) state.SkipWithError("a 10 ms nanosleep returned early");
  state.counters["p50_us"] = percentile_us(all, 0.50);
  state.counters["p90_us"] = percentile_us(all, 0.90);
  state.counters["p99_us"] = percentile_us(all, 0.99);
  state.counters["max_us"] = double(all.back()) / 1000.0;
}
void BM_Oversleep10ms(benchmark::State& state) { run_sleepers(state, int(state.range(0)), false); }
BENCHMARK(BM_Oversleep10ms)->Arg(1)->Arg(100)->Iterations(1)->UseRealTime();

void BM_Oversleep10msBesideSpinner(benchmark::State& state) { run_sleepers(state, 1, true); }
BENCHMARK(BM_Oversleep10msBesideSpinner)->Iterations(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
