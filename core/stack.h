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
// (reset as NPTL resets a cached stack); when that cache is full (kWarmPerP)
// its older half is trimmed (MADV_DONTNEED returns their pages) and marked
// cold in their arenas, so the latest exited threads stay readable.
// An arena all of whose blocks are cold is unmapped once more than kColdKeep
// blocks are cold, which also returns the page-table pages trimming keeps: a
// program that once had a million threads does not keep 4 GB of them.
// Nothing may touch a G after its block is released (core/timer.cpp fires
// timeouts under the heap lock for this reason).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace weft {

struct G;
struct P;

struct StackRequest {
  size_t stack_size = 0;    // bytes the thread may use (NPTL's stacksize)
  size_t guard_size = 0;
  void* user_stack = nullptr;  // pthread_attr_setstack: used as is
  size_t user_size = 0;
};

// default_stack: the stack size of threads created with default attributes
// (their blocks are carved from arenas).
bool stacks_init(size_t default_stack);

// Returns a G (zeroed but for its block fields, TCB built) or nullptr with
// NPTL's error for the same sizes: EINVAL (sizes that overflow, or a stack
// too small for its guard, TLS and TCB) or EAGAIN (no memory or address
// space: the kernel refused the mapping, as it refuses NPTL's).
G* g_alloc(const StackRequest& req, int* err);
// A stack and TCB for a g0 (M0's scheduler context, which cannot use the
// main thread's), with `size` bytes of stack below its static TLS. Returns
// the TCB and sets *stack_top, or nullptr.
void* g0_alloc(G* g0, size_t size, char** stack_top);
// Releases an exited G's block (runs on another context than g's own):
// kept warm in p's cache, or, with no P, trimmed.
void g_free(G* g, P* p);
// In a fork child (core/fork.cpp): a vanished thread may have held the lock.
void stacks_after_fork();

// Whether code that interrupted g at stack pointer sp (a signal handler)
// may use `need` bytes below it: kRoom, kFull, or kOffStack when sp is not
// on the stack weft made for g (a sigaltstack). The main thread's stack is
// the process's and grows: always kRoom.
enum class StackRoom { kRoom, kFull, kOffStack };
StackRoom stack_room(const G* g, uintptr_t sp, size_t need);

}  // namespace weft
