// core/cputime.cpp — see core/cputime.h.
//
// The TSC's rate is measured once, on the first read: against
// CLOCK_MONOTONIC, from a pair of readings taken at start-up to one taken
// then, at least 1 ms later (the first read waits out what is left of that
// millisecond). Each pair is read so that the two clocks are less than a
// microsecond apart, so the rate is good to 10^-3 at worst, and it never
// changes afterwards: a G that does not run reads the same value every time.
// The wait does not count as the waiting thread's CPU time.
#include "core/cputime.h"

#include <cpuid.h>
#include <time.h>

#include "core/sched.h"
#include "core/self.h"
#include "core/spinlock.h"

namespace weft {

namespace cputime {
bool use_tsc = false;
std::atomic<bool> on{false};
int64_t since = 0;
}

namespace {

constexpr int64_t kCalibrationNs = 1000000;

struct Pair {
  int64_t ns;
  int64_t tsc;
};
Pair origin;
std::atomic<uint64_t> ns_per_tick_q32{0};  // fixed point, 32 fraction bits

// The main thread's CPU time before weft started (its kernel thread's).
G* based_g = nullptr;
int64_t base_ns = 0;

Pair read_pair() {
  Pair p;
  for (int i = 0;; i++) {
    int64_t a = sys::now_ns();
    p.tsc = int64_t(__rdtsc());
    int64_t b = sys::now_ns();
    p.ns = a + (b - a) / 2;
    if (b - a < 1000 || i == 100) return p;
  }
}

bool invariant_tsc() {
  unsigned a, b, c, d;
  if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000007) return false;
  __get_cpuid(0x80000007, &a, &b, &c, &d);
  return d & (1u << 8);
}

uint64_t rate() {
  uint64_t q = ns_per_tick_q32.load(std::memory_order_acquire);
  if (q) return q;
  // The caller's own clock does not count the wait (a program would not).
  G* self = current_g();
  bool pause = self && !self->is_g0 && (self->cpu_clock.load(std::memory_order_relaxed) & 1);
  if (pause) cpu_stop(self, cpu_ticks());
  Pair now;
  do now = read_pair();
  while (now.ns - origin.ns < kCalibrationNs);
  if (pause) cpu_start(self, cpu_ticks());
  q = uint64_t((unsigned __int128)(now.ns - origin.ns) << 32) / uint64_t(now.tsc - origin.tsc);
  uint64_t expected = 0;
  if (!ns_per_tick_q32.compare_exchange_strong(expected, q, std::memory_order_acq_rel)) q = expected;
  return q;
}

int64_t kernel_thread_cpu_ns() {
  timespec ts{};
  sys::call6(SYS_clock_gettime, CLOCK_THREAD_CPUTIME_ID, long(&ts));
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

void cputime_init(G* main) {
  cputime::use_tsc = invariant_tsc();
  if (cputime::use_tsc) origin = read_pair();
  based_g = main;
}

namespace {
// The first read starts every clock (see core/cputime.h): the G that reads
// counts from now, as do the others running now (cpu_stop), and every G
// from its next switch in.
SpinLock start_lock;
void start_clocks() {
  SpinLockGuard l(start_lock);
  if (cputime::on.load(std::memory_order_acquire)) return;
  if (based_g) base_ns = kernel_thread_cpu_ns();  // main's time so far: its kernel thread's
  cputime::since = cpu_ticks();
  cputime::on.store(true, std::memory_order_release);
}
}  // namespace

int64_t cpu_time_ns(G* g) {
  if (!cputime::on.load(std::memory_order_acquire)) start_clocks();
  int64_t w = g->cpu_clock.load(std::memory_order_relaxed);
  int64_t ticks;
  if (w & 1) {
    ticks = (w >> 1) + cpu_ticks();
  } else {
    ticks = w >> 1;
    // Running since before the clocks started: its time since then.
    uint32_t st = g->status.load(std::memory_order_relaxed);
    if (g == current_g() || st == kGRunning) ticks += cpu_ticks() - cputime::since;
  }
  if (ticks < 0) ticks = 0;
  int64_t ns = cputime::use_tsc ? int64_t((unsigned __int128)ticks * rate() >> 32) : ticks;
  return g == based_g ? ns + base_ns : ns;
}

void cputime_after_fork(G* self) {
  based_g = nullptr;
  self->cpu_clock.store(0, std::memory_order_relaxed);
  if (cpu_clocks_on()) cpu_start(self, cpu_ticks());
}

}  // namespace weft
