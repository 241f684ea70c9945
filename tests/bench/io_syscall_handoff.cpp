// Benchmark: the time from a raw blocking system call to its P running other
// threads.
//
// Thread A enters a read of an empty pipe with an inline `syscall`
// instruction (no libc, so weft cannot see it: only the monitor can notice
// the stuck M and give its P to another M); thread B, runnable and waiting
// its turn by yielding, records how long after A's entry it next runs, then
// writes the byte that lets A's read return. Natively both threads are pinned
// to CPU 0, so the figure is the kernel's switch to another thread of the
// same CPU; the driver runs weft at WEFT_PROCS=1, where A and B share one P.
// Reported: mean, median and 99th percentile over kSamples. No goal in the
// issue: the figure says how fast the monitor reacts.
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "bench_common.h"

namespace {

constexpr int kSamples = 100;

long raw_read(int fd, void* buf, size_t n) {
  long ret;
  asm volatile("syscall"
               : "=a"(ret)
               : "0"(long(SYS_read)), "D"(long(fd)), "S"(buf), "d"(n)
               : "rcx", "r11", "memory");
  return ret;
}

struct Shared {
  int pipe_fd[2];
  bool pin;
  std::atomic<int> b_ready{0};    // round B waits for
  std::atomic<int> a_entered{0};  // round whose raw read A is entering
  std::atomic<uint64_t> entered_ns{0};
  std::atomic<bool> pin_failed{false};
  std::vector<uint64_t> latency_ns;
};

void* runner_b(void* arg) {
  Shared* s = static_cast<Shared*>(arg);
  if (s->pin && !bench::pin_to_cpu0(nullptr)) s->pin_failed.store(true);
  for (int r = 1; r <= kSamples; ++r) {
    s->b_ready.store(r);
    while (s->a_entered.load() != r) sched_yield();
    s->latency_ns.push_back(bench::now_ns() - s->entered_ns.load());
    if (write(s->pipe_fd[1], "x", 1) != 1) std::abort();
  }
  return nullptr;
}

void BM_RawSyscallToOtherThread(benchmark::State& state) {
  for (auto _ : state) {
    Shared s;
    s.pin = !bench::under_weft();
    s.latency_ns.reserve(kSamples);
    if (pipe2(s.pipe_fd, O_CLOEXEC) != 0) {
      state.SkipWithError("pipe2");
      return;
    }
    cpu_set_t saved;
    if (s.pin && !bench::pin_to_cpu0(&saved)) {
      state.SkipWithError("cannot pin to CPU 0");
      return;
    }
    pthread_t b = bench::spawn(runner_b, &s);
    char c;
    for (int r = 1; r <= kSamples; ++r) {
      while (s.b_ready.load() != r) sched_yield();
      s.entered_ns.store(bench::now_ns());
      s.a_entered.store(r);
      if (raw_read(s.pipe_fd[0], &c, 1) != 1) std::abort();
    }
    bench::join(b);
    if (s.pin) bench::unpin(saved);
    close(s.pipe_fd[0]);
    close(s.pipe_fd[1]);
    if (s.pin_failed.load()) {
      state.SkipWithError("B cannot pin to CPU 0");
      return;
    }
    std::vector<uint64_t> v = s.latency_ns;
    std::sort(v.begin(), v.end());
    double sum = 0;
    for (uint64_t x : v) sum += double(x);
    state.counters["mean_us"] = sum / double(v.size()) / 1000.0;
    state.counters["p50_us"] = double(v[v.size() / 2]) / 1000.0;
    state.counters["p99_us"] = double(v[v.size() * 99 / 100]) / 1000.0;
    state.SetLabel(s.pin ? "both pinned to cpu0" : "");
  }
}
BENCHMARK(BM_RawSyscallToOtherThread)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
