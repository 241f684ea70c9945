// core/syscall_cancel.cpp — see core/syscall_cancel.h.
//
// Invariants: G::kcall is kKcallIn only while its G is between the window's
// constructor and leave(), where it makes nothing but the system call, so
// its M (G::m) cannot change and the G cannot exit; a canceller that won
// kKcallIn -> kKcallSignalling owns the right to signal that M until it
// stores kKcallSignalled, and the G does not leave the window before then.
// The signal is queued on the M's task when the send returns, so the G's
// next system call return (at the latest) delivers it, still inside the
// window.
#include "core/syscall_cancel.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "core/g.h"
#include "core/real.h"
#include "core/sched.h"
#include "core/self.h"
#include "core/sys.h"

namespace weft {
namespace {

// glibc's SIGCANCEL (nptl/pthreadP.h), which programs cannot use.
constexpr int kSigCancel = 32;
// si_value of weft's signal (glibc's pthread_cancel sends SI_TKILL ones).
constexpr int kMagic = 0x77656674;  // "weft"
// nptl/descr.h
constexpr int kCancelDisabled = 1 << 0;
constexpr int kCanceling = 1 << 2;
constexpr int kCanceled = 1 << 3;

// The kernel's struct sigaction on x86-64.
struct KernelSigaction {
  void (*handler)(int, siginfo_t*, void*);
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};

void (*glibc_handler)(int, siginfo_t*, void*);

void on_sigcancel(int sig, siginfo_t* si, void* ctx) {
  // Weft's: its only purpose was to end the system call with EINTR.
  if (si->si_code == SI_QUEUE && si->si_value.sival_int == kMagic) return;
  if (glibc_handler) glibc_handler(sig, si, ctx);
}

// Makes glibc install its SIGCANCEL handler now (it does so on its first
// pthread_cancel, and would later replace weft's), then puts weft's in
// front of it. The request goes to a dummy thread descriptor already marked
// cancelled, so glibc touches nothing else.
void install_handler() {
  static char dummy[tcb_off::kSizeofPthread] __attribute__((aligned(64)));
  tcb_field<int>(dummy, tcb_off::kTid) = 1;
  tcb_field<int>(dummy, tcb_off::kCancelHandling) = kCanceling | kCanceled;
  real<int (*)(pthread_t)>("pthread_cancel")(reinterpret_cast<pthread_t>(dummy));
  KernelSigaction old{};
  sys::call6(SYS_rt_sigaction, kSigCancel, 0, (long)&old, sizeof(uint64_t));
  if (old.handler == on_sigcancel) return;
  glibc_handler = (old.flags & SA_SIGINFO) ? old.handler : nullptr;
  KernelSigaction sa = old;
  sa.handler = on_sigcancel;
  sa.flags = (old.flags | SA_SIGINFO) & ~static_cast<unsigned long>(SA_RESTART);
  sys::call6(SYS_rt_sigaction, kSigCancel, (long)&sa, 0, sizeof(uint64_t));
}

void ensure_handler() {
  static uint32_t state;  // 0 none, 1 installing, 2 installed
  uint32_t s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
  if (s == 2) return;
  s = 0;
  if (__atomic_compare_exchange_n(&state, &s, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    install_handler();
    __atomic_store_n(&state, 2, __ATOMIC_RELEASE);
    return;
  }
  while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2) __builtin_ia32_pause();
}

}  // namespace

KernelCallWindow::KernelCallWindow(G* self) : self_(self && !self->is_g0 ? self : nullptr) {
  if (self_) self_->kcall.store(kKcallIn, std::memory_order_seq_cst);
}

bool KernelCallWindow::leave() {
  if (!self_) return signalled_;
  uint32_t s = kKcallIn;
  if (!self_->kcall.compare_exchange_strong(s, kKcallIdle, std::memory_order_seq_cst)) {
    while (self_->kcall.load(std::memory_order_acquire) != kKcallSignalled)
      __builtin_ia32_pause();
    // Collects the queued signal here, not in a later call of another G.
    sys::call6(SYS_getppid);
    self_->kcall.store(kKcallIdle, std::memory_order_relaxed);
    signalled_ = true;
  }
  self_ = nullptr;
  return signalled_;
}

void interrupt_kernel_call(G* g) {
  int ch = __atomic_load_n(&tcb_field<int>(g->tcb, tcb_off::kCancelHandling), __ATOMIC_SEQ_CST);
  if (ch & kCancelDisabled) return;
  if (g->kcall.load(std::memory_order_seq_cst) != kKcallIn) return;
  // Before claiming the G: the first install may take a while (glibc loads
  // libgcc_s), and a claimed G that left its call waits for the signal.
  ensure_handler();
  uint32_t s = kKcallIn;
  if (!g->kcall.compare_exchange_strong(s, kKcallSignalling, std::memory_order_seq_cst)) return;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_signo = kSigCancel;
  si.si_code = SI_QUEUE;
  si.si_pid = static_cast<pid_t>(sys::call6(SYS_getpid));
  si.si_uid = static_cast<uid_t>(sys::call6(SYS_getuid));
  si.si_value.sival_int = kMagic;
  sys::call6(SYS_rt_tgsigqueueinfo, si.si_pid, g->m->ktid, kSigCancel, (long)&si);
  g->kcall.store(kKcallSignalled, std::memory_order_release);
}

}  // namespace weft
