// core/tid.cpp — see core/tid.h.
//
// The registry is a table of 2^k slots indexed by id modulo 2^k. An id is
// handed out only if its slot is free, so two live ids never share a slot:
// a lookup is one slot and one comparison, and doubling the table moves each
// entry to a slot no other entry takes. The next id simply skips a busy
// slot. The table is at most half full, so that costs a probe or two; it
// lives in its own mapping (no allocator call under the lock) and grows by
// doubling, never shrinks: 8 bytes a slot, 16 or fewer per live thread.
#include "core/tid.h"

#include <new>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/g.h"
#include "core/sched.h"
#include "core/self.h"
#include "core/spinlock.h"
#include "core/sys.h"

namespace weft {
namespace {

constexpr uint32_t kFirstId = 4194305;                 // PID_MAX_LIMIT + 1
constexpr uint32_t kIdRange = 0x3fffffffu - kFirstId + 1;
constexpr size_t kInitialSlots = 1024;

struct Registry {
  SpinLock lock;
  G** slots = nullptr;
  size_t mask = 0;          // slots - 1; 0 while there is no table
  size_t count = 0;
  uint32_t next = 0;        // offset of the next id to try from kFirstId
  G* main = nullptr;        // the thread whose id is the process id
  int main_id = 0;
};
Registry reg;

int id_of(G* g) { return tcb_field<int>(g->tcb, tcb_off::kTid); }

G** map_slots(size_t n) {
  return static_cast<G**>(
      sys::mmap(nullptr, n * sizeof(G*), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS));
}

// Makes room for one more entry, doubling the table when it would be more
// than half full. Called and returns with the lock held; maps outside it.
// False if no memory could be had.
bool reserve_locked() {
  while ((reg.count + 1) * 2 > reg.mask + 1 || !reg.slots) {
    size_t old_n = reg.slots ? reg.mask + 1 : 0;
    size_t n = old_n ? old_n * 2 : kInitialSlots;
    reg.lock.unlock();
    G** fresh = map_slots(n);
    reg.lock.lock();
    if (!fresh) return false;
    if ((reg.slots ? reg.mask + 1 : 0) != old_n) {  // someone else grew it
      sys::munmap(fresh, n * sizeof(G*));
      continue;
    }
    G** old = reg.slots;
    for (size_t i = 0; i < old_n; i++)
      if (G* g = old[i]) fresh[uint32_t(id_of(g)) & (n - 1)] = g;
    reg.slots = fresh;
    reg.mask = n - 1;
    if (old) sys::munmap(old, old_n * sizeof(G*));  // nobody reads it unlocked
  }
  return true;
}

void insert_locked(G* g, int id) {
  reg.slots[uint32_t(id) & reg.mask] = g;
  reg.count++;
}

}  // namespace

int tid_assign(G* g) {
  SpinLockGuard l(reg.lock);
  int id;
  if (!reserve_locked()) {
    // No memory for the table: an id that is unique as long as the counter
    // does not wrap, unregistered (tgkill & co. then answer ESRCH for it).
    id = int(kFirstId + reg.next);
    reg.next = (reg.next + 1) % kIdRange;
  } else {
    for (;;) {
      id = int(kFirstId + reg.next);
      reg.next = (reg.next + 1) % kIdRange;
      if (!reg.slots[uint32_t(id) & reg.mask]) break;
    }
    insert_locked(g, id);
  }
  tcb_field<int>(g->tcb, tcb_off::kTid) = id;
  return id;
}

void tid_set_main(G* g) {
  SpinLockGuard l(reg.lock);
  reg.main = g;
  reg.main_id = id_of(g);
}

void tid_retire(G* g) {
  {
    SpinLockGuard l(reg.lock);
    if (reg.main == g) {
      reg.main = nullptr;
    } else if (reg.slots) {
      G** slot = &reg.slots[uint32_t(id_of(g)) & reg.mask];
      if (*slot == g) {
        *slot = nullptr;
        reg.count--;
      }
    }
  }
  // Holders use the G for a few instructions (a signal, a CPU clock read):
  // let them run and finish.
  while (g->tid_holds.load(std::memory_order_acquire)) yield_current(g);
}

G* tid_hold(int id) {
  if (id <= 0) return nullptr;
  SpinLockGuard l(reg.lock);
  G* g = nullptr;
  if (reg.main && id == reg.main_id) {
    g = reg.main;
  } else if (reg.slots) {
    g = reg.slots[uint32_t(id) & reg.mask];
    if (g && (g->is_g0 || id_of(g) != id)) g = nullptr;
  }
  if (g) g->tid_holds.fetch_add(1, std::memory_order_relaxed);
  return g;
}

void tid_unhold(G* g) { g->tid_holds.fetch_sub(1, std::memory_order_release); }

void tid_after_fork(G* self) {
  // The other Gs do not exist here; M0's g0 keeps its id only if this
  // process still has M0 (the fork was made on it).
  new (&reg.lock) SpinLock();
  SpinLockGuard l(reg.lock);
  if (reg.slots) memset(reg.slots, 0, (reg.mask + 1) * sizeof(G*));
  reg.count = 0;
  M* m = self->m;
  if (m == &all_ms[0] && reserve_locked()) insert_locked(&m->g0, id_of(&m->g0));
  reg.main = self;
  reg.main_id = id_of(self);
  self->tid_holds.store(0, std::memory_order_relaxed);
}

}  // namespace weft
