// shim/mutex_lock.cpp — weft::mutex::lock: the blocking acquisition behind
// pthread_mutex_lock/timedlock/clocklock, mtx_lock/timedlock and the
// re-lock at the end of a condvar wait.
//
// NORMAL/RECURSIVE/ERRORCHECK/ADAPTIVE use glibc's 0/1/2 word: take it with a
// CAS 0->1; if that fails, swap in 2 ("locked, maybe waited on") and sleep
// while it reads 2; whoever swaps out a 0 owns the lock. Robust/PI and
// PRIO_PROTECT mutexes are dispatched to mutex_tid.cpp and mutex_pp.cpp.
// Error checks follow glibc's order: EDEADLK / recursion before any timeout
// check; a timeout is only validated when the caller would block.
#include "shim/mutex.h"
#include "shim/sync_common.h"

namespace weft::mutex {
namespace {

// glibc's __futex_clocklock64 / lll_lock. With async_ok, a waiter with
// asynchronous cancellation acts on a request (sync::async_cancel_point).
int lock_word_012(int* w, bool pshared, const timespec* abs, clockid_t clk, bool async_ok) {
  int expected = 0;
  if (sync::cas(w, expected, 1)) return 0;
  while (sync::exchange(w, 2) != 0) {
    if (abs != nullptr) {
      if (abs->tv_sec < 0) return ETIMEDOUT;
      if (!sync::valid_nsec(abs->tv_nsec)) return EINVAL;
    }
    if (async_ok) sync::async_cancel_point();
    int e = sync::wait(w, 2, abs, clk, pshared);
    if (e == ETIMEDOUT) return e;
  }
  return 0;
}

// ADAPTIVE_NP: spin a little on the word before sleeping, as glibc does
// (its default max_adaptive_count is 100).
int lock_adaptive(int* w, bool pshared, const timespec* abs, clockid_t clk, bool async_ok) {
  for (int i = 0; i < 100; ++i) {
    int expected = 0;
    if (sync::load_relaxed(w) == 0 && sync::cas(w, expected, 1)) return 0;
    sync::cpu_relax();
  }
  return lock_word_012(w, pshared, abs, clk, async_ok);
}

}  // namespace

int lock(pthread_mutex_t* m, const timespec* abs, clockid_t clk, bool cond_relock,
         bool async_ok) {
  int kind = kind_of(m);
  int type = kind & kTypeMask;
  bool pshared = kind & kPsharedBit;
  int* w = lock_word(m);
  int id = self_tid();
  int err;
  switch (type) {
    case PTHREAD_MUTEX_TIMED_NP:
      err = lock_word_012(w, pshared, abs, clk, async_ok);
      break;
    case PTHREAD_MUTEX_RECURSIVE_NP:
      if (m->__data.__owner == id) {
        if (m->__data.__count + 1 == 0) return EAGAIN;
        ++m->__data.__count;
        return 0;
      }
      err = lock_word_012(w, pshared, abs, clk, async_ok);
      if (err == 0) m->__data.__count = 1;
      break;
    case PTHREAD_MUTEX_ERRORCHECK_NP:
      if (m->__data.__owner == id) return EDEADLK;
      err = lock_word_012(w, pshared, abs, clk, async_ok);
      break;
    case PTHREAD_MUTEX_ADAPTIVE_NP:
      err = lock_adaptive(w, pshared, abs, clk, async_ok);
      break;
    default:
      if (is_tid_type(type)) return tid_lock(m, type, abs, clk, cond_relock, async_ok);
      if (is_pp_type(type)) return pp_lock(m, type, abs, clk, cond_relock, async_ok);
      return EINVAL;  // destroyed (kind -1) or never initialised
  }
  if (err != 0) return err;
  m->__data.__owner = id;
  if (!cond_relock) ++m->__data.__nusers;
  return 0;
}

}  // namespace weft::mutex
