// preload/malloc.cpp — the malloc family: jemalloc with a cache per P.
//
// jemalloc's thread cache would be a cache per G, tens of KB each (see
// preload/malloc_conf.cpp, which turns it off). Go keeps its allocator cache
// per P instead, and so does weft: each P gets an explicit jemalloc tcache
// (tcache.create) and a G allocates through the cache of the P it runs on.
// A G may park inside jemalloc (its mutexes are weft's), and another G of the
// same P must not touch a cache caught mid-operation: the cache is leased
// (P::alloc_cache_busy) for the length of the call, and a G that finds it
// leased bypasses caches. Only the G running on a P sets the lease; the lease
// holder, wherever it resumes, clears it.
// Callers that are not Gs use jemalloc as configured (no cache by default).
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "core/export.h"
#include "core/sched.h"

extern "C" {
void* je_mallocx(size_t size, int flags);
void* je_rallocx(void* ptr, size_t size, int flags);
void je_dallocx(void* ptr, int flags);
size_t je_sallocx(const void* ptr, int flags);
int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen);
}

namespace weft {
namespace {

// jemalloc.h's flag encodings.
constexpr int kZero = 0x40;
constexpr int kTcacheNone = 1 << 8;
inline int tcache_flag(unsigned id) { return int((id + 2) << 8); }
inline int align_flag(size_t a) { return __builtin_ctzl(a); }

class CacheLease {
 public:
  CacheLease() {
    G* g = current_g();
    // A G in a blocking call (a signal handler runs on it) may have lost
    // its P to another M: it uses no P's cache.
    if (!g || g->is_g0 || !g->m->p || g->status.load(std::memory_order_relaxed) == kGSyscall)
      return;
    P* p = g->m->p;
    if (p->alloc_cache_busy.load(std::memory_order_acquire)) {
      flags_ = kTcacheNone;
      return;
    }
    p->alloc_cache_busy.store(true, std::memory_order_relaxed);
    if (!p->alloc_cache) {
      unsigned id;
      size_t len = sizeof id;
      if (mallctl("tcache.create", &id, &len, nullptr, 0) != 0) {
        p->alloc_cache_busy.store(false, std::memory_order_release);
        flags_ = kTcacheNone;
        return;
      }
      p->alloc_cache = id + 1;
    }
    held_ = p;
    flags_ = tcache_flag(p->alloc_cache - 1);
  }
  ~CacheLease() {
    if (held_) held_->alloc_cache_busy.store(false, std::memory_order_release);
  }
  CacheLease(const CacheLease&) = delete;
  CacheLease& operator=(const CacheLease&) = delete;
  int flags() const { return flags_; }

 private:
  P* held_ = nullptr;
  int flags_ = 0;
};

void* allocate(size_t size, int flags) {
  CacheLease lease;
  void* p = je_mallocx(size ? size : 1, flags | lease.flags());
  if (!p) errno = ENOMEM;
  return p;
}

bool valid_alignment(size_t a) { return a && (a & (a - 1)) == 0; }

}  // namespace
}  // namespace weft

using weft::allocate;
using weft::align_flag;
using weft::CacheLease;

WEFT_EXPORT void* malloc(size_t size) { return allocate(size, 0); }

WEFT_EXPORT void free(void* ptr) {
  if (!ptr) return;
  CacheLease lease;
  je_dallocx(ptr, lease.flags());
}

WEFT_EXPORT void* calloc(size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  return allocate(total, weft::kZero);
}

WEFT_EXPORT void* realloc(void* ptr, size_t size) {
  if (!ptr) return malloc(size);
  if (size == 0) {  // glibc frees and returns NULL
    free(ptr);
    return nullptr;
  }
  CacheLease lease;
  void* p = je_rallocx(ptr, size, lease.flags());
  if (!p) errno = ENOMEM;
  return p;
}

WEFT_EXPORT int posix_memalign(void** out, size_t align, size_t size) {
  if (!weft::valid_alignment(align) || align % sizeof(void*)) return EINVAL;
  void* p = allocate(size, align_flag(align));
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

WEFT_EXPORT void* aligned_alloc(size_t align, size_t size) {
  if (!weft::valid_alignment(align)) {
    errno = EINVAL;
    return nullptr;
  }
  return allocate(size, align_flag(align));
}

WEFT_EXPORT void* memalign(size_t align, size_t size) { return aligned_alloc(align, size); }

WEFT_EXPORT void* valloc(size_t size) { return allocate(size, align_flag(getpagesize())); }

WEFT_EXPORT void* pvalloc(size_t size) {
  size_t page = getpagesize();
  return allocate((size + page - 1) & ~(page - 1), align_flag(page));
}

WEFT_EXPORT size_t malloc_usable_size(void* ptr) { return ptr ? je_sallocx(ptr, 0) : 0; }

namespace weft {

// Every reaped thread (joined, or exited detached) frees its per-thread
// buffers and, once its stack leaves the warm cache, its DTV; after many that
// is megabytes of dirty pages jemalloc would return only as they age.
// Returning them every few thousand reaps keeps a program that churns threads
// at a flat RSS. Counted at the reap, not the exit: a program that joins
// late frees its threads' memory then.
void note_thread_reaped() {
  constexpr uint32_t kReapsPerPurge = 4096;
  static std::atomic<uint32_t> reaps{0};
  if (reaps.fetch_add(1, std::memory_order_relaxed) % kReapsPerPurge == kReapsPerPurge - 1)
    mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);  // 4096: all arenas
}

}  // namespace weft
