// core/self.h — who is running: the thread pointer, the glibc TCB fields weft
// reads or writes, and the current G.
//
// Model: every G owns a glibc TCB (struct pthread) and static TLS block; the
// switch points %fs at it. A TCB made by weft carries its G pointer in the
// tcbhead_t word at 0x38 (unused_vgetcpu_cache, never read by glibc 2.36);
// native threads (glibc's helper threads, code running before weft starts)
// have 0 there. So `current_g()` is one %fs-relative load and works for every
// caller, G or not, on any stack, including signal handlers.
//
// Offsets are those of glibc 2.36 x86-64 (nptl/descr.h); preload/ checks them
// against the _thread_db_* descriptors and probes at start-up and refuses to
// start (falls back to native threads) when they do not match.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace weft {

struct G;

namespace tcb_off {
inline constexpr size_t kSelf = 0x10;
inline constexpr size_t kMultipleThreads = 0x18;
inline constexpr size_t kGscopeFlag = 0x1c;
inline constexpr size_t kSysinfo = 0x20;          // 0x20..0x37 copied from main
inline constexpr size_t kCurrentG = 0x38;         // weft's G pointer
// The G a pthread_t (the TCB address) names, for lookups by handle: the same
// as kCurrentG for a G's TCB, but never hidden (vfork hides kCurrentG while
// its child runs, and another thread may join or signal the G meanwhile).
// unused_vgetcpu_cache[1], which glibc 2.36 does not read either.
inline constexpr size_t kHandleG = 0x40;
inline constexpr size_t kList = 704;          // list_t in glibc's thread lists
inline constexpr size_t kTid = 720;
inline constexpr size_t kRobustHead = 736;        // struct robust_list_head
inline constexpr size_t kCleanup = 760;
inline constexpr size_t kCleanupJmpBuf = 768;
inline constexpr size_t kCancelHandling = 776;
inline constexpr size_t kSpecific = 1296;
inline constexpr size_t kResult = 1576;
inline constexpr size_t kSchedParam = 1584;     // struct sched_param
inline constexpr size_t kSchedPolicy = 1588;
inline constexpr size_t kStartRoutine = 1592;
inline constexpr size_t kStackBlock = 1680;
inline constexpr size_t kStackBlockSize = 1688;
inline constexpr size_t kGuardSize = 1696;
inline constexpr size_t kTpp = 1712;            // priority-protection data pointer
inline constexpr size_t kRseqArea = 2336;         // == __rseq_offset
inline constexpr size_t kSizeofPthread = 2368;
}  // namespace tcb_off

inline char* thread_pointer() {
  char* tp;
  __asm__ volatile("mov %%fs:0x10, %0" : "=r"(tp));
  return tp;
}

template <class T>
inline T& tcb_field(void* tcb, size_t off) {
  return *reinterpret_cast<T*>(static_cast<char*>(tcb) + off);
}

// The running G, or nullptr for a thread that is not a G.
inline G* current_g() {
  G* g;
  __asm__ volatile("mov %%fs:0x38, %0" : "=r"(g));
  return g;
}

// The tid glibc stores as lock owner: a G's unique fake tid (never a kernel
// task id), or the kernel tid of a native thread.
inline int self_tid() {
  int tid;
  __asm__ volatile("movl %%fs:720, %0" : "=r"(tid));
  return tid;
}

}  // namespace weft

