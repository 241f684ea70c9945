// core/preempt.cpp — asynchronous preemption (Go's preemptM/asyncPreempt).
//
// Model. The monitor (core/monitor.cpp) notices a P whose M has run the same
// G for a time slice (WEFT_PREEMPT_MS, 10 ms) while other work waits, and
// whose kernel thread is running (not in the kernel: a signal there could
// end a system call with EINTR). It records the P's schedule tick in
// P::preempt_at and queues the preemption signal (WEFT_PREEMPT_SIGNAL,
// SIGURG by default) to that kernel thread, marked with kMarker as weft's.
// The handler preempts only if the same G still runs there (the tick is
// unchanged), that G is an ordinary running G (not a g0, not in a system
// call; a wired one waits on its M for a P again, core/wire.h), and it was
// interrupted in the program's code: never in
// libweft.so (the runtime, jemalloc: its locks, run queues and per-P
// caches are held there), nor in ld.so or libc (weft's runtime calls into
// libc too; and preempting inside glibc's string functions was seen to
// corrupt pigz's output: a loop inside libc is left to finish), and only
// with room on its own stack.
// Otherwise nothing happens and the monitor asks again at its next sample.
// The handler does not switch: it rewrites the interrupted context so that
// the G "calls" weft_async_preempt (core/preempt_entry.S) once the handler
// returns; the kernel restores the signal mask on sigreturn, and the G saves
// every register and its extended state, yields (weft_preempt_yield), and
// on resumption, possibly on another M, returns to the interrupted
// instruction. errno and TLS are the G's own, untouched.
// The handler is installed with SA_RESTART; a delivery that is not weft's
// (another process, the kernel's SIGURG for out-of-band data) goes to the
// action the program set, which weft keeps for it (shim/sigaction.cpp).
// What remains: a system call the M enters in the instant between the
// monitor's look and the signal may end with EINTR if it is one the kernel
// never restarts (nanosleep, poll, epoll_wait...); and a G that keeps the
// preemption signal blocked on its M cannot be preempted.
#include "core/preempt.h"

#include <cpuid.h>
#include <errno.h>
#include <link.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/async_cancel.h"
#include "core/real.h"
#include "core/sched.h"
#include "core/signal.h"
#include "core/sigmask.h"
#include "core/stack.h"
#include "core/stats.h"
#include "core/sys.h"

extern "C" {
bool weft_have_xsave = false;
uint64_t weft_xsave_size = 512;
uint64_t weft_xsave_mask = 0;
void weft_async_preempt();
void weft_preempt_yield();
}

namespace weft {
namespace {

constexpr long kMarker = 0x77656674;      // "weft": a preemption request
constexpr long kPokeMarker = 0x77656675;  // a G on that M has signals to take
constexpr size_t kRedZone = 128;
// Stack the yield path needs below the saved state (switch, finish, a
// signal frame raised on resumption).
constexpr size_t kYieldReserve = 16 * 1024;
// Stack a handler run by weft needs below the interrupted frame.
constexpr size_t kDeliverReserve = 32 * 1024;

int preempt_sig = 0;
int64_t slice_ns = 0;
struct sigaction kept_action;  // what the program set (SIG_DFL at first)

struct Range {
  uintptr_t lo = 0, hi = 0;
  bool has(uintptr_t a) const { return a >= lo && a < hi; }
};
Range weft_text, loader_text, libc_text;

// The executable segment of the object containing `addr`.
int find_text(dl_phdr_info* info, size_t, void* data) {
  auto* want = static_cast<std::pair<uintptr_t, Range*>*>(data);
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    uintptr_t lo = info->dlpi_addr + ph.p_vaddr, hi = lo + ph.p_memsz;
    if (want->first < lo || want->first >= hi) continue;
    for (int j = 0; j < info->dlpi_phnum; j++) {
      const ElfW(Phdr)& x = info->dlpi_phdr[j];
      if (x.p_type == PT_LOAD && (x.p_flags & PF_X)) {
        want->second->lo = info->dlpi_addr + x.p_vaddr;
        want->second->hi = want->second->lo + x.p_memsz;
      }
    }
    return 1;
  }
  return 0;
}

void find_text_of(uintptr_t addr, Range* out) {
  std::pair<uintptr_t, Range*> want{addr, out};
  dl_iterate_phdr(find_text, &want);
}

// Whether a handler may run on g, interrupted with context uc: not while
// weft's own code runs there (it may hold weft's locks, which the handler's
// calls would take again), detected from the interrupted address, the word
// at the stack top (a leaf libc function weft called) and the frame-pointer
// chain within the G's stack; a G blocked in a system call weft made holds
// none. And only with room on its stack.
bool safe_to_deliver(G* g, const ucontext_t* uc) {
  const greg_t* r = uc->uc_mcontext.gregs;
  uintptr_t sp = uintptr_t(r[REG_RSP]);
  if (stack_room(g, sp, kDeliverReserve) == StackRoom::kFull) return false;
  uint32_t status = g->status.load(std::memory_order_relaxed);
  if (status == kGSyscall) return true;
  if (status != kGRunning) return false;
  if (weft_text.has(uintptr_t(r[REG_RIP]))) return false;
  if (weft_text.has(*reinterpret_cast<const uintptr_t*>(sp))) return false;
  if (!g->map_base) return true;
  uintptr_t hi = uintptr_t(g->stack_hi);
  uintptr_t fp = uintptr_t(r[REG_RBP]);
  for (int depth = 0; depth < 16 && fp >= sp && fp + 16 <= hi && !(fp & 7); depth++) {
    const uintptr_t* frame = reinterpret_cast<const uintptr_t*>(fp);
    if (weft_text.has(frame[1])) return false;
    if (frame[0] <= fp) break;
    fp = frame[0];
  }
  return true;
}

// Extended state to save: every component the OS enabled except AMX tile
// data (8 KB, and kept per kernel thread by the kernel anyway), in xsave's
// standard format.
void size_extended_state() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return;
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  uint64_t mask = (uint64_t(hi) << 32 | lo) & ~(uint64_t{3} << 17);
  uint64_t end = 576;  // legacy area + header
  for (int i = 2; i < 63; i++) {
    if (!(mask >> i & 1)) continue;
    __cpuid_count(0xd, i, a, b, c, d);
    if (b + a > end) end = b + a;
  }
  weft_xsave_mask = mask;
  weft_xsave_size = (end + 63) & ~uint64_t{63};
  weft_have_xsave = true;
}

// A delivery of the signal that is not weft's (another process, the
// kernel's SIGURG for out-of-band data): the program's, for the G that runs
// here if it may take it now, else for the process.
void pass_to_program(int sig, siginfo_t* info, void* uctx) {
  G* g = current_g();
  if (g && !g->is_g0 && !(g->sigmask.load(std::memory_order_relaxed) & sig_bit(sig)) &&
      safe_to_deliver(g, static_cast<ucontext_t*>(uctx))) {
    g->pending_signals.fetch_or(sig_bit(sig), std::memory_order_seq_cst);
    deliver_pending(g, uctx);
    return;
  }
  if (!signals_routed()) return;  // one thread, which blocks it: as the kernel, ignored
  signal_process_later(sig);
}

struct ErrnoKeeper {
  int saved = errno;
  ~ErrnoKeeper() { errno = saved; }
};

// Whether g, interrupted with context uc, may be switched out now.
bool preemptible(G* g, const ucontext_t* uc) {
  if (!g || g->is_g0 || g->status.load(std::memory_order_relaxed) != kGRunning)
    return false;
  P* p = g->m->p;
  if (!p || p->status.load(std::memory_order_relaxed) != kPRunning) return false;
  uint64_t want = p->preempt_at.exchange(0, std::memory_order_relaxed);
  if (want != (uint64_t{1} << 32 | p->schedtick.load(std::memory_order_relaxed))) return false;
  if (code_of(uintptr_t(uc->uc_mcontext.gregs[REG_RIP])) != CodeOf::kProgram) return false;
  uintptr_t sp = uintptr_t(uc->uc_mcontext.gregs[REG_RSP]);
  size_t need = kRedZone + 8 + 17 * 8 + weft_xsave_size + 64 + kYieldReserve;
  return stack_room(g, sp, need) == StackRoom::kRoom;  // not a sigaltstack, not full
}

// A poke: runs the G's deliverable signals here, on its stack. A system
// call weft made for it that the kernel set up to restart (this handler
// has SA_RESTART) fails with EINTR instead when a handler that ran lacks
// SA_RESTART, as the program's own handler would have made it.
void deliver_on_poke(G* g, ucontext_t* uc) {
  if (!g) return;
  M* m = g->m;
  if (g->is_g0 || !has_deliverable(g)) {
    m->poke_pending.store(false, std::memory_order_relaxed);
    return;
  }
  if (!safe_to_deliver(g, uc)) return;  // the monitor pokes again
  m->poke_pending.store(false, std::memory_order_relaxed);
  bool in_call = g->status.load(std::memory_order_relaxed) == kGSyscall;
  uint64_t ran = deliver_pending(g, uc);
  greg_t* r = uc->uc_mcontext.gregs;
  auto* ip = reinterpret_cast<const unsigned char*>(r[REG_RIP]);
  if (in_call && ran && weft_text.has(uintptr_t(ip)) && ip[0] == 0x0f && ip[1] == 0x05 &&
      !g->raised_restart) {
    r[REG_RAX] = -EINTR;
    r[REG_RIP] += 2;
  }
}

void on_signal(int sig, siginfo_t* info, void* uctx) {
  ErrnoKeeper keep_errno;
  bool ours = info->si_code == SI_QUEUE && info->si_pid == getpid() &&
              (info->si_value.sival_int == kMarker || info->si_value.sival_int == kPokeMarker);
  if (!ours) {
    pass_to_program(sig, info, uctx);
    return;
  }
  auto* uc = static_cast<ucontext_t*>(uctx);
  G* g = current_g();
  deliver_on_poke(g, uc);
  if (info->si_value.sival_int != kMarker || !preemptible(g, uc)) return;
  greg_t* r = uc->uc_mcontext.gregs;
  uintptr_t sp = uintptr_t(r[REG_RSP]) - kRedZone - 8;
  *reinterpret_cast<uintptr_t*>(sp) = uintptr_t(r[REG_RIP]);
  r[REG_RSP] = greg_t(sp);
  r[REG_RIP] = greg_t(reinterpret_cast<uintptr_t>(&weft_async_preempt));
}

void queue_marked(M* m, long marker) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_signo = preempt_sig;
  info.si_code = SI_QUEUE;
  info.si_pid = getpid();
  info.si_uid = getuid();
  info.si_value.sival_int = int(marker);
  sys::call6(SYS_rt_tgsigqueueinfo, getpid(), m->ktid, preempt_sig, long(&info));
}

}  // namespace

bool preempt_init(int sig, int64_t slice, const char** why) {
  // Signal deliveries and asynchronous cancellation ask code_of() and need
  // the handler, preemption or not (slice 0).
  find_text_of(reinterpret_cast<uintptr_t>(&on_signal), &weft_text);
  find_text_of(reinterpret_cast<uintptr_t>(
                   real_symbol("_dl_get_tls_static_info")), &loader_text);
  find_text_of(reinterpret_cast<uintptr_t>(real_symbol("memcpy")), &libc_text);
  size_extended_state();
  struct sigaction act {};
  act.sa_sigaction = on_signal;
  // SA_NODEFER: a handler weft runs from here may leave by longjmp, which
  // must not leave the signal blocked on the M.
  act.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&act.sa_mask);
  using SigactionFn = int (*)(int, const struct sigaction*, struct sigaction*);
  if (real<SigactionFn>("sigaction")(sig, &act, &kept_action) != 0) {
    *why = "WEFT_PREEMPT_SIGNAL cannot be caught; preemption and signals to running threads are off";
    return false;
  }
  preempt_sig = sig;
  slice_ns = slice;
  return true;
}

int64_t preempt_slice_ns() { return slice_ns; }

int preempt_signal() { return preempt_sig; }

CodeOf code_of(uintptr_t ip) {
  if (weft_text.has(ip)) return CodeOf::kWeft;
  if (loader_text.has(ip)) return CodeOf::kLoader;
  if (libc_text.has(ip)) return CodeOf::kLibc;
  return CodeOf::kProgram;
}

void preempt_request(P* p, M* m, uint32_t schedtick) {
  p->preempt_at.store(uint64_t{1} << 32 | schedtick, std::memory_order_relaxed);
  queue_marked(m, kMarker);
}

void poke_m(M* m) {
  if (!preempt_sig) return;
  m->poke_pending.store(true, std::memory_order_relaxed);
  queue_marked(m, kPokeMarker);
}

bool preempt_owns_signal(int sig) { return preempt_sig && sig == preempt_sig; }

void preempt_swap_program_action(const struct sigaction* act, struct sigaction* old) {
  if (old) *old = kept_action;
  if (act) kept_action = *act;
}

}  // namespace weft

extern "C" void weft_preempt_yield() {
  // The interrupted code may be between a failing call and its errno
  // check; nothing on the way may change it.
  int saved_errno = errno;
  weft::G* g = weft::current_g();
  weft::stat_add(weft::kStatPreemptions);
  weft::yield_to_global_queue(g);
  // Cancelled asynchronously while it waited in the run queue: act now,
  // unwinding through weft_async_preempt into the interrupted frame.
  weft::async_cancel_point(g);
  errno = saved_errno;
}
