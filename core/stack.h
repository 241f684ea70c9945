// core/stack.h — stack blocks: where a G, its TCB, static TLS and stack live.
//
// A block is one range of address space: [guard | stack ... | G | TLS | TCB].
// The TCB sits at the top and the G just below the TLS, so an idle thread
// touches the top page or two of its block and nothing else (plus one page
// table page: blocks of default size are 8 MiB apart). Blocks of the default
// size are carved from large MAP_NORESERVE arenas, so a million of them cost a
// few VMAs; guard pages are MADV_GUARD_INSTALL markers where the kernel has
// them (no VMA), else PROT_NONE ranges within a VMA budget.
//
// Reuse: an exited G's block goes to its P's warm cache with TCB intact
// (reset as NPTL resets a cached stack); beyond kWarmPerP the coldest go to
// a global cold pool after MADV_DONTNEED, which returns their memory.
#pragma once
#include <stddef.h>

namespace weft {

struct G;
struct P;

struct StackRequest {
  size_t stack_size = 0;    // bytes the thread may use (NPTL's stacksize)
  size_t guard_size = 0;
  void* user_stack = nullptr;  // pthread_attr_setstack: used as is
  size_t user_size = 0;
};

// Default stack size: RLIMIT_STACK, as NPTL.
size_t default_stack_size();
bool stacks_init();

// Returns a G (zeroed but for its block fields, TCB built) or nullptr with
// *err = EAGAIN (no memory / address space) or EINVAL (a user stack too
// small for the TCB and TLS).
G* g_alloc(const StackRequest& req, int* err);
// A stack and TCB for a g0 (M0's scheduler context, which cannot use the
// main thread's). Returns the TCB and sets *stack_top, or nullptr.
void* g0_alloc(G* g0, size_t size, char** stack_top);
// Releases an exited G's block (runs on another context than g's own).
void g_free(G* g, P* p);

}  // namespace weft
