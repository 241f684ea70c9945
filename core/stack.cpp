// core/stack.cpp — stack blocks (model in core/stack.h).
#include "core/stack.h"

#include <errno.h>
#include <new>
#include <string.h>
#include <sys/mman.h>
#include <pthread.h>
#include <unistd.h>

#include "core/context.h"
#include "core/g.h"
#include "core/sched.h"
#include "core/stats.h"
#include "core/sys.h"
#include "core/tls.h"
#include "core/warn.h"

namespace weft {
namespace {

constexpr size_t kPage = 4096;
constexpr int kWarmPerP = 64;
constexpr uint32_t kArenaBlocks = 64;  // one bit each in Arena::cold_mask
constexpr int kMadvGuardInstall = 102;
constexpr long kGuardVmaBudget = 30000;

size_t round_page(size_t n) { return (n + kPage - 1) & ~(kPage - 1); }

bool have_guard_install = false;
std::atomic<long> guard_vmas{0};

// Blocks of the default size come from arenas of kArenaBlocks blocks. An
// arena records which of its blocks are cold (trimmed and free); arenas with
// cold blocks are on a list, most recently trimmed first. When every block of
// an arena is cold and more than kColdKeep cold blocks exist, the arena is
// unmapped: trimming returns a block's pages but not the page-table page its
// top shares with the next block's guard, so without this a program that
// once had a million threads would keep 4 GB of page tables.
constexpr uint32_t kColdKeep = 1024;
constexpr uint32_t kMaxArenas = 1 << 18;  // 128 TiB of 512 MiB arenas

struct Arena {
  char* base;          // nullptr: slot free (then next_cold links free slots)
  uint64_t cold_mask;  // bit i: block i is cold
  uint32_t carved;     // blocks handed out since it was mapped
  int32_t prev_cold, next_cold;  // the list of arenas with cold blocks
};

// Everything below is under cold_lock.
SpinLock cold_lock;
Arena* arenas = nullptr;  // kMaxArenas slots, NORESERVE: touched as used
int32_t arenas_used = 0;  // slots ever used
int32_t free_slot = -1;   // a free slot (next_cold links them)
int32_t cold_head = -1;
int32_t carving = -1;     // the arena being carved (released only once used up)
uint32_t ncold = 0;       // cold blocks in all arenas
size_t arena_block_size = 0;

// Blocks of other sizes (each its own mapping), a few kept for reuse.
constexpr size_t kOddKeep = 64;
struct OddBlock {
  char* base;
  size_t size;
  size_t guard;
};
OddBlock odd[kOddKeep];
size_t nodd = 0;

void cold_list_remove(int32_t i) {
  Arena& a = arenas[i];
  (a.prev_cold >= 0 ? arenas[a.prev_cold].next_cold : cold_head) = a.next_cold;
  if (a.next_cold >= 0) arenas[a.next_cold].prev_cold = a.prev_cold;
}

void cold_list_push(int32_t i) {
  Arena& a = arenas[i];
  a.prev_cold = -1;
  a.next_cold = cold_head;
  if (cold_head >= 0) arenas[cold_head].prev_cold = i;
  cold_head = i;
}

void install_guard(char* base, size_t guard) {
  if (!guard) return;
  if (have_guard_install) {
    sys::madvise(base, guard, kMadvGuardInstall);
    return;
  }
  // Each PROT_NONE guard may split a VMA in two: stay far from
  // vm.max_map_count, and say once when threads go unguarded.
  if (guard_vmas.fetch_add(2, std::memory_order_relaxed) < kGuardVmaBudget) {
    sys::mprotect(base, guard, PROT_NONE);
  } else {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) warn("out of guard-page mappings; new thread stacks have no guard page");
  }
}

char* map_block(size_t size) {
  void* mem = sys::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK);
  if (mem) sys::madvise(mem, size, MADV_NOHUGEPAGE);
  return static_cast<char*>(mem);
}

// A block of another size than the default, mapped as NPTL maps a stack
// (nptl/allocatestack.c): all PROT_NONE, which the kernel does not charge,
// then the stack above the guard made writable, which it charges. So its
// overcommit check refuses exactly the sizes it refuses natively (with
// MAP_NORESERVE a 64 TiB stack would be "created"). A guard up to
// kMarkGuardMax is then made writable too and marked (install_guard), so
// that neighbouring blocks stay one VMA as arena blocks do; a larger one
// stays PROT_NONE as NPTL's (marking costs page tables in proportion, and
// the kernel may refuse to charge it).
constexpr size_t kMarkGuardMax = size_t{2} << 20;

char* map_odd(size_t size, size_t guard) {
  constexpr int kRW = PROT_READ | PROT_WRITE;
  char* base = static_cast<char*>(
      sys::mmap(nullptr, size, guard ? PROT_NONE : kRW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK));
  if (!base) return nullptr;
  if (guard && sys::mprotect(base + guard, size - guard, kRW) != 0) {
    sys::munmap(base, size);
    return nullptr;
  }
  sys::madvise(base, size, MADV_NOHUGEPAGE);
  if (!guard) return base;
  if (guard <= kMarkGuardMax && sys::mprotect(base, guard, kRW) == 0)
    install_guard(base, guard);
  else if (!have_guard_install)  // counted as install_guard counts (release_block)
    guard_vmas.fetch_add(2, std::memory_order_relaxed);
  return base;
}

bool arena_sized(size_t size, size_t guard) { return size == arena_block_size && guard == kPage; }

// A never used block of the carving arena, mapping a new arena when it is
// used up; nullptr when out of address space.
char* carve(int32_t* arena) {
  if (carving < 0 || arenas[carving].carved == kArenaBlocks) {
    int32_t i = free_slot >= 0 ? free_slot : arenas_used < int32_t(kMaxArenas) ? arenas_used : -1;
    if (i < 0) return nullptr;
    char* base = map_block(arena_block_size * kArenaBlocks);
    if (!base) return nullptr;
    if (i == free_slot)
      free_slot = arenas[i].next_cold;
    else
      arenas_used++;
    arenas[i] = Arena{base, 0, 0, -1, -1};
    carving = i;
  }
  Arena& a = arenas[carving];
  *arena = carving;
  return a.base + size_t(a.carved++) * arena_block_size;
}

char* take_cold(int32_t* arena) {
  if (cold_head < 0) return nullptr;
  int32_t i = cold_head;
  Arena& a = arenas[i];
  int bit = __builtin_ctzll(a.cold_mask);
  a.cold_mask &= a.cold_mask - 1;
  if (!a.cold_mask) cold_list_remove(i);
  ncold--;
  *arena = i;
  return a.base + size_t(bit) * arena_block_size;
}

// Marks a trimmed block of arena i cold. Returns the arena's base when the
// whole arena is now to be unmapped (by the caller, outside the lock).
char* put_cold(char* base, int32_t i) {
  Arena& a = arenas[i];
  if (!a.cold_mask) cold_list_push(i);
  a.cold_mask |= uint64_t{1} << ((base - a.base) / arena_block_size);
  ncold++;
  if (a.carved < kArenaBlocks || a.cold_mask != ~uint64_t{0} || ncold <= kColdKeep + kArenaBlocks)
    return nullptr;
  cold_list_remove(i);
  ncold -= kArenaBlocks;
  if (carving == i) carving = -1;
  char* whole = a.base;
  a.base = nullptr;
  a.next_cold = free_slot;
  free_slot = i;
  return whole;
}

char* take_odd(size_t size, size_t guard) {
  for (size_t i = nodd; i-- > 0;) {
    if (odd[i].size == size && odd[i].guard == guard) {
      char* base = odd[i].base;
      odd[i] = odd[--nodd];
      return base;
    }
  }
  return nullptr;
}

// A block of `size` bytes with `guard` guard bytes at its base: cold if one
// fits, else fresh. *arena: its arena, or -1 for a block mapped alone.
char* take_block(size_t size, size_t guard, int32_t* arena) {
  *arena = -1;
  char* base;
  bool fresh = false;
  {
    SpinLockGuard l(cold_lock);
    if (arena_sized(size, guard)) {
      base = take_cold(arena);
      if (!base) {
        base = carve(arena);
        fresh = true;
      }
    } else {
      base = take_odd(size, guard);
    }
  }
  if (!base && *arena < 0) return map_odd(size, guard);
  if (base && fresh) install_guard(base, guard);
  return base;
}

// Returns a block whose TCB is gone: its memory now, its address space and
// page tables too once enough other blocks are cold.
void release_block(char* base, size_t size, size_t guard, int32_t arena) {
  // The guard marker stays (DONTNEED keeps it).
  sys::madvise(base + guard, size - guard, MADV_DONTNEED);
  char* unmap = nullptr;
  size_t unmap_size = size;
  {
    SpinLockGuard l(cold_lock);
    if (arena >= 0) {
      unmap = put_cold(base, arena);
      unmap_size = arena_block_size * kArenaBlocks;
    } else if (nodd < kOddKeep && !arena_sized(size, guard)) {  // those come from arenas
      odd[nodd++] = OddBlock{base, size, guard};
    } else {
      unmap = base;
    }
  }
  if (!unmap) return;
  sys::munmap(unmap, unmap_size);
  if (!have_guard_install && guard)  // their PROT_NONE guards are gone too
    guard_vmas.fetch_sub(long(2 * unmap_size / size), std::memory_order_relaxed);
}

// Places G, TLS and TCB at the top of [base, base+size); the stack lies in
// [base+guard, g).
G* layout(char* base, size_t size, size_t guard, bool user, int32_t arena) {
  uintptr_t top = reinterpret_cast<uintptr_t>(base) + size;
  uintptr_t tcb = (top - tcb_off::kSizeofPthread) & ~(tls_layout.align - 1);
  uintptr_t gaddr = (tcb - tls_layout.below_tcb - sizeof(G)) & ~uintptr_t{63};
  G* g = new (reinterpret_cast<void*>(gaddr)) G();
  g->tcb = reinterpret_cast<void*>(tcb);
  g->map_base = base;
  g->map_size = size;
  g->guard = guard;
  g->user_stack = user;
  g->arena = arena;
  g->stack_hi = reinterpret_cast<char*>(gaddr);
  g->sp = make_context(g->stack_hi, g);
  return g;
}

// Blocks g0s could not trim (see g_free), linked by free_next.
std::atomic<G*> deferred{nullptr};

// Releases an exited G's TCB and block.
void trim(G* g) {
  char* base = g->map_base;
  size_t size = g->map_size, guard = g->guard;
  int32_t arena = g->arena;
  tcb_destroy(g->tcb);
  release_block(base, size, guard, arena);
}

void trim_deferred() {
  if (!deferred.load(std::memory_order_relaxed)) return;
  for (G* g = deferred.exchange(nullptr, std::memory_order_acquire); g;) {
    G* next = g->free_next;
    trim(g);
    g = next;
  }
}

// NPTL's minimum: a stack must hold the static TLS (TCB included) and
// MINIMAL_REST_STACK (sysdeps/x86/nptl/pthreaddef.h) above its guard. The
// G takes its few hundred bytes from that rest.
constexpr size_t kMinimalRestStack = 2048;

size_t tls_static_size_for_stack() {
  size_t a = tls_layout.align;
  return (tls_layout.static_size + a - 1) / a * a;
}

// The block for a stack size and guard size, with NPTL's arithmetic
// (allocate_stack): the size aligned down to the static TLS alignment, the
// guard rounded up to a page and added to it; EINVAL when that overflows or
// leaves too little room, EAGAIN when its pages would not fit the address
// space (mmap's ENOMEM, which NPTL reports as EAGAIN). The sums wrap as
// NPTL's do, so the same sizes pass.
int block_size(size_t stack_size, size_t guard_size, size_t* size, size_t* guard) {
  *guard = round_page(guard_size);
  *size = stack_size & ~(tls_layout.align - 1);
  if (*guard < guard_size || *size + *guard < *guard) return EINVAL;
  *size += *guard;
  if (*size < round_page(*guard + tls_static_size_for_stack() + kMinimalRestStack)) return EINVAL;
  // Blocks are whole pages (the kernel maps them so anyway).
  size_t pages = round_page(*size);
  if (pages < *size) return EAGAIN;
  *size = pages;
  return 0;
}

}  // namespace

bool stacks_init(size_t default_stack) {
  // Probe MADV_GUARD_INSTALL (Linux 6.13+) on a scratch mapping.
  char* probe = map_block(2 * kPage);
  if (!probe) return false;
  have_guard_install = sys::madvise(probe, kPage, kMadvGuardInstall) == 0;
  sys::munmap(probe, 2 * kPage);
  size_t guard;
  if (block_size(default_stack, kPage, &arena_block_size, &guard) != 0) return false;
  arenas = static_cast<Arena*>(sys::mmap(nullptr, kMaxArenas * sizeof(Arena),
                                         PROT_READ | PROT_WRITE,
                                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE));
  if (!arenas) return false;
  return true;
}

G* g_alloc(const StackRequest& req, int* err) {
  *err = EAGAIN;
  if (req.user_stack) {
    if (req.user_size < tls_static_size_for_stack() + kMinimalRestStack) {
      *err = EINVAL;
      return nullptr;
    }
    G* g = layout(static_cast<char*>(req.user_stack), req.user_size, 0, true, -1);
    if (!tcb_create(g->tcb, g, req.user_stack, req.user_size, 0)) return nullptr;
    return g;
  }
  trim_deferred();
  size_t size, guard;
  if ((*err = block_size(req.stack_size, req.guard_size, &size, &guard)) != 0) return nullptr;
  *err = EAGAIN;
  if (M* m = current_m(); m && m->p) {
    P* p = m->p;
    for (G** pp = &p->free_gs; *pp; pp = &(*pp)->free_next) {
      G* old = *pp;
      if (old->map_size != size || old->guard != guard) continue;
      *pp = old->free_next;
      p->nfree--;
      stat_add(kStatStackHits);
      uint64_t wait_state = old->wait_state.load(std::memory_order_relaxed);
      void* tcb = old->tcb;
      G* g = layout(old->map_base, size, guard, false, old->arena);
      // Keep the wait generation: a late waker of the old G must not match.
      g->wait_state.store(wait_state, std::memory_order_relaxed);
      if (tcb_reuse(tcb, g)) return g;
      return nullptr;
    }
  }
  stat_add(kStatStackMisses);
  int32_t arena;
  char* base = take_block(size, guard, &arena);
  if (!base) return nullptr;
  G* g = layout(base, size, guard, false, arena);
  if (tcb_create(g->tcb, g, base, size, guard)) return g;
  release_block(base, size, guard, arena);
  return nullptr;
}

void* g0_alloc(G* g0, size_t size, char** stack_top) {
  // The TLS sits above the stack, and a program's static TLS may be larger
  // than the whole stack (a big __thread array).
  size += round_page(tls_layout.static_size);
  char* base = map_block(size);
  if (!base) return nullptr;
  uintptr_t tcb = (reinterpret_cast<uintptr_t>(base) + size - tcb_off::kSizeofPthread) &
                  ~(tls_layout.align - 1);
  if (!tcb_create(reinterpret_cast<void*>(tcb), g0, base, size, 0)) return nullptr;
  *stack_top = reinterpret_cast<char*>(tcb - tls_layout.below_tcb - 64);
  return reinterpret_cast<void*>(tcb);
}

void stacks_after_fork() { new (&cold_lock) SpinLock(); }

void g_free(G* g, P* p) {
  if (g->user_stack) {
    if (!g->tls_released) tcb_destroy(g->tcb);
    return;
  }
  g->free_next = nullptr;
  if (p) {
    // The newest blocks stay warm, as NPTL's cache keeps its latest stacks:
    // a thread that has just exited still reads as exited through its
    // handle (a late pthread_join of a detached one gives EINVAL). When
    // the cache is full, its older half goes, in one walk.
    g->free_next = p->free_gs;
    p->free_gs = g;
    if (++p->nfree <= kWarmPerP) return;
    G* last = p->free_gs;
    for (int i = 1; i < kWarmPerP / 2; i++) last = last->free_next;
    g = last->free_next;
    last->free_next = nullptr;
    p->nfree = kWarmPerP / 2;
  }
  // g: a chain linked by free_next.
  G* self = current_g();
  if (self && self->is_g0) {
    // A g0 must not free: the allocator's locks are weft mutexes, and g0,
    // holding a P, would wait for one in the kernel while the G holding it
    // may be queued on that very P. The next G to free or make a thread
    // trims them; the stack below each G's page goes back now (no lock, no
    // allocation).
    G* tail = g;
    for (G* x = g; x; x = x->free_next) {
      char* stack_lo = x->map_base + x->guard;
      char* below_g =
          reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(x->stack_hi) & ~(kPage - 1));
      if (below_g > stack_lo) sys::madvise(stack_lo, size_t(below_g - stack_lo), MADV_DONTNEED);
      tail = x;
    }
    G* head = deferred.load(std::memory_order_relaxed);
    do tail->free_next = head;
    while (!deferred.compare_exchange_weak(head, g, std::memory_order_release,
                                           std::memory_order_relaxed));
    return;
  }
  trim_deferred();
  while (g) {
    G* next = g->free_next;
    trim(g);
    g = next;
  }
}

StackRoom stack_room(const G* g, uintptr_t sp, size_t need) {
  if (!g->map_base) return StackRoom::kRoom;
  uintptr_t lo = uintptr_t(g->map_base) + g->guard, hi = uintptr_t(g->stack_hi);
  if (sp > hi || sp < lo) return StackRoom::kOffStack;
  return sp - lo >= need ? StackRoom::kRoom : StackRoom::kFull;
}

}  // namespace weft
