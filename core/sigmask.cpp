// core/sigmask.cpp — see core/sigmask.h; the model is in core/signal.h.
//
// Invariants. While routing is on, every kernel thread weft made (Ms, the
// monitor, the spawner, the catcher) and M0 keep the routable signals
// blocked, except around an exec made by a G (sigmask_kernel_for_exec), so
// a process-directed signal can only be taken by the catcher. Signals that
// stay unblocked on Ms: SIGKILL and SIGSTOP (never blockable), the fault
// signals (the kernel delivers them to the faulting G's M, where its
// handler runs on that G), glibc's SIGCANCEL and SIGSETXID, and weft's
// preemption signal (which also pokes Ms to deliver).
// The catcher only takes signals and routes them; it never runs a handler.
#include "core/sigmask.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/preempt.h"
#include "core/sched.h"
#include "core/sched_internal.h"
#include "core/signal.h"
#include "core/sys.h"
#include "core/warn.h"

namespace weft {
namespace {

std::atomic<bool> routed{false};

constexpr uint64_t kFaultSignals = sig_bit(SIGSEGV) | sig_bit(SIGBUS) | sig_bit(SIGILL) |
                                   sig_bit(SIGFPE) | sig_bit(SIGTRAP) | sig_bit(SIGSYS);

uint64_t routable() {
  uint64_t keep_open = kUnblockable | kFaultSignals;
  if (int ps = preempt_signal()) keep_open |= sig_bit(ps);
  return ~keep_open;
}

long kernel_mask(int how, uint64_t set, uint64_t* old) {
  return sys::call6(SYS_rt_sigprocmask, how, long(&set), long(old), 8);
}

// Signals a signalfd reads: the catcher leaves them to the kernel, which
// keeps them pending for the process (every thread blocks them) until a
// read takes them. Only grows. catcher_gen counts the catcher's updates.
std::atomic<uint64_t> signalfd_signals{0};
std::atomic<uint32_t> signalfd_gen{0};
std::atomic<uint32_t> catcher_gen{0};
std::atomic<int> catcher_tid{0};

void* catcher_main(void*) {
  // Everything but glibc's reserved two: set*id's handshake reaches every
  // kernel thread with SIGSETXID (shim/setxid.cpp).
  kernel_mask(SIG_BLOCK, ~(sig_bit(32) | sig_bit(33)), nullptr);
  catcher_tid.store(sys::gettid(), std::memory_order_release);
  int kick = preempt_signal();
  for (;;) {
    uint32_t gen = signalfd_gen.load(std::memory_order_acquire);
    uint64_t wait_set = (routable() & ~signalfd_signals.load(std::memory_order_acquire)) |
                        (kick ? sig_bit(kick) : 0);
    catcher_gen.store(gen, std::memory_order_release);
    sys::futex_wake(reinterpret_cast<uint32_t*>(&catcher_gen), INT32_MAX);
    siginfo_t info;
    long sig = sys::call6(SYS_rt_sigtimedwait, long(&wait_set), long(&info), 0, 8);
    if (sig <= 0) continue;
    bool kicked = sig == kick && info.si_code == SI_TKILL &&
                  info.si_pid == pid_t(sys::call6(SYS_getpid));
    if (!kicked) signal_process(int(sig), &info);
  }
}

}  // namespace

void program_action(int sig, KernelAction* out) {
  if (preempt_owns_signal(sig)) {
    struct sigaction a;
    preempt_swap_program_action(nullptr, &a);
    out->handler = a.sa_handler;
    out->flags = unsigned(a.sa_flags);
    out->restorer = nullptr;
    out->mask = sigset_bits(&a.sa_mask);
    return;
  }
  if (sys::call6(SYS_rt_sigaction, sig, 0, long(out), 8) != 0) {
    memset(out, 0, sizeof *out);
    out->handler = SIG_DFL;
  }
}

void reset_program_action(int sig) {
  if (preempt_owns_signal(sig)) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    preempt_swap_program_action(&dfl, nullptr);
    return;
  }
  KernelAction dfl{};
  dfl.handler = SIG_DFL;
  sys::call6(SYS_rt_sigaction, sig, long(&dfl), 0, 8);
}

void take_default_action(int sig) {
  if (preempt_owns_signal(sig)) {  // weft's handler is installed: put it aside
    KernelAction dfl{};
    dfl.handler = SIG_DFL;
    sys::call6(SYS_rt_sigaction, sig, long(&dfl), 0, 8);
  }
  uint64_t bit = sig_bit(sig), old;
  kernel_mask(SIG_BLOCK, bit, &old);
  sys::call6(SYS_tgkill, sys::call6(SYS_getpid), sys::gettid(), sig);
  kernel_mask(SIG_UNBLOCK, bit, nullptr);  // terminates, or stops until SIGCONT
  kernel_mask(SIG_SETMASK, old, nullptr);
}

uint64_t routable_signals() { return routable(); }

bool sig_routable(int sig) { return sig > 0 && sig <= 64 && (routable() & sig_bit(sig)); }

bool signals_routed() { return routed.load(std::memory_order_acquire); }

void signals_enter_multithreaded() {
  if (routed.load(std::memory_order_acquire)) return;
  // Until now the kernel held the only G's mask; from now on weft does.
  uint64_t mine = 0;
  kernel_mask(SIG_BLOCK, 0, &mine);
  if (G* self = current_g(); self && !self->is_g0)
    self->sigmask.store(mine & ~kUnblockable, std::memory_order_relaxed);
  kernel_mask(SIG_SETMASK, routable(), nullptr);
  routed.store(true, std::memory_order_release);
  if (!create_kernel_thread(catcher_main, nullptr, 64 * 1024)) {
    // Without a catcher the kernel must deliver: to whichever M.
    warn("cannot start the signal thread; process-directed signals go to any thread");
    routed.store(false, std::memory_order_release);
    kernel_mask(SIG_SETMASK, mine, nullptr);
  }
}

void signals_after_fork_child() {
  routed.store(false, std::memory_order_relaxed);
  G* self = current_g();
  if (!self || self->is_g0) return;
  self->pending_signals.store(0, std::memory_order_relaxed);
  self->routed_signals.store(0, std::memory_order_relaxed);
  forget_process_pending();
  kernel_mask(SIG_SETMASK, self->sigmask.load(std::memory_order_relaxed), nullptr);
}

bool signalfd_reads(int sig) {
  return signalfd_signals.load(std::memory_order_acquire) & sig_bit(sig);
}

void signalfd_watch(uint64_t set) {
  set &= routable();
  if ((signalfd_signals.load(std::memory_order_acquire) & set) == set) return;
  signalfd_signals.fetch_or(set, std::memory_order_acq_rel);
  uint32_t gen = signalfd_gen.fetch_add(1, std::memory_order_acq_rel) + 1;
  // Those weft already keeps for the process go back to the kernel's set.
  for (uint64_t bits = take_process_pending(set); bits; bits &= bits - 1)
    sys::call6(SYS_kill, sys::call6(SYS_getpid), __builtin_ctzll(bits) + 1);
  int tid = catcher_tid.load(std::memory_order_acquire);
  if (!signals_routed() || !tid) return;
  // Until the catcher has its new set, it could still take one of them.
  sys::call6(SYS_tgkill, sys::call6(SYS_getpid), tid, preempt_signal());
  for (int i = 0; i < 1000; i++) {  // at most a second
    uint32_t seen = catcher_gen.load(std::memory_order_acquire);
    if (int32_t(seen - gen) >= 0) return;
    timespec soon = sys::ns_to_timespec(sys::now_ns() + 1000000);
    sys::futex_wait(reinterpret_cast<uint32_t*>(&catcher_gen), seen, &soon);
  }
}

void sigmask_kernel_set(uint64_t mask) { kernel_mask(SIG_SETMASK, mask, nullptr); }

uint64_t sigmask_kernel_pending() {
  uint64_t set = 0;
  sys::call6(SYS_rt_sigpending, long(&set), 8);
  return set;
}

void sigmask_kernel_for_exec() {
  G* self = current_g();
  if (!self || self->is_g0 || !signals_routed()) return;
  kernel_mask(SIG_SETMASK, self->sigmask.load(std::memory_order_relaxed), nullptr);
}

void sigmask_kernel_restore() {
  G* self = current_g();
  if (!self || self->is_g0 || !signals_routed()) return;
  kernel_mask(SIG_SETMASK, routable(), nullptr);
}

}  // namespace weft
