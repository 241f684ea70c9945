// shim/mutex_tid.cpp — robust and PRIO_INHERIT mutexes: the "tid" lock-word
// protocol.
//
// Invariants: __lock is 0 (free) or owner tid | FUTEX_WAITERS (someone may
// sleep on it) | FUTEX_OWNER_DIED (the owner died holding it; only robust).
// A locker that is about to sleep sets FUTEX_WAITERS first and, once it has
// slept, keeps setting it when it takes the lock (it cannot know whether it
// was the last sleeper), so an unlocker that swaps out a word with
// FUTEX_WAITERS always wakes one. A robust mutex is on its owner's robust
// list while held; list_op_pending covers the window around each change.
// Taking a word with OWNER_DIED returns EOWNERDEAD with __owner =
// INCONSISTENT; unlocking it without pthread_mutex_consistent makes __owner
// NOTRECOVERABLE, and every later locker gets ENOTRECOVERABLE.
// A process-shared robust mutex is owned by a task, not a G (core/wire.h):
// a G wires itself to its M before taking one and locks it with the M's
// tid; it unwires when its robust list holds no process-shared mutex.
// PI mutexes keep glibc's observable behaviour (owner checks, EDEADLK, EPERM)
// but wait on weft's futex rather than FUTEX_LOCK_PI (no priority boost:
// Gs have no kernel priority).
#include "core/wire.h"
#include "shim/mutex.h"
#include "shim/mutex_wake.h"
#include "shim/robust_list.h"
#include "shim/sync_common.h"

namespace weft::mutex {
namespace {

// Recursion bump for a RECURSIVE mutex already owned by the caller.
int relock_recursive(pthread_mutex_t* m) {
  if (m->__data.__count + 1 == 0) return EAGAIN;
  ++m->__data.__count;
  return 0;
}

// The caller owns m's word now: depth 1, __owner = `owner`, and (robust) on
// its robust list with the pending operation over.
void own(pthread_mutex_t* m, bool robust, int owner) {
  m->__data.__count = 1;
  if (robust) {
    robust::enqueue(m);
    robust::clear_op_pending();
  }
  m->__data.__owner = owner;
}

// The caller's tid is already in m's word: EDEADLK (ERRORCHECK) or a
// recursion step (RECURSIVE), with the pending robust operation over; -1 for
// NORMAL/ADAPTIVE, whose relock goes on to wait (deadlock or timeout, as in
// NPTL) or, in trylock, to EBUSY.
int relock_by_owner(pthread_mutex_t* m, int k, bool robust) {
  if (k != PTHREAD_MUTEX_ERRORCHECK_NP && k != PTHREAD_MUTEX_RECURSIVE_NP) return -1;
  if (robust) robust::clear_op_pending();
  return k == PTHREAD_MUTEX_ERRORCHECK_NP ? EDEADLK : relock_recursive(m);
}

// The caller just took a word that still says OWNER_DIED.
int took_dead_owner(pthread_mutex_t* m, bool robust, bool cond_relock) {
  own(m, robust, kInconsistent);
  // The dead owner's __nusers share is never returned; a condvar re-lock
  // (which does not count itself) drops it, as glibc does.
  if (cond_relock) --m->__data.__nusers;
  return EOWNERDEAD;
}

// The caller holds the word of a mutex marked NOTRECOVERABLE: give it back.
int give_back_unrecoverable(pthread_mutex_t* m, int kind) {
  m->__data.__count = 0;
  if (sync::exchange(lock_bits(m), 0u) & kWaiters) wake_tid_waiter(m, kind);
  robust::clear_op_pending();
  return ENOTRECOVERABLE;
}

bool owned_by_task(pthread_mutex_t* m, int type) {
  int kind = kind_of(m);
  return (type & kRobust) && (kind & kPsharedBit) && !(kind & kWeftPrivateRobust);
}

// The owner id for one operation on m; wires the G first when m must be
// owned by its M's task, and unwires afterwards if nothing needs it.
class OwnerId {
 public:
  OwnerId(pthread_mutex_t* m, int type) : task_(owned_by_task(m, type)) {
    if (task_) wire_current();
    id_ = static_cast<uint32_t>(task_ ? wired_tid() : self_tid());
  }
  ~OwnerId() {
    if (task_ && !robust::holds_process_shared()) unwire_current();
  }
  OwnerId(const OwnerId&) = delete;
  OwnerId& operator=(const OwnerId&) = delete;
  uint32_t get() const { return id_; }

 private:
  bool task_;
  uint32_t id_;
};

// What tid_lock and tid_trylock work from, fixed on entry. Constructing it
// wires the G when needed (OwnerId) and, for a robust mutex, sets
// list_op_pending to m: it covers every exit until clear_op_pending.
struct Attempt {
  Attempt(pthread_mutex_t* m, int type)
      : kind(kind_of(m)),
        k(type & kKindMask),
        robust(type & kRobust),
        owner(m, type),
        id(owner.get()),
        w(lock_bits(m)) {
    if (robust) robust::set_op_pending(m);
  }
  int kind;
  int k;  // PTHREAD_MUTEX_{NORMAL,RECURSIVE,ERRORCHECK,ADAPTIVE}_NP
  bool robust;
  OwnerId owner;
  uint32_t id;  // the tid this caller locks with
  uint32_t* w;
};

}  // namespace

int tid_lock(pthread_mutex_t* m, int type, const timespec* abs, clockid_t clk,
             bool cond_relock, bool async_ok) {
  Attempt a(m, type);
  auto& [kind, k, robust, owner, id, w] = a;
  // A condvar re-lock may share FUTEX_WAITERS with sleepers it cannot see.
  uint32_t extra = cond_relock ? kWaiters : 0;
  uint32_t old = sync::load(w);
  for (;;) {
    if (old == 0) {
      if (sync::cas(w, old, id | extra)) break;
      continue;
    }
    if (robust && (old & kOwnerDied)) {
      if (!sync::cas(w, old, id | (old & kWaiters) | extra)) continue;
      return took_dead_owner(m, robust, cond_relock);
    }
    if ((old & kTidMask) == id) {
      int r = relock_by_owner(m, k, robust);
      if (r >= 0) return r;
    }
    if (abs != nullptr) {
      int bad = 0;
      if (!sync::valid_nsec(abs->tv_nsec)) bad = EINVAL;
      // The kernel's FUTEX_LOCK_PI rejects a negative time with EINVAL;
      // glibc's robust path reports it as expired.
      else if (abs->tv_sec < 0) bad = (type & kPrioInherit) ? EINVAL : ETIMEDOUT;
      if (bad != 0) {
        if (robust) robust::clear_op_pending();
        return bad;
      }
    }
    if (!(old & kWaiters)) {
      if (!sync::cas(w, old, old | kWaiters)) continue;
      old |= kWaiters;
    }
    extra = kWaiters;
    if (async_ok && sync::async_cancel_pending()) {
      if (robust) robust::clear_op_pending();
      sync::async_cancel_point();
    }
    int e = sync::wait(w, old, abs, clk, tid_wait_pshared(kind));
    if (e == ETIMEDOUT) {
      if (robust) robust::clear_op_pending();
      return e;
    }
    old = sync::load(w);
  }
  if (robust && m->__data.__owner == kNotRecoverable) return give_back_unrecoverable(m, kind);
  own(m, robust, static_cast<int>(id));
  if (!cond_relock) ++m->__data.__nusers;
  return 0;
}

int tid_trylock(pthread_mutex_t* m, int type) {
  Attempt a(m, type);
  auto& [kind, k, robust, owner, id, w] = a;
  uint32_t old = sync::load(w);
  for (;;) {
    if (robust && (old & kOwnerDied)) {
      if (!sync::cas(w, old, id | (old & kWaiters))) continue;
      return took_dead_owner(m, robust, false);
    }
    if ((old & kTidMask) == id) {
      int r = relock_by_owner(m, k, robust);
      if (r >= 0) return r;
    }
    if (old != 0) {
      if (robust) robust::clear_op_pending();
      return EBUSY;
    }
    if (sync::cas(w, old, id)) break;
  }
  if (robust && m->__data.__owner == kNotRecoverable) {
    if (type & kPrioInherit) return give_back_unrecoverable(m, kind);
    // glibc 2.36 quirk, kept because it is observable: a plain robust
    // trylock reports ENOTRECOVERABLE but keeps the word (our tid, not on
    // the robust list), so the mutex stays locked by the caller.
    m->__data.__count = 0;
    robust::clear_op_pending();
    return ENOTRECOVERABLE;
  }
  own(m, robust, static_cast<int>(id));
  ++m->__data.__nusers;
  return 0;
}

int tid_unlock(pthread_mutex_t* m, int type, bool decr) {
  int kind = kind_of(m);
  bool robust = type & kRobust;
  OwnerId owner(m, type);
  int id = static_cast<int>(owner.get());
  uint32_t* w = lock_bits(m);
  int new_owner = 0;
  if ((type & kKindMask) == PTHREAD_MUTEX_RECURSIVE_NP) {
    if (robust && (sync::load(w) & kTidMask) == static_cast<uint32_t>(id) &&
        m->__data.__owner == kInconsistent) {
      // Recovered by nobody: the last unlock makes it unrecoverable.
      if (--m->__data.__count != 0) return ENOTRECOVERABLE;
      new_owner = kNotRecoverable;
    } else {
      if (m->__data.__owner != id) return EPERM;
      if (--m->__data.__count != 0) return 0;
    }
  } else {
    uint32_t l = sync::load(w);
    if ((l & kTidMask) != static_cast<uint32_t>(id) || l == 0) return EPERM;
    if (robust && m->__data.__owner == kInconsistent) new_owner = kNotRecoverable;
  }
  if (robust) {
    robust::set_op_pending(m);
    robust::dequeue(m);
  }
  m->__data.__owner = new_owner;
  if (decr) --m->__data.__nusers;
  // The exchange is the last access to *m (it may be freed right after).
  if (sync::exchange(w, 0u) & kWaiters) wake_tid_waiter(m, kind);
  if (robust) robust::clear_op_pending();
  return 0;
}

}  // namespace weft::mutex
