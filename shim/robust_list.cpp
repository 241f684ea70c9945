// shim/robust_list.cpp — release_robust_mutexes(): the kernel's
// exit_robust_list() for a G, which the kernel never sees die.
//
// Invariant (kernel handle_futex_death): only a lock word still naming the
// dying owner is touched; it becomes (old & FUTEX_WAITERS) | FUTEX_OWNER_DIED
// and, if FUTEX_WAITERS was set, one waiter is woken. The next locker then
// gets EOWNERDEAD. A pending operation whose word is already 0 (the unlock
// happened, its wake may not have) gets one wake-up. Entries are always
// linked by glibc's layout (by these shims or glibc's own code), so the
// lock word is found with pthread_mutex_t's offsets rather than trusting the
// head's futex_offset field.
#include "shim/robust_list.h"

#include "core/wire.h"

#include "shim/mutex.h"
#include "shim/mutex_wake.h"
#include "shim/sync_common.h"

namespace weft {
namespace {

// The kernel stops after this many entries (ROBUST_LIST_LIMIT) so a
// corrupted, cyclic list cannot hang the exit.
constexpr int kListLimit = 2048;

void handle_death(void* e, int tid, int task_tid, bool pending_op) {
  char* w = static_cast<char*>(e) + robust::kFutexOffset;
  auto* word = reinterpret_cast<uint32_t*>(w);
  auto* m = reinterpret_cast<pthread_mutex_t*>(w - offsetof(pthread_mutex_t, __data.__lock));
  int kind = mutex::kind_of(m);
  uint32_t old = sync::load(word);
  for (;;) {
    if (pending_op && old == 0) {
      mutex::wake_tid_waiter(m, kind);
      return;
    }
    uint32_t owner = old & mutex::kTidMask;
    if (owner != static_cast<uint32_t>(tid) && owner != static_cast<uint32_t>(task_tid)) return;
    uint32_t dead = (old & mutex::kWaiters) | mutex::kOwnerDied;
    if (sync::cas(word, old, dead)) break;
  }
  if (old & mutex::kWaiters) mutex::wake_tid_waiter(m, kind);
}

}  // namespace

namespace robust {

bool holds_process_shared() {
  Head* h = head();
  void* e = h->list;
  for (int n = 0; e != static_cast<void*>(h) && n < kListLimit; ++n) {
    char* clean = reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(e) & ~uintptr_t{1});
    auto* m = reinterpret_cast<pthread_mutex_t*>(clean + kFutexOffset -
                                                 offsetof(pthread_mutex_t, __data.__lock));
    int kind = mutex::kind_of(m);
    if ((kind & mutex::kPsharedBit) && !(kind & mutex::kWeftPrivateRobust)) return true;
    e = *reinterpret_cast<void**>(clean);
  }
  return false;
}

}  // namespace robust

void release_robust_mutexes() {
  robust::Head* h = robust::head();
  // Process-shared ones carry the M's tid (core/wire.h), the rest self_tid().
  int tid = self_tid();
  int task_tid = wired_tid();
  void* pending = h->list_op_pending;
  void* pending_entry =
      pending ? reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(pending) & ~uintptr_t{1})
              : nullptr;
  void* e = h->list;
  for (int n = 0; e != static_cast<void*>(h) && n < kListLimit; ++n) {
    void* clean = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(e) & ~uintptr_t{1});
    // Read the link before the word changes hands: a new owner relinks it.
    void* next = *static_cast<void**>(clean);
    if (clean != pending_entry) handle_death(clean, tid, task_tid, false);
    e = next;
  }
  if (pending_entry != nullptr) handle_death(pending_entry, tid, task_tid, true);
  h->list = h;
  h->list_op_pending = nullptr;
  unwire_current();
}

}  // namespace weft
