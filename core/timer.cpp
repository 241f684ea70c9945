// core/timer.cpp — per-P binary min-heaps of G timers.
//
// Each P's heap and the Timer fields of the Gs in it are guarded by
// P::timer_lock. P::timer_next mirrors the root so the scheduler can test for
// due timers without the lock. Heap storage grows with mmap (never malloc:
// the allocator may itself block on a G-aware mutex while we hold a lock).
// Lock order: a futex bucket lock may be held when taking a timer lock; a
// timer callback runs after the timer lock is dropped.
#include <string.h>
#include <sys/mman.h>

#include "core/sys.h"
#include "core/timer_heap.h"

namespace weft {
namespace {

bool grow(P* p) {
  int32_t cap = p->timer_cap ? p->timer_cap * 2 : 512;
  void* mem = sys::mmap(nullptr, size_t(cap) * sizeof(G*), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS);
  if (!mem) return false;
  if (p->timer_heap) {
    memcpy(mem, p->timer_heap, size_t(p->timer_len) * sizeof(G*));
    sys::munmap(p->timer_heap, size_t(p->timer_cap) * sizeof(G*));
  }
  p->timer_heap = static_cast<G**>(mem);
  p->timer_cap = cap;
  return true;
}

void place(P* p, int32_t i, G* g) {
  p->timer_heap[i] = g;
  g->timer.index = i;
}

void sift_up(P* p, int32_t i) {
  G* g = p->timer_heap[i];
  while (i > 0) {
    int32_t parent = (i - 1) / 2;
    if (p->timer_heap[parent]->timer.when <= g->timer.when) break;
    place(p, i, p->timer_heap[parent]);
    i = parent;
  }
  place(p, i, g);
}

void sift_down(P* p, int32_t i) {
  G* g = p->timer_heap[i];
  for (;;) {
    int32_t c = 2 * i + 1;
    if (c >= p->timer_len) break;
    if (c + 1 < p->timer_len && p->timer_heap[c + 1]->timer.when < p->timer_heap[c]->timer.when) c++;
    if (g->timer.when <= p->timer_heap[c]->timer.when) break;
    place(p, i, p->timer_heap[c]);
    i = c;
  }
  place(p, i, g);
}

void remove_at(P* p, int32_t i) {
  G* g = p->timer_heap[i];
  g->timer.index = -1;
  // The last write to g: timer_del returns without the lock once it reads
  // nullptr, and g may then be readied, exit and be unmapped.
  __atomic_store_n(&g->timer.heap, nullptr, __ATOMIC_RELEASE);
  int32_t last = --p->timer_len;
  if (i != last) {
    place(p, i, p->timer_heap[last]);
    sift_down(p, i);
    sift_up(p, p->timer_heap[i]->timer.index);
  }
}

void publish_next(P* p) {
  p->timer_next.store(p->timer_len ? p->timer_heap[0]->timer.when : INT64_MAX,
                      std::memory_order_release);
}

}  // namespace

void fire_timeout(G* g) {
  // The wait is ours: g cannot resume (and re-arm) before ready() below.
  if (g->timer.on_timeout) g->timer.on_timeout(g);
  // runnext, as Go readies a timer's goroutine: a sleeper runs at the next
  // switch instead of behind every queued G (it inherits the slice).
  ready(g, true);
}

bool timer_add(P* p, G* g, int64_t when, uint64_t seq, void (*on_timeout)(G*)) {
  SpinLockGuard l(p->timer_lock);
  g->timer.when = when;
  g->timer.seq = seq;
  g->timer.on_timeout = on_timeout;
  if (p->timer_len == p->timer_cap && !grow(p)) return false;
  g->timer.heap = p;
  place(p, p->timer_len++, g);
  sift_up(p, g->timer.index);
  publish_next(p);
  return true;
}

void timer_del(G* g) {
  for (;;) {
    P* p = __atomic_load_n(&g->timer.heap, __ATOMIC_ACQUIRE);
    if (!p) return;
    SpinLockGuard l(p->timer_lock);
    if (g->timer.heap != p) continue;
    remove_at(p, g->timer.index);
    publish_next(p);
    return;
  }
}

int64_t run_timers(P* p, int64_t now) {
  if (p->timer_next.load(std::memory_order_acquire) > now) return p->timer_next.load();
  constexpr int kBatch = 64;
  for (;;) {
    G* fired[kBatch];
    int n = 0;
    int64_t next;
    {
      // The wait is completed under the lock: a waker that won instead
      // readies g only after its timer_del, which waits for this lock, so g
      // cannot have exited (and its stack been unmapped) while we look at it.
      SpinLockGuard l(p->timer_lock);
      while (n < kBatch && p->timer_len && p->timer_heap[0]->timer.when <= now) {
        G* g = p->timer_heap[0];
        bool won = complete_wait(g, g->timer.seq, kWaitTimedOut);
        remove_at(p, 0);
        if (won) fired[n++] = g;
      }
      publish_next(p);
      next = p->timer_len ? p->timer_heap[0]->timer.when : INT64_MAX;
    }
    for (int i = 0; i < n; i++) fire_timeout(fired[i]);
    if (n < kBatch || next > now) return next;
  }
}

}  // namespace weft
