// core/prio_runq.cpp — the real-time run queue and preemption by priority.
// The model and its invariants are stated in core/prio_runq.h.
#include "core/prio_runq.h"

#include <fcntl.h>
#include <new>
#include <sched.h>

#include "core/sched_internal.h"
#include "core/spinlock.h"
#include "core/sys.h"

namespace weft {
namespace {

constexpr uint32_t kLevels = 100;  // 1..99 used
constexpr int64_t kDefaultRrNs = 100 * 1000 * 1000;  // Linux's RR_TIMESLICE

struct RtQueue {
  SpinLock lock;
  std::atomic<uint32_t> top{0};  // highest non-empty level, 0: empty
  uint64_t nonempty[2] = {};     // bit l % 64 of word l / 64: level l
  G* head[kLevels] = {};
  G* tail[kLevels] = {};
};
RtQueue rtq;

void set_top_locked() {
  uint32_t top = 0;
  if (rtq.nonempty[1])
    top = 64 + 63 - __builtin_clzll(rtq.nonempty[1]);
  else if (rtq.nonempty[0])
    top = 63 - __builtin_clzll(rtq.nonempty[0]);
  rtq.top.store(top, std::memory_order_release);
}

void link_locked(G* g, uint32_t level, bool at_head) {
  g->rt_queued = uint8_t(level);
  if (!rtq.head[level]) {
    g->next = nullptr;
    rtq.head[level] = rtq.tail[level] = g;
    rtq.nonempty[level / 64] |= uint64_t{1} << (level % 64);
  } else if (at_head) {
    g->next = rtq.head[level];
    rtq.head[level] = g;
  } else {
    g->next = nullptr;
    rtq.tail[level]->next = g;
    rtq.tail[level] = g;
  }
}

// Unlinks g from its level (lists are short: a walk).
void unlink_locked(G* g) {
  uint32_t level = g->rt_queued;
  G* prev = nullptr;
  for (G* x = rtq.head[level]; x != g; x = x->next) prev = x;
  if (prev)
    prev->next = g->next;
  else
    rtq.head[level] = g->next;
  if (rtq.tail[level] == g) rtq.tail[level] = prev;
  if (!rtq.head[level]) rtq.nonempty[level / 64] &= ~(uint64_t{1} << (level % 64));
  g->next = nullptr;
  g->rt_queued = 0;
}

// The next context of a G that gave way (preempt_point): arg non-null puts
// it at the tail of its level (a spent SCHED_RR slice), else at the head; a
// fair G goes to the back of its P's queue.
void fin_preempted(G* prev, void* to_tail) {
  prev->status.store(kGRunnable, std::memory_order_release);
  if (rt_put(prev, to_tail != nullptr)) return;
  if (P* p = prev->m->p) {
    runq_put(p, prev, false);
  } else {
    prev->next = nullptr;
    global_put_batch(prev, prev, 1);
  }
}

bool rr_slice_spent(P* p) {
  return sys::now_ns() - p->rr_since_ns.load(std::memory_order_relaxed) >= rr_interval_ns();
}

}  // namespace

uint32_t rt_value(int policy, int priority) {
  if (policy == SCHED_FIFO) return uint32_t(priority);
  if (policy == SCHED_RR) return uint32_t(priority) | kRtRoundRobin;
  return 0;
}

bool rt_put(G* g, bool at_head) {
  if (!rt_level(g)) return false;
  SpinLockGuard l(rtq.lock);
  uint32_t level = rt_level(g);  // again: a setter may have just changed it
  if (!level) return false;
  link_locked(g, level, at_head);
  set_top_locked();
  return true;
}

void ready_at_head(G* g) {
  g->status.store(kGRunnable, std::memory_order_relaxed);
  if (!rt_put(g, true)) {
    g->next = nullptr;
    global_put_batch(g, g, 1);
  }
  wakep();
}

G* rt_get() {
  if (!rtq.top.load(std::memory_order_acquire)) return nullptr;
  SpinLockGuard l(rtq.lock);
  uint32_t level = rtq.top.load(std::memory_order_relaxed);
  if (!level) return nullptr;
  G* g = rtq.head[level];
  unlink_locked(g);
  set_top_locked();
  return g;
}

bool rt_waiting() { return rtq.top.load(std::memory_order_acquire) != 0; }

void rt_change(G* g, uint32_t rt) {
  uint32_t old = g->rt.load(std::memory_order_relaxed);
  if (old == rt) return;
  bool to_fair = false;
  {
    SpinLockGuard l(rtq.lock);
    g->rt.store(rt, std::memory_order_relaxed);
    uint32_t from = g->rt_queued, to = rt_level(rt);
    if (!from || from == to) return;
    unlink_locked(g);
    if (to)
      link_locked(g, to, to < from);
    else
      to_fair = true;
    set_top_locked();
  }
  // Now in no queue, runnable: the fair global queue takes it (its lock is
  // not taken under the real-time queue's).
  if (to_fair) {
    global_put_batch(g, g, 1);
    wakep();
  }
}

void note_running(P* p, const G* g) {
  uint32_t rt = g->is_g0 ? 0 : g->rt.load(std::memory_order_relaxed);
  p->running_rt.store(rt, std::memory_order_relaxed);
  if (rt & kRtRoundRobin) p->rr_since_ns.store(sys::now_ns(), std::memory_order_relaxed);
}

bool should_preempt(P* p) {
  uint32_t top = rtq.top.load(std::memory_order_acquire);
  if (!top) return false;
  uint32_t running = p->running_rt.load(std::memory_order_relaxed);
  if (top != rt_level(running)) return top > rt_level(running);
  return (running & kRtRoundRobin) && rr_slice_spent(p);
}

void preempt_point(G* self) {
  // A wired G yields its kernel thread instead (core/wire.h); a G in a
  // system call or parking does not own its P's queues.
  if (!self || self->is_g0 || self->locked_m) return;
  M* m = self->m;
  P* p = m ? m->p : nullptr;
  if (!p || self->status.load(std::memory_order_relaxed) != kGRunning || !should_preempt(p)) return;
  uint32_t rt = self->rt.load(std::memory_order_relaxed);
  bool to_tail = (rt & kRtRoundRobin) &&
                 rtq.top.load(std::memory_order_relaxed) == rt_level(rt) && rr_slice_spent(p);
  switch_away(self, fin_preempted, to_tail ? self : nullptr);
}

int64_t rr_interval_ns() {
  static std::atomic<int64_t> cached{0};
  int64_t ns = cached.load(std::memory_order_relaxed);
  if (ns) return ns;
  ns = kDefaultRrNs;
  long fd = sys::call6(SYS_openat, AT_FDCWD, long("/proc/sys/kernel/sched_rr_timeslice_ms"),
                       O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[24];
    long got = sys::call6(SYS_read, fd, long(buf), sizeof buf);
    sys::call6(SYS_close, fd);
    int64_t ms = 0;
    for (long i = 0; i < got && buf[i] >= '0' && buf[i] <= '9'; i++) ms = ms * 10 + (buf[i] - '0');
    if (ms > 0) ns = ms * 1000 * 1000;
  }
  cached.store(ns, std::memory_order_relaxed);
  return ns;
}

void rt_forget_after_fork() {
  new (&rtq.lock) SpinLock();
  rtq.top.store(0, std::memory_order_relaxed);
  rtq.nonempty[0] = rtq.nonempty[1] = 0;
  for (uint32_t l = 0; l < kLevels; l++) rtq.head[l] = rtq.tail[l] = nullptr;
}

}  // namespace weft
