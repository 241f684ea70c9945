// core/syscall_cancel.cpp — see core/syscall_cancel.h.
//
// Invariants: G::kcall is kKcallIn (or kKcallInAsyncOnly) only while its G
// is between the window's constructor and leave(), where it makes nothing
// but the system call, so its M (G::m) cannot change and the G cannot exit;
// a canceller that won that state -> kKcallSignalling owns the right to signal that M until it
// stores kKcallSignalled, and the G does not leave the window before then.
// The signal is queued on the M's task when the send returns, so the G's
// next system call return (at the latest) delivers it, still inside the
// window. The handler is installed with SA_RESTART, as glibc installs its
// own (a stray delivery must not fail a call that would have restarted):
// a call the kernel rewound to be restarted is made to fail with EINTR by
// the handler instead, when its G is in a signalled window; that also
// covers a signal that lands on the system call instruction itself, before
// the call. (One that lands on the few instructions between the window's
// last look at the request and the call is still missed: the call then
// waits for its own end.)
#include "core/syscall_cancel.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/async_cancel.h"
#include "core/cancel_bits.h"
#include "core/g.h"
#include "core/real.h"
#include "core/sched.h"
#include "core/self.h"
#include "core/sigmask.h"
#include "core/sys.h"

namespace weft {
namespace {

// glibc's SIGCANCEL (nptl/pthreadP.h), which programs cannot use.
constexpr int kSigCancel = 32;
// si_value of weft's signal (glibc's pthread_cancel sends SI_TKILL ones).
constexpr int kMagic = 0x77656674;  // "weft"

void (*glibc_handler)(int, siginfo_t*, void*);

// A system call at the interrupted instruction (rewound there to be
// restarted, or not made yet) returns EINTR instead.
void fail_with_eintr(ucontext_t* uc) {
  greg_t* r = uc->uc_mcontext.gregs;
  auto* ip = reinterpret_cast<const unsigned char*>(r[REG_RIP]);
  if (ip[0] != 0x0f || ip[1] != 0x05) return;
  r[REG_RAX] = -EINTR;
  r[REG_RIP] += 2;
}

void on_sigcancel(int sig, siginfo_t* si, void* ctx) {
  if (si->si_code == SI_QUEUE && si->si_value.sival_int == kMagic) {
    // Weft's: to end a cancellable system call, or (otherwise) to make a
    // G cancel itself asynchronously.
    G* g = current_g();
    uint32_t k = g ? g->kcall.load(std::memory_order_acquire) : kKcallIdle;
    if (k == kKcallSignalling || k == kKcallSignalled) {
      if (!async_cancel_in_libc_call(static_cast<ucontext_t*>(ctx)))
        fail_with_eintr(static_cast<ucontext_t*>(ctx));
    } else {
      async_cancel_on_signal(static_cast<ucontext_t*>(ctx));
    }
    return;
  }
  if (glibc_handler) glibc_handler(sig, si, ctx);
}

// Makes glibc install its SIGCANCEL handler now (it does so on its first
// pthread_cancel, and would later replace weft's), then puts weft's in
// front of it. The request goes to a dummy thread descriptor already marked
// cancelled, so glibc touches nothing else.
void install_handler() {
  static char dummy[tcb_off::kSizeofPthread] __attribute__((aligned(64)));
  tcb_field<int>(dummy, tcb_off::kTid) = 1;
  *cancel_bits::word(dummy) = cancel_bits::kCanceling | cancel_bits::kCanceled;
  real<int (*)(pthread_t)>("pthread_cancel")(reinterpret_cast<pthread_t>(dummy));
  KernelAction old{};
  sys::call6(SYS_rt_sigaction, kSigCancel, 0, (long)&old, sizeof(uint64_t));
  if (old.action == on_sigcancel) return;
  glibc_handler = (old.flags & SA_SIGINFO) ? old.action : nullptr;
  KernelAction sa = old;
  sa.action = on_sigcancel;
  sa.flags = old.flags | SA_SIGINFO | SA_RESTART;
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

KernelCallWindow::KernelCallWindow(G* self, bool cancellation_point)
    : self_(self && !self->is_g0 ? self : nullptr),
      in_(cancellation_point ? kKcallIn : kKcallInAsyncOnly) {
  if (self_) self_->kcall.store(in_, std::memory_order_seq_cst);
}

bool KernelCallWindow::leave() {
  if (!self_) return signalled_;
  uint32_t s = in_;
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
  int ch = cancel_bits::load(g->tcb);
  if (ch & cancel_bits::kDisabled) return;
  uint32_t s = g->kcall.load(std::memory_order_seq_cst);
  if (s != kKcallIn && !(s == kKcallInAsyncOnly && cancel_bits::due_async(ch))) return;
  // Before claiming the G: the first install may take a while (glibc loads
  // libgcc_s), and a claimed G that left its call waits for the signal.
  ensure_handler();
  if (!g->kcall.compare_exchange_strong(s, kKcallSignalling, std::memory_order_seq_cst)) return;
  send_cancel_signal(g->m->ktid);
  g->kcall.store(kKcallSignalled, std::memory_order_release);
}

void send_cancel_signal(int ktid) {
  ensure_handler();
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_signo = kSigCancel;
  si.si_code = SI_QUEUE;
  si.si_pid = static_cast<pid_t>(sys::call6(SYS_getpid));
  si.si_uid = static_cast<uid_t>(sys::call6(SYS_getuid));
  si.si_value.sival_int = kMagic;
  sys::call6(SYS_rt_tgsigqueueinfo, si.si_pid, ktid, kSigCancel, (long)&si);
}

}  // namespace weft
