// core/spinlock.h — the runtime's own lock.
//
// Runtime structures (run queues, timer heaps, futex buckets, the scheduler)
// are locked for a few dozen instructions at a time, never across a switch
// except by handing the unlock to the next context (see Sched::park). A
// waiter spins briefly, then sleeps on a private kernel futex: it must never
// park as a G, since these locks are what parking itself uses. Not recursive.
#pragma once
#include <atomic>
#include <stdint.h>

#include "core/sys.h"

namespace weft {

// Bracket a runtime lock's sleep in the kernel (core/spinlock.cpp): the
// monitor does not take an M that waits for weft itself for a stuck one.
void runtime_sleep_begin();
void runtime_sleep_end();

class SpinLock {
 public:
  void lock() {
    uint32_t expected = 0;
    if (word_.compare_exchange_strong(expected, 1, std::memory_order_acquire)) return;
    lock_slow();
  }
  bool try_lock() {
    uint32_t expected = 0;
    return word_.compare_exchange_strong(expected, 1, std::memory_order_acquire);
  }
  // Whether someone holds it (a fork child asks: a vanished thread may).
  bool held() const { return word_.load(std::memory_order_relaxed) != 0; }
  void unlock() {
    if (word_.exchange(0, std::memory_order_release) == 2)
      sys::futex_wake(reinterpret_cast<uint32_t*>(&word_), 1);
  }

 private:
  void lock_slow() {
    for (int i = 0; i < 100; i++) {
      __builtin_ia32_pause();
      uint32_t expected = 0;
      if (word_.load(std::memory_order_relaxed) == 0 &&
          word_.compare_exchange_strong(expected, 1, std::memory_order_acquire))
        return;
    }
    // 0 free, 1 held, 2 held with possible sleepers.
    if (word_.exchange(2, std::memory_order_acquire) == 0) return;
    runtime_sleep_begin();
    do sys::futex_wait(reinterpret_cast<uint32_t*>(&word_), 2, nullptr);
    while (word_.exchange(2, std::memory_order_acquire) != 0);
    runtime_sleep_end();
  }
  std::atomic<uint32_t> word_{0};
};

class SpinLockGuard {
 public:
  explicit SpinLockGuard(SpinLock& l) : l_(l) { l_.lock(); }
  ~SpinLockGuard() { l_.unlock(); }
  SpinLockGuard(const SpinLockGuard&) = delete;
  SpinLockGuard& operator=(const SpinLockGuard&) = delete;

 private:
  SpinLock& l_;
};

}  // namespace weft
