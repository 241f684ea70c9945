// Benchmark: the cost of a wrapped read that does not block.
//
// A read of 1 byte from a pipe that holds data (under weft: the wrapper's
// non-blocking attempt succeeds at once, no parking), and a pread of 1 byte
// from a regular file in the page cache (under weft: the syscall hand-off
// path, the call returning before the monitor would notice it). The pipe is
// refilled every 64 KiB reads with the timer paused. Reported: wall time per
// call; the goal is an absolute overhead, at most 50 ns over NPTL
// per call ("goal<=+50ns", evaluated by scripts/bench.sh).
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <unistd.h>

#include <vector>

#include "bench_common.h"

namespace {

constexpr int kPipeBytes = 64 * 1024;

void BM_ReadPipeWithData(benchmark::State& state) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    state.SkipWithError("pipe2");
    return;
  }
  std::vector<char> fill(kPipeBytes, 'x');
  int left = 0;
  char c;
  bool ok = true;
  for (auto _ : state) {
    if (left == 0) {
      state.PauseTiming();
      ok = ok && write(p[1], fill.data(), fill.size()) == kPipeBytes;
      left = kPipeBytes;
      state.ResumeTiming();
    }
    ok = ok && read(p[0], &c, 1) == 1;
    --left;
  }
  close(p[0]);
  close(p[1]);
  if (!ok) state.SkipWithError("a pipe read or refill failed");
  state.SetLabel("goal<=+50ns");
}
BENCHMARK(BM_ReadPipeWithData)->UseRealTime()->MinTime(0.3);

void BM_PreadCachedFile(benchmark::State& state) {
  char path[] = "/tmp/weft-bench-read-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) {
    state.SkipWithError("mkstemp");
    return;
  }
  unlink(path);
  std::vector<char> page(4096, 'y');
  bool ok = write(fd, page.data(), page.size()) == ssize_t(page.size());
  char c;
  for (auto _ : state) ok = ok && pread(fd, &c, 1, 0) == 1;
  close(fd);
  if (!ok) state.SkipWithError("pread failed");
  state.SetLabel("goal<=+50ns");
}
BENCHMARK(BM_PreadCachedFile)->UseRealTime()->MinTime(0.3);

}  // namespace

BENCHMARK_MAIN();
