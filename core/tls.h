// core/tls.h — a glibc TCB and static TLS block for each G.
//
// glibc's own machinery builds them (DESIGN-NOTES: _dl_get_tls_static_info,
// _dl_allocate_tls(tcb), _dl_allocate_tls_init, _dl_deallocate_tls), so
// __thread, errno, stdio locks and libstdc++ state are per G exactly as per
// NPTL thread. A TCB is built fresh (tcb_create) or, when its G's stack block
// is reused warm, reset the way NPTL resets a cached stack (tcb_reuse).
#pragma once
#include <stddef.h>

namespace weft {

struct G;

struct TlsLayout {
  size_t static_size = 0;   // whole block incl. struct pthread
  size_t align = 0;
  size_t below_tcb = 0;     // bytes of TLS below the TCB
};
extern TlsLayout tls_layout;
extern void* main_tcb;

// Resolves glibc's private entry points; false (with *why) if one is missing.
bool tls_init(const char** why);

// Builds the TCB at `tcb` (the memory is zero or will be cleared) for g.
// stackblock/size/guard are what glibc's unwinder and alloca see.
// Returns false when glibc cannot allocate the DTV (out of memory).
bool tcb_create(void* tcb, G* g, void* stackblock, size_t stackblock_size, size_t guard);
// Resets a TCB whose G exited, for a new G in the same place.
bool tcb_reuse(void* tcb, G* g);
// Frees what glibc allocated for the TCB (DTV, dynamic TLS).
void tcb_destroy(void* tcb);
// Frees per-thread buffers held by the TCB (strerror_l, strsignal, the
// priority-protection data);
// run by the exiting G itself.
void tcb_release_thread_buffers(void* tcb);
// Links a live G's TCB into glibc's list of application-stack threads
// (GL(dl_stack_user)) and out again at exit. ld.so walks that list to
// initialise the static TLS of modules dlopen'ed later and to wait out
// threads inside lazy binding before dlclose frees a scope.
void tcb_link(void* tcb);
void tcb_unlink(void* tcb);

// Calls fn(g, arg), oldest first, for the Gs whose TCBs are on glibc's
// thread lists (each G from tcb_link to tcb_unlink, the main thread's, and
// in a fork child the forking G's) until fn returns false, holding the
// lists' lock: none of them can get past tcb_unlink meanwhile, so their Gs
// stay mapped (core/stack.h). Ms' g0s and native threads are skipped. fn
// runs under a lock that pthread_create and ld.so (dlopen) take too: it
// must be short, take no lock and call nothing that could.
// For diagnostics (core/trace.cpp).
void for_each_linked_g(bool (*fn)(G*, void*), void* arg);

// Holds glibc's lock on its thread lists (GL(dl_stack_cache_lock)), as
// glibc's set*id does: no thread can be allocated meanwhile
// (core/all_tasks.cpp). Only raw system calls may run while it is held.
void lock_thread_lists();
void unlock_thread_lists();

// Per-G libc set-up that must run on the G with %fs at its TCB.
void tls_enter_new_g(void* tcb);

}  // namespace weft
