// shim/mutex_wake.h — where waiters of a tid-protocol (robust / PI) mutex
// sleep, and how an unlocker reaches them.
//
// Model: the kernel wakes a dead native owner's waiters with a *shared*
// FUTEX_WAKE, so glibc makes every robust mutex wait shared. Under weft:
//  * process-shared mutexes: everyone waits on the kernel futex (shared);
//  * PI mutexes that are not robust: private, like glibc;
//  * process-private robust mutexes (kWeftPrivateRobust): a G parks
//    (private); a non-G waits shared so the kernel's death wake reaches it.
//    An unlocker wakes a parked G first and falls back to a shared wake.
#pragma once
#include <pthread.h>

#include "shim/mutex.h"
#include "shim/sync_common.h"

namespace weft::mutex {

inline bool tid_wait_pshared(int kind) {
  if (!(kind & kPsharedBit)) return false;
  if ((kind & kWeftPrivateRobust) && current_g() != nullptr) return false;
  return true;
}

inline void wake_tid_waiter(pthread_mutex_t* m, int kind) {
  int* w = lock_word(m);
  if (!(kind & kPsharedBit)) {
    sync::wake(w, 1, false);
    return;
  }
  if ((kind & kWeftPrivateRobust) && sync::wake(w, 1, false) > 0) return;
  sync::wake(w, 1, true);
}

}  // namespace weft::mutex
