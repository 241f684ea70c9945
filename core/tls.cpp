// core/tls.cpp — see core/tls.h. Offsets and their checks: core/self.h and
// preload/checks.cpp.
#include "core/tls.h"

#include <atomic>
#include <dlfcn.h>
#include <resolv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/g.h"
#include "core/self.h"
#include "core/sys.h"

// Where a debugger finds the Gs (scripts/weft-gdb.py reads it through
// libweft.so's debug information): glibc's two thread lists, and the
// offsets in a TCB of its link in them, its G pointer and its tid
// (core/self.h).
struct WeftDebugThreadLists {
  void* lists[2];
  uint32_t list_off;
  uint32_t g_off;
  uint32_t tid_off;
};
extern "C" {
__attribute__((used)) WeftDebugThreadLists weft_debug_thread_lists;
}

// glibc-private entry points, resolved at start-up so that a glibc without
// them makes weft fall back to native threads instead of failing to load.
namespace {
void (*dl_get_tls_static_info)(size_t*, size_t*);
void* (*dl_allocate_tls)(void*);
void* (*dl_allocate_tls_init)(void*, bool);
void (*dl_deallocate_tls)(void*, bool);
void (*ctype_init)();
ptrdiff_t resp_tp_offset;  // __resp (TLS) relative to the thread pointer

// GL(dl_stack_user) and GL(dl_stack_cache_lock) inside _rtld_global.
struct ListHead {
  ListHead* next;
  ListHead* prev;
};
ListHead* stack_user;
ListHead* stack_used;
uint32_t* stack_cache_lock;

// glibc's lll_lock protocol on GL(dl_stack_cache_lock): 0 free, 1 held,
// 2 held with waiters. Held for a few instructions by ld.so and nptl.
void lll_lock(uint32_t* w) {
  uint32_t expected = 0;
  if (__atomic_compare_exchange_n(w, &expected, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
  while (__atomic_exchange_n(w, 2, __ATOMIC_ACQUIRE) != 0) weft::sys::futex_wait(w, 2, nullptr);
}
void lll_unlock(uint32_t* w) {
  if (__atomic_exchange_n(w, 0, __ATOMIC_RELEASE) == 2) weft::sys::futex_wake(w, 1);
}

bool find_stack_lists() {
  char* rtld = static_cast<char*>(dlsym(RTLD_DEFAULT, "_rtld_global"));
  auto* used = static_cast<const uint32_t*>(dlsym(RTLD_DEFAULT, "_thread_db_rtld_global__dl_stack_used"));
  auto* user = static_cast<const uint32_t*>(dlsym(RTLD_DEFAULT, "_thread_db_rtld_global__dl_stack_user"));
  // ldsodefs.h: _dl_stack_used, _dl_stack_user, _dl_stack_cache (list_t
  // each), _dl_stack_cache_actsize, _dl_in_flight_stack, then the lock.
  if (!rtld || !used || !user || user[2] != used[2] + sizeof(ListHead)) return false;
  stack_user = reinterpret_cast<ListHead*>(rtld + user[2]);
  stack_used = reinterpret_cast<ListHead*>(rtld + used[2]);
  weft_debug_thread_lists = {{stack_user, stack_used}, weft::tcb_off::kList, weft::tcb_off::kCurrentG,
                             weft::tcb_off::kTid};
  stack_cache_lock = reinterpret_cast<uint32_t*>(rtld + user[2] + 2 * sizeof(ListHead) + 16);
  return true;
}
}  // namespace

namespace weft {

TlsLayout tls_layout;
void* main_tcb = nullptr;

namespace {

// glibc 2.36 struct pthread offsets beyond core/self.h.
constexpr size_t kSpecific1stBlock = 784;      // struct pthread_key_data[32]
constexpr size_t kSpecificUsed = 1552;
constexpr size_t kRes = 1720;                  // struct __res_state
constexpr size_t kTlsState = 2304;             // strsignal_buf, strerror_l_buf
constexpr size_t kReportedGuardSize = 1704;


struct DtvEntry {
  void* val;
  void* to_free;
};

void reset_robust_list(char* t) {
  // An empty robust list points at itself; futex_offset is that of
  // pthread_mutex_t's lock word relative to its __list.__next (-32).
  tcb_field<void*>(t, tcb_off::kRobustHead) = t + tcb_off::kRobustHead;
  tcb_field<long>(t, tcb_off::kRobustHead + 8) = -32;
  tcb_field<void*>(t, tcb_off::kRobustHead + 16) = nullptr;
}

void fill_fields(char* t, G* g) {
  tcb_field<void*>(t, 0) = t;
  tcb_field<void*>(t, tcb_off::kSelf) = t;
  tcb_field<int>(t, tcb_off::kMultipleThreads) = 1;
  tcb_field<int>(t, tcb_off::kGscopeFlag) = 0;
  memcpy(t + tcb_off::kSysinfo, static_cast<char*>(main_tcb) + tcb_off::kSysinfo, 0x18);
  tcb_field<G*>(t, tcb_off::kCurrentG) = g;
  tcb_field<G*>(t, tcb_off::kHandleG) = g;
  // The thread id comes with the thread's creation (core/tid.h).
  reset_robust_list(t);
  tcb_field<void*>(t, tcb_off::kSpecific) = t + kSpecific1stBlock;
  // cpu_id < 0 makes sched_getcpu() ask the kernel: this area is not
  // registered with rseq for any task.
  tcb_field<int32_t>(t, tcb_off::kRseqArea + 4) = -1;
}

}  // namespace

template <class Fn>
bool resolve(Fn* fn, const char* name) {
  *fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
  return *fn != nullptr;
}

bool tls_init(const char** why) {
  if (!resolve(&dl_get_tls_static_info, "_dl_get_tls_static_info") ||
      !resolve(&dl_allocate_tls, "_dl_allocate_tls") ||
      !resolve(&dl_allocate_tls_init, "_dl_allocate_tls_init") ||
      !resolve(&dl_deallocate_tls, "_dl_deallocate_tls") || !resolve(&ctype_init, "__ctype_init")) {
    *why = "glibc's private TLS functions are missing";
    return false;
  }
  void* resp = dlsym(RTLD_DEFAULT, "__resp");
  if (!resp) {
    *why = "glibc's __resp is missing";
    return false;
  }
  resp_tp_offset = static_cast<char*>(resp) - thread_pointer();
  if (!find_stack_lists()) {
    *why = "glibc's thread stack lists are not where expected";
    return false;
  }
  dl_get_tls_static_info(&tls_layout.static_size, &tls_layout.align);
  if (tls_layout.static_size < tcb_off::kSizeofPthread || tls_layout.align == 0) {
    *why = "unexpected static TLS size";
    return false;
  }
  tls_layout.below_tcb = tls_layout.static_size - tcb_off::kSizeofPthread;
  main_tcb = thread_pointer();
  return true;
}

bool tcb_create(void* tcb, G* g, void* stackblock, size_t stackblock_size, size_t guard) {
  char* t = static_cast<char*>(tcb);
  memset(t, 0, tcb_off::kSizeofPthread);
  fill_fields(t, g);
  tcb_field<void*>(t, tcb_off::kStackBlock) = stackblock;
  tcb_field<size_t>(t, tcb_off::kStackBlockSize) = stackblock_size;
  tcb_field<size_t>(t, tcb_off::kGuardSize) = guard;
  tcb_field<size_t>(t, kReportedGuardSize) = guard;
  return dl_allocate_tls(t) != nullptr;
}

bool tcb_reuse(void* tcb, G* g) {
  char* t = static_cast<char*>(tcb);
  // As NPTL's get_cached_stack: free dynamic TLS, clear the DTV, re-init.
  DtvEntry* dtv = tcb_field<DtvEntry*>(t, 8);
  size_t n = reinterpret_cast<size_t>(dtv[-1].val);
  for (size_t i = 0; i < n; i++) free(dtv[1 + i].to_free);
  memset(dtv, 0, (n + 1) * sizeof(DtvEntry));
  // Per-thread state the previous G left (key data, cleanup chain, ...).
  memset(t + tcb_off::kTid, 0, tcb_off::kStackBlock - tcb_off::kTid);
  memset(t + kRes, 0, tcb_off::kRseqArea - kRes);
  fill_fields(t, g);
  return dl_allocate_tls_init(t, true) != nullptr;
}

void tcb_destroy(void* tcb) { dl_deallocate_tls(tcb, false); }

void tcb_release_thread_buffers(void* tcb) {
  char* t = static_cast<char*>(tcb);
  for (size_t off = kTlsState; off < kTlsState + 16; off += 8) {
    free(tcb_field<void*>(t, off));
    tcb_field<void*>(t, off) = nullptr;
  }
  tcb_field<bool>(t, kSpecificUsed) = false;
  free(tcb_field<void*>(t, tcb_off::kTpp));  // shim/mutex_tpp.cpp, as NPTL's
  tcb_field<void*>(t, tcb_off::kTpp) = nullptr;
}

void tcb_link(void* tcb) {
  ListHead* e = &tcb_field<ListHead>(tcb, tcb_off::kList);
  lll_lock(stack_cache_lock);
  e->next = stack_user->next;
  e->prev = stack_user;
  stack_user->next->prev = e;
  stack_user->next = e;
  lll_unlock(stack_cache_lock);
}

void tcb_unlink(void* tcb) {
  ListHead* e = &tcb_field<ListHead>(tcb, tcb_off::kList);
  lll_lock(stack_cache_lock);
  e->next->prev = e->prev;
  e->prev->next = e->next;
  lll_unlock(stack_cache_lock);
  e->next = e->prev = nullptr;
}

void for_each_linked_g(bool (*fn)(G*, void*), void* arg) {
  lll_lock(stack_cache_lock);
  bool more = true;
  for (ListHead* head : {stack_user, stack_used}) {
    for (ListHead* e = head->prev; more && e != head; e = e->prev) {  // oldest first
      char* tcb = reinterpret_cast<char*>(e) - tcb_off::kList;
      G* g = __atomic_load_n(&tcb_field<G*>(tcb, tcb_off::kHandleG), __ATOMIC_RELAXED);
      if (g && !g->is_g0 && g->tcb == tcb) more = fn(g, arg);
    }
  }
  lll_unlock(stack_cache_lock);
}

void lock_thread_lists() { lll_lock(stack_cache_lock); }
void unlock_thread_lists() { lll_unlock(stack_cache_lock); }

void tls_enter_new_g(void* tcb) {
  ctype_init();
  // As NPTL's start_thread: the resolver state of a thread lives in its TCB.
  *reinterpret_cast<void**>(thread_pointer() + resp_tp_offset) = static_cast<char*>(tcb) + kRes;
}

}  // namespace weft
