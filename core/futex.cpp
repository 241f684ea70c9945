// core/futex.cpp — user-space futex for Gs (model in core/futex.h).
//
// Buckets: a fixed table hashed by word address. Each holds, under its
// SpinLock, one wait queue per address with waiting Gs (a ring of G::wq_*
// links in arrival order, whose oldest G, the leader, is on the bucket's
// address list) and the number of non-G kernel waiters. A wake walks only
// the queue of its address: a million Gs parked on one condition variable
// cost nothing to a wake of another word in the same bucket (Go's semaRoot
// keeps a tree of addresses for the same reason). A G's wq_* fields are
// written only under the lock of the bucket of wq_addr.
//
// Wake vs. timeout: both complete the G's wait with complete_wait (one wins,
// see core/sched.h). The waker unlinks under the bucket lock; a timeout
// unlinks in on_timeout (taking the bucket lock after the timer lock is
// dropped), so no lock order is ever reversed.
#include "core/futex.h"

#include <errno.h>
#include <linux/futex.h>
#include <new>

#include "core/blocking.h"
#include "core/clock.h"
#include "core/sched.h"
#include "core/sys.h"
#include "core/timer_heap.h"

namespace weft {
namespace {

constexpr size_t kBuckets = size_t{1} << 16;

struct alignas(64) Bucket {
  SpinLock lock;
  G* first = nullptr;  // leaders, one per address with waiting Gs
  G* last = nullptr;
  std::atomic<int32_t> g_waiters{0};       // Gs linked here (or linking)
  std::atomic<int32_t> kernel_waiters{0};  // non-G threads in FUTEX_WAIT
};

Bucket buckets[kBuckets];

}  // namespace

void futex_forget_waiters_after_fork() {
  for (Bucket& b : buckets) {
    // Reading the untouched part of the table maps no memory. A lock held
    // by a thread that vanished is reset too, waiters recorded or not.
    if (!b.first && !b.g_waiters.load(std::memory_order_relaxed) &&
        !b.kernel_waiters.load(std::memory_order_relaxed) && !b.lock.held())
      continue;
    new (&b) Bucket();
  }
}

namespace {

Bucket& bucket_of(const void* addr) {
  uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  a ^= a >> 17;
  a *= 0x9E3779B97F4A7C15ull;
  return buckets[(a >> 40) % kBuckets];
}

G* leader_of(const Bucket& b, const void* addr) {
  for (G* l = b.first; l; l = l->wq_addr_next)
    if (l->wq_addr == addr) return l;
  return nullptr;
}

// Puts `to` where `from` is on the bucket's address list.
void replace_leader(Bucket& b, G* from, G* to) {
  to->wq_leader = true;
  to->wq_addr_prev = from->wq_addr_prev;
  to->wq_addr_next = from->wq_addr_next;
  (from->wq_addr_prev ? from->wq_addr_prev->wq_addr_next : b.first) = to;
  (from->wq_addr_next ? from->wq_addr_next->wq_addr_prev : b.last) = to;
  from->wq_leader = false;
}

void remove_leader(Bucket& b, G* l) {
  (l->wq_addr_prev ? l->wq_addr_prev->wq_addr_next : b.first) = l->wq_addr_next;
  (l->wq_addr_next ? l->wq_addr_next->wq_addr_prev : b.last) = l->wq_addr_prev;
  l->wq_leader = false;
}

// Appends g (wq_addr set) to its address's ring, FIFO.
void link(Bucket& b, G* g) {
  g->wq_queued = true;
  if (G* l = leader_of(b, g->wq_addr)) {
    G* tail = l->wq_prev;
    g->wq_prev = tail;
    g->wq_next = l;
    tail->wq_next = g;
    l->wq_prev = g;
    return;
  }
  g->wq_prev = g->wq_next = g;
  g->wq_leader = true;
  g->wq_addr_next = nullptr;
  g->wq_addr_prev = b.last;
  (b.last ? b.last->wq_addr_next : b.first) = g;
  b.last = g;
}

void unlink(Bucket& b, G* g) {
  b.g_waiters.fetch_sub(1, std::memory_order_relaxed);
  g->wq_queued = false;
  G* next = g->wq_next;
  if (g->wq_leader) {
    if (next == g) {
      remove_leader(b, g);
      return;
    }
    replace_leader(b, g, next);
  }
  g->wq_prev->wq_next = next;
  next->wq_prev = g->wq_prev;
}

void unlink_on_timeout(G* g) {
  Bucket& b = bucket_of(g->wq_addr);
  SpinLockGuard l(b.lock);
  if (g->wq_queued) unlink(b, g);
}

long kernel_wait(const uint32_t* word, uint32_t expected, const timespec* deadline,
                 clockid_t clock, bool pshared, uint32_t bitset) {
  int op = FUTEX_WAIT_BITSET | (pshared ? 0 : FUTEX_PRIVATE_FLAG) |
           (deadline && clock == CLOCK_REALTIME ? FUTEX_CLOCK_REALTIME : 0);
  timespec mono;
  if (deadline && clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) {
    mono = sys::ns_to_timespec(to_monotonic(*deadline, clock));
    deadline = &mono;
  }
  return sys::call6(SYS_futex, (long)word, op, expected, (long)deadline, 0, bitset);
}

int kernel_result(long r) {
  if (r == 0) return 0;
  if (r == -EAGAIN || r == -ETIMEDOUT || r == -EINTR) return int(-r);
  return 0;  // treat anything else as a spurious wake-up: callers re-check
}

}  // namespace

int futex_wait(const uint32_t* word, uint32_t expected, const timespec* deadline,
               clockid_t clock, bool pshared, uint32_t bitset) {
  G* self = current_g();
  if (pshared || !self || self->is_g0) {
    if (pshared) {
      BlockingSyscallScope scope;
      return kernel_result(kernel_wait(word, expected, deadline, clock, true, bitset));
    }
    // Non-G waiter on a private word: announce it so wakers make the syscall.
    Bucket& b = bucket_of(word);
    b.kernel_waiters.fetch_add(1, std::memory_order_seq_cst);
    long r = kernel_wait(word, expected, deadline, clock, false, bitset);
    b.kernel_waiters.fetch_sub(1, std::memory_order_relaxed);
    return kernel_result(r);
  }
  int64_t deadline_ns = deadline ? to_monotonic(*deadline, clock) : 0;
  if (deadline && deadline_ns <= sys::now_ns()) {
    return __atomic_load_n(word, __ATOMIC_SEQ_CST) == expected ? ETIMEDOUT : EAGAIN;
  }
  Bucket& b = bucket_of(word);
  b.lock.lock();
  // Announce before checking the word (Dekker with futex_wake's fence): a
  // waker that changed the word either sees us or we see its change.
  b.g_waiters.fetch_add(1, std::memory_order_seq_cst);
  if (__atomic_load_n(word, __ATOMIC_SEQ_CST) != expected) {
    b.g_waiters.fetch_sub(1, std::memory_order_relaxed);
    b.lock.unlock();
    return EAGAIN;
  }
  uint64_t seq = begin_wait(self);
  self->wq_addr = word;
  self->wq_bitset = bitset;
  link(b, self);  // g_waiters already counts it
  WaitResult r = park_until(self, seq, deadline_ns, &b.lock, unlink_on_timeout);
  return r == kWaitTimedOut ? ETIMEDOUT : r == kWaitInterrupted ? EINTR : 0;
}

int futex_wake(const uint32_t* word, int n, bool pshared, uint32_t bitset) {
  if (n <= 0) return 0;
  if (pshared) {
    long r = sys::call6(SYS_futex, (long)word, FUTEX_WAKE_BITSET, n, 0, 0, bitset);
    return r > 0 ? int(r) : 0;
  }
  Bucket& b = bucket_of(word);
  G* woken = nullptr;
  G** woken_end = &woken;
  int count = 0;
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (b.g_waiters.load(std::memory_order_relaxed) > 0) {
    SpinLockGuard l(b.lock);
    // Oldest first, up to the tail as it was when the walk began.
    G* g = leader_of(b, word);
    G* tail = g ? g->wq_prev : nullptr;
    while (g && count < n) {
      G* next = g == tail ? nullptr : g->wq_next;
      if ((g->wq_bitset & bitset) &&
          complete_wait(g, g->wait_state.load(std::memory_order_relaxed) >> 2, kWaitWoken)) {
        unlink(b, g);
        g->next = nullptr;
        *woken_end = g;  // readied in the order they waited
        woken_end = &g->next;
        count++;
      }
      g = next;
    }
  }
  while (woken) {
    G* g = woken;
    woken = g->next;
    timer_del(g);
    ready(g);
  }
  if (count < n && b.kernel_waiters.load(std::memory_order_relaxed) > 0) {
    long r = sys::call6(SYS_futex, (long)word, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, n - count,
                        0, 0, bitset);
    if (r > 0) count += int(r);
  }
  return count;
}

}  // namespace weft
