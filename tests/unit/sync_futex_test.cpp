// tests/unit/sync_futex_test.cpp — the raw futex of syscall(SYS_futex).
//
// A wake reaches only waiters of its word whose bitset matches, however many
// other words have waiters (under weft, many words share a hash bucket:
// each keeps its own queue) and however the waiters ahead of them in the
// queue left it (timed out, woken). Waiters count wake-ups that came before
// their group was released: none may.
#include <gtest/gtest.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <vector>

#include "sync_test_util.h"

namespace {

using synctest::Thread;

long futex_wait_bits(uint32_t* word, uint32_t val, const timespec* abs, uint32_t bits) {
  return syscall(SYS_futex, word, FUTEX_WAIT_BITSET_PRIVATE, val, abs, nullptr, bits);
}

long futex_wake_bits(uint32_t* word, int n, uint32_t bits) {
  return syscall(SYS_futex, word, FUTEX_WAKE_BITSET_PRIVATE, n, nullptr, nullptr, bits);
}

struct Group {
  std::atomic<bool> released{false};
  std::atomic<int> early_wakes{0};
  std::atomic<int> done{0};
};

// Waits on word (which stays 0) until g is released; counts wake-ups before.
void wait_until_released(uint32_t* word, uint32_t bits, Group* g) {
  while (!g->released.load()) {
    long r = futex_wait_bits(word, 0, nullptr, bits);
    if (r == 0 && !g->released.load()) g->early_wakes++;
  }
  g->done++;
}

TEST(SyncFutex, WakeReachesOnlyItsWordAndBitsetPastTimedOutWaiters) {
  constexpr int kOtherWords = 300, kPerGroup = 20, kTimedOut = 10;
  static uint32_t shared_word;
  static uint32_t other_words[kOtherWords];
  Group bits1, bits2;
  std::vector<Group> others(kOtherWords);
  std::vector<Thread> threads;

  // First in the queue of shared_word: waiters that time out while the
  // others are queued behind them.
  std::atomic<int> timed_out{0};
  std::vector<Thread> early;
  for (int i = 0; i < kTimedOut; i++) {
    early.emplace_back([&] {
      timespec abs = synctest::deadline_in(CLOCK_MONOTONIC, 20 * synctest::kNsPerMs);
      long r;
      do r = futex_wait_bits(&shared_word, 0, &abs, FUTEX_BITSET_MATCH_ANY);
      while (r == 0);
      if (r == -1 && errno == ETIMEDOUT) timed_out++;
    });
  }
  for (int i = 0; i < kPerGroup; i++) {
    threads.emplace_back([&] { wait_until_released(&shared_word, 1, &bits1); });
    threads.emplace_back([&] { wait_until_released(&shared_word, 2, &bits2); });
  }
  for (int i = 0; i < kOtherWords; i++)
    threads.emplace_back([&, i] { wait_until_released(&other_words[i], FUTEX_BITSET_MATCH_ANY, &others[i]); });
  for (auto& t : early) t.join();
  EXPECT_EQ(timed_out.load(), kTimedOut);

  // Each other word, one by one: its one waiter, nobody else.
  for (int i = 0; i < kOtherWords; i++) {
    others[i].released = true;
    synctest::yield_until([&] {
      futex_wake_bits(&other_words[i], INT_MAX, FUTEX_BITSET_MATCH_ANY);
      return others[i].done.load() == 1;
    });
  }
  // Bitset 2 is not woken by wakes for bitset 1, and the other way round.
  bits1.released = true;
  synctest::yield_until([&] {
    futex_wake_bits(&shared_word, INT_MAX, 1);
    return bits1.done.load() == kPerGroup;
  });
  EXPECT_EQ(bits2.done.load(), 0);
  bits2.released = true;
  synctest::yield_until([&] {
    futex_wake_bits(&shared_word, 1, 2);  // one at a time
    return bits2.done.load() == kPerGroup;
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(bits1.early_wakes.load(), 0);
  EXPECT_EQ(bits2.early_wakes.load(), 0);
  int early_others = 0;
  for (auto& g : others) early_others += g.early_wakes.load();
  EXPECT_EQ(early_others, 0);
}

}  // namespace
