// core/stack.cpp — stack blocks (model in core/stack.h).
#include "core/stack.h"

#include <errno.h>
#include <new>
#include <string.h>
#include <sys/mman.h>
#include <limits.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/context.h"
#include "core/g.h"
#include "core/sched.h"
#include "core/sys.h"
#include "core/tls.h"
#include "core/warn.h"

namespace weft {
namespace {

constexpr size_t kPage = 4096;
constexpr int kWarmPerP = 64;
constexpr int kArenaBlocks = 64;
constexpr int kMadvGuardInstall = 102;
constexpr long kGuardVmaBudget = 30000;

size_t round_page(size_t n) { return (n + kPage - 1) & ~(kPage - 1); }

bool have_guard_install = false;
std::atomic<long> guard_vmas{0};

struct ColdBlock {
  char* base;
  size_t size;
  size_t guard;
};

// Cold blocks (trimmed, no TCB) and the arena being carved, under cold_lock.
SpinLock cold_lock;
ColdBlock* cold = nullptr;
size_t ncold = 0, cold_cap = 0;
char* arena_next = nullptr;
char* arena_end = nullptr;
size_t arena_block_size = 0;

bool cold_push(const ColdBlock& b) {
  if (ncold == cold_cap) {
    size_t cap = cold_cap ? cold_cap * 2 : 4096;
    void* mem = sys::mmap(nullptr, cap * sizeof(ColdBlock), PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS);
    if (!mem) return false;
    if (cold) {
      memcpy(mem, cold, ncold * sizeof(ColdBlock));
      sys::munmap(cold, cold_cap * sizeof(ColdBlock));
    }
    cold = static_cast<ColdBlock*>(mem);
    cold_cap = cap;
  }
  cold[ncold++] = b;
  return true;
}

bool cold_pop(size_t size, size_t guard, ColdBlock* out) {
  // Recently trimmed blocks are at the end; most programs use one size.
  for (size_t i = ncold; i-- > 0 && ncold - i <= 64;) {
    if (cold[i].size == size && cold[i].guard == guard) {
      *out = cold[i];
      cold[i] = cold[--ncold];
      return true;
    }
  }
  return false;
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

// A fresh (zero) block of `size` bytes: carved from an arena when it has the
// default size, else mapped alone.
char* new_block(size_t size, size_t guard) {
  if (size == arena_block_size) {
    SpinLockGuard l(cold_lock);
    if (arena_next == arena_end) {
      char* a = map_block(size * kArenaBlocks);
      if (!a) return nullptr;
      arena_next = a;
      arena_end = a + size * kArenaBlocks;
    }
    char* b = arena_next;
    arena_next += size;
    install_guard(b, guard);
    return b;
  }
  char* b = map_block(size);
  if (b) install_guard(b, guard);
  return b;
}

// Places G, TLS and TCB at the top of [base, base+size); the stack lies in
// [base+guard, g).
G* layout(char* base, size_t size, size_t guard, bool user) {
  uintptr_t top = reinterpret_cast<uintptr_t>(base) + size;
  uintptr_t tcb = (top - tcb_off::kSizeofPthread) & ~(tls_layout.align - 1);
  uintptr_t gaddr = (tcb - tls_layout.below_tcb - sizeof(G)) & ~uintptr_t{63};
  G* g = new (reinterpret_cast<void*>(gaddr)) G();
  g->tcb = reinterpret_cast<void*>(tcb);
  g->map_base = base;
  g->map_size = size;
  g->guard = guard;
  g->user_stack = user;
  g->stack_hi = reinterpret_cast<char*>(gaddr);
  g->sp = make_context(g->stack_hi, g);
  return g;
}

size_t top_reserve() { return tcb_off::kSizeofPthread + tls_layout.static_size + sizeof(G) + 128; }

}  // namespace

size_t default_stack_size() {
  rlimit rl;
  if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      rl.rlim_cur >= size_t(PTHREAD_STACK_MIN))
    return round_page(rl.rlim_cur);
  return 8 << 20;
}

bool stacks_init() {
  // Probe MADV_GUARD_INSTALL (Linux 6.13+) on a scratch mapping.
  char* probe = map_block(2 * kPage);
  if (!probe) return false;
  have_guard_install = sys::madvise(probe, kPage, kMadvGuardInstall) == 0;
  sys::munmap(probe, 2 * kPage);
  arena_block_size = round_page(default_stack_size()) + kPage;  // + default guard
  return true;
}

G* g_alloc(const StackRequest& req, int* err) {
  *err = EAGAIN;
  if (req.user_stack) {
    if (req.user_size < top_reserve() + 2048) {
      *err = EINVAL;
      return nullptr;
    }
    G* g = layout(static_cast<char*>(req.user_stack), req.user_size, 0, true);
    if (!tcb_create(g->tcb, g, req.user_stack, req.user_size, 0)) return nullptr;
    return g;
  }
  size_t guard = round_page(req.guard_size);
  size_t size = round_page(req.stack_size) + guard;
  // Sizes that wrap around are as invalid as ones too small (NPTL: EINVAL).
  if (guard < req.guard_size || size < guard || size < guard + top_reserve() + 2048) {
    *err = EINVAL;
    return nullptr;
  }
  if (M* m = current_m(); m && m->p) {
    P* p = m->p;
    for (G** pp = &p->free_gs; *pp; pp = &(*pp)->free_next) {
      G* old = *pp;
      if (old->map_size != size || old->guard != guard) continue;
      *pp = old->free_next;
      p->nfree--;
      uint64_t wait_state = old->wait_state.load(std::memory_order_relaxed);
      void* tcb = old->tcb;
      G* g = layout(old->map_base, size, guard, false);
      // Keep the wait generation: a late waker of the old G must not match.
      g->wait_state.store(wait_state, std::memory_order_relaxed);
      if (tcb_reuse(tcb, g)) return g;
      return nullptr;
    }
  }
  ColdBlock b;
  bool found;
  {
    SpinLockGuard l(cold_lock);
    found = cold_pop(size, guard, &b);
  }
  char* base = found ? b.base : new_block(size, guard);
  if (!base) return nullptr;
  G* g = layout(base, size, guard, false);
  if (tcb_create(g->tcb, g, base, size, guard)) return g;
  SpinLockGuard l(cold_lock);
  cold_push(ColdBlock{base, size, guard});
  return nullptr;
}

void* g0_alloc(G* g0, size_t size, char** stack_top) {
  char* base = map_block(size);
  if (!base) return nullptr;
  uintptr_t tcb = (reinterpret_cast<uintptr_t>(base) + size - tcb_off::kSizeofPthread) &
                  ~(tls_layout.align - 1);
  if (!tcb_create(reinterpret_cast<void*>(tcb), g0, base, size, 0)) return nullptr;
  *stack_top = reinterpret_cast<char*>(tcb - tls_layout.below_tcb - 64);
  return reinterpret_cast<void*>(tcb);
}

void g_free(G* g, P* p) {
  if (g->user_stack) {
    tcb_destroy(g->tcb);
    return;
  }
  if (p && p->nfree < kWarmPerP) {
    g->free_next = p->free_gs;
    p->free_gs = g;
    p->nfree++;
    return;
  }
  ColdBlock b{g->map_base, g->map_size, g->guard};
  tcb_destroy(g->tcb);
  // Gives the pages back; the guard marker stays (DONTNEED keeps it).
  sys::madvise(b.base + b.guard, b.size - b.guard, MADV_DONTNEED);
  SpinLockGuard l(cold_lock);
  if (!cold_push(b)) sys::munmap(b.base, b.size);
}

}  // namespace weft
