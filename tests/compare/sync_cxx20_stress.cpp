// tests/compare/sync_cxx20_stress.cpp — the C++20 synchronization library
// (libstdc++ 12) with thousands of threads: std::latch, std::barrier,
// std::counting_semaphore, std::atomic<T>::wait/notify.
//
// libstdc++ compiles these into calls of syscall(SYS_futex, ...) from the
// program (and FUTEX_WAIT_BITSET with an absolute time for timed waits), so
// they reach weft through the syscall() wrapper, not through pthread calls.
// Each section checks exact counts; output never depends on timing.
#include <stdio.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <latch>
#include <memory>
#include <semaphore>
#include <thread>
#include <vector>

#include "sync_common.h"

namespace {

void join_all(std::vector<std::thread>& ts) {
  for (auto& t : ts) t.join();
  ts.clear();
}

// 4,000 threads count a latch down and wait on it; a second latch tells the
// main thread they have all passed. Nobody may pass before the last arrival.
void latch_section() {
  constexpr int kThreads = 4000;
  std::latch all_arrived(kThreads);
  std::latch all_passed(kThreads);
  std::atomic<int> arrivals{0}, early{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < kThreads; ++i)
    ts.emplace_back([&] {
      arrivals.fetch_add(1);
      all_arrived.arrive_and_wait();
      if (arrivals.load() != kThreads) early.fetch_add(1);
      all_passed.count_down();
    });
  all_passed.wait();
  SYNC_CHECK(all_arrived.try_wait(), "latch: not released");
  join_all(ts);
  SYNC_CHECK(early.load() == 0, "latch: %d threads passed early", early.load());
  printf("latch: %d threads arrived and passed together\n", kThreads);
}

// 2,000 threads x 50 phases, two barrier phases per round. The completion
// function runs once per barrier phase, after the last arrival and before
// anyone is released: it checks that every thread has arrived for this round
// and counts. After the first barrier of round p, each thread checks the count.
void barrier_section() {
  constexpr int kThreads = 2000, kRounds = 50;
  std::atomic<int> completions{0}, arrived{0}, bad{0};
  auto on_completion = [&]() noexcept {
    int c = completions.load();
    if (arrived.load() != kThreads * (c / 2 + 1)) bad.fetch_add(1);
    completions.store(c + 1);
  };
  std::barrier sync_point(kThreads, on_completion);
  std::vector<std::thread> ts;
  for (int i = 0; i < kThreads; ++i)
    ts.emplace_back([&] {
      for (int p = 0; p < kRounds; ++p) {
        arrived.fetch_add(1);
        sync_point.arrive_and_wait();
        if (completions.load() != 2 * p + 1) bad.fetch_add(1);
        // The second phase keeps the next round's arrivals after every check.
        sync_point.arrive_and_wait();
      }
    });
  join_all(ts);
  SYNC_CHECK(bad.load() == 0, "barrier: %d phase mismatches", bad.load());
  SYNC_CHECK(completions.load() == 2 * kRounds, "barrier: %d completions", completions.load());
  printf("barrier: %d threads x %d rounds, completion ran once per phase\n", kThreads,
         kRounds);
}

// 3,000 threads share 8 permits: at most 8 inside at any time, and every
// thread gets in. Half use acquire(), half try_acquire_for() in a loop.
void semaphore_section() {
  constexpr int kThreads = 3000, kPermits = 8, kRounds = 20;
  std::counting_semaphore<kPermits> sem(kPermits);
  std::atomic<int> inside{0}, too_many{0}, entries{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < kThreads; ++i)
    ts.emplace_back([&, i] {
      for (int r = 0; r < kRounds; ++r) {
        if (i & 1) {
          sem.acquire();
        } else {
          while (!sem.try_acquire_for(std::chrono::microseconds(200))) {
          }
        }
        if (inside.fetch_add(1) >= kPermits) too_many.fetch_add(1);
        entries.fetch_add(1);
        inside.fetch_sub(1);
        sem.release();
      }
    });
  join_all(ts);
  SYNC_CHECK(too_many.load() == 0, "semaphore: more than %d inside %d times", kPermits,
             too_many.load());
  SYNC_CHECK(entries.load() == kThreads * kRounds, "semaphore: %d entries", entries.load());
  // All permits are back.
  for (int i = 0; i < kPermits; ++i) SYNC_CHECK(sem.try_acquire(), "semaphore: permit lost");
  SYNC_CHECK(!sem.try_acquire(), "semaphore: extra permit");
  printf("semaphore: %d threads x %d rounds through %d permits, never more inside\n", kThreads,
         kRounds, kPermits);
}

// atomic wait/notify. (1) A token travels round a ring of 2,000 threads,
// each waiting on its own atomic and notifying the next: 10 laps.
// (2) 2,000 threads wait on one atomic; a single notify_all wakes them all.
void atomic_wait_section() {
  constexpr int kRing = 2000, kLaps = 10;
  std::unique_ptr<std::atomic<int>[]> slot(new std::atomic<int>[kRing]);
  for (int i = 0; i < kRing; ++i) slot[i].store(0);
  std::atomic<long> passes{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < kRing; ++i)
    ts.emplace_back([&, i] {
      for (int lap = 1; lap <= kLaps; ++lap) {
        // Wait until this slot holds the current lap number.
        int v;
        while ((v = slot[i].load()) != lap) slot[i].wait(v);
        passes.fetch_add(1);
        int next = (i + 1) % kRing;
        slot[next].store(next == 0 ? lap + 1 : lap);
        slot[next].notify_one();
      }
    });
  slot[0].store(1);
  slot[0].notify_one();
  join_all(ts);
  SYNC_CHECK(passes.load() == (long)kRing * kLaps, "atomic ring: %ld passes", passes.load());
  printf("atomic wait ring: %d threads, %d laps, %ld hand-offs\n", kRing, kLaps, passes.load());

  constexpr int kWaiters = 2000;
  std::atomic<int> go{0}, woke{0}, waiting{0};
  for (int i = 0; i < kWaiters; ++i)
    ts.emplace_back([&] {
      waiting.fetch_add(1);
      waiting.notify_one();
      while (go.load() == 0) go.wait(0);  // wait may return spuriously
      woke.fetch_add(1);
    });
  for (int w; (w = waiting.load()) != kWaiters;) waiting.wait(w);
  go.store(1);
  go.notify_all();
  join_all(ts);
  SYNC_CHECK(woke.load() == kWaiters, "atomic notify_all: %d woke", woke.load());
  printf("atomic notify_all: %d waiters woke\n", kWaiters);
}

}  // namespace

int main() {
  latch_section();
  barrier_section();
  semaphore_section();
  atomic_wait_section();
  return 0;
}
