// shim/mutex_pp.cpp — PRIO_PROTECT mutexes: lock word = ceiling << 19 |
// 0 (free) / 1 (locked) / 2 (locked, maybe waited on); __owner = owner tid.
//
// Before taking the word a locker must not run above the ceiling (EINVAL)
// and "holds" the ceiling in NPTL's priority-protection bookkeeping
// (mutex_tpp.cpp), which yields NPTL's results (EINVAL for the first lock of
// a SCHED_OTHER thread...). If setprioceiling moves the ceiling while we
// wait, we start over with the new one. Once a locker has slept it takes
// the word as 2, since other sleepers may remain.
#include <sched.h>

#include "shim/mutex.h"
#include "shim/sync_common.h"

namespace weft::mutex {
namespace {

constexpr int kMoved = -1;  // take(): the ceiling changed under us
constexpr int kAsyncCancel = -2;  // take(): an asynchronous cancellation is due

int ceiling_of(uint32_t word) { return static_cast<int>(word >> kCeilingShift); }

// Takes the word at ceiling `ceil` (already in the high bits). On kMoved,
// *seen is the word with the new ceiling; kAsyncCancel (with async_ok): an
// asynchronous cancellation is due.
int take(uint32_t* w, uint32_t ceil, uint32_t first, const timespec* abs, clockid_t clk,
         bool pshared, bool async_ok, uint32_t* seen) {
  uint32_t cur = ceil;
  if (sync::cas(w, cur, ceil | first)) return 0;
  for (;;) {
    if ((cur & kCeilingMask) != ceil) {
      *seen = cur;
      return kMoved;
    }
    if (cur == ceil) {
      if (sync::cas(w, cur, ceil | 2)) return 0;
      continue;
    }
    if (cur == (ceil | 1) && !sync::cas(w, cur, ceil | 2)) continue;
    if (abs != nullptr && !sync::valid_nsec(abs->tv_nsec)) return EINVAL;
    if (async_ok && sync::async_cancel_pending()) return kAsyncCancel;
    if (sync::wait(w, ceil | 2, abs, clk, pshared) == ETIMEDOUT) return ETIMEDOUT;
    cur = sync::load(w);
  }
}

// Owner re-locking: EDEADLK / a recursion step / -1 (not the owner case).
int relock_by_owner(pthread_mutex_t* m, int k) {
  if (k == PTHREAD_MUTEX_ERRORCHECK_NP) return EDEADLK;
  if (k == PTHREAD_MUTEX_RECURSIVE_NP) {
    if (m->__data.__count + 1 == 0) return EAGAIN;
    ++m->__data.__count;
    return 0;
  }
  return -1;
}

// Moves the ceiling the caller holds in the bookkeeping from *held (-1:
// none) to `ceiling`; EINVAL, holding none, when the caller runs above it.
int hold_ceiling(int ceiling, int* held) {
  if (current_priority() > ceiling) {
    if (*held != -1) tpp_change(*held, -1);
    return EINVAL;
  }
  int err = tpp_change(*held, ceiling);
  if (err != 0) return err;
  *held = ceiling;
  return 0;
}

}  // namespace

int pp_lock(pthread_mutex_t* m, int type, const timespec* abs, clockid_t clk,
            bool cond_relock, bool async_ok) {
  int id = self_tid();
  if (m->__data.__owner == id) {
    int r = relock_by_owner(m, type & kKindMask);
    if (r >= 0) return r;
  }
  bool pshared = kind_of(m) & kPsharedBit;
  uint32_t* w = lock_bits(m);
  uint32_t seen = sync::load(w);
  int held = -1;  // the ceiling we hold in the bookkeeping
  for (;;) {
    int err = hold_ceiling(ceiling_of(seen), &held);
    if (err != 0) return err;
    err = take(w, seen & kCeilingMask, cond_relock ? 2 : 1, abs, clk, pshared, async_ok, &seen);
    if (err == 0) break;
    if (err == kMoved) continue;
    // NPTL gives the ceiling back on EINVAL but not on a timeout.
    if (err == EINVAL || err == kAsyncCancel) tpp_change(held, -1);
    if (err == kAsyncCancel) sync::async_cancel_point();
    return err;
  }
  m->__data.__count = 1;
  m->__data.__owner = id;
  if (!cond_relock) ++m->__data.__nusers;
  return 0;
}

int pp_trylock(pthread_mutex_t* m, int type) {
  int id = self_tid();
  if (m->__data.__owner == id) {
    int r = relock_by_owner(m, type & kKindMask);
    if (r >= 0) return r;
  }
  uint32_t* w = lock_bits(m);
  uint32_t seen = sync::load(w);
  int held = -1;
  for (;;) {
    int err = hold_ceiling(ceiling_of(seen), &held);
    if (err != 0) return err;
    uint32_t ceil = seen & kCeilingMask;
    uint32_t cur = ceil;
    if (sync::cas(w, cur, ceil | 1)) break;
    if ((cur & kCeilingMask) == ceil) {
      tpp_change(held, -1);
      return EBUSY;
    }
    seen = cur;
  }
  m->__data.__owner = id;
  ++m->__data.__nusers;
  m->__data.__count = 1;
  return 0;
}

int pp_unlock(pthread_mutex_t* m, int type, bool decr) {
  int k = type & kKindMask;
  int id = self_tid();
  bool pshared = kind_of(m) & kPsharedBit;
  uint32_t* w = lock_bits(m);
  if (k == PTHREAD_MUTEX_RECURSIVE_NP) {
    if (m->__data.__owner != id) return EPERM;
    if (--m->__data.__count != 0) return 0;
  } else if (k == PTHREAD_MUTEX_ERRORCHECK_NP) {
    if (m->__data.__owner != id || (sync::load(w) & ~kCeilingMask) == 0) return EPERM;
  }
  m->__data.__owner = 0;
  if (decr) --m->__data.__nusers;
  uint32_t old = sync::load(w);
  while (!sync::cas(w, old, old & kCeilingMask)) {
  }
  if ((old & ~kCeilingMask) > 1) sync::wake(w, 1, pshared);
  return tpp_change(ceiling_of(old), -1);
}

int fifo_min_prio() { return sched_get_priority_min(SCHED_FIFO); }
int fifo_max_prio() { return sched_get_priority_max(SCHED_FIFO); }

}  // namespace weft::mutex
