// shim/identity.cpp — setting up thread identity, its fork handlers, and the
// syscall(2) forms of the identity calls.
//
// The main thread's rseq area: glibc registers it with the kernel for the
// main kernel thread (M0), so the kernel keeps writing M0's CPU there while
// the main G may run on another M (and would apply an rseq critical section
// the main G set up to whatever M0 runs). weft unregisters it, as it never
// registers Gs' areas, and marks it unregistered (cpu_id -1), so glibc's
// sched_getcpu() in any G asks the kernel for the CPU of the M it runs on.
#include <linux/rseq.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "core/cputime.h"
#include "core/sys.h"
#include "core/tid.h"
#include "shim/identity.h"
#include "shim/thread.h"

extern "C" {
extern const unsigned int __rseq_size __attribute__((weak));
extern const ptrdiff_t __rseq_offset __attribute__((weak));
}

namespace weft {
namespace {

constexpr long kRseqSig = 0x53053053;  // glibc's RSEQ_SIG on x86
constexpr unsigned kRseqOrigSize = 32;

void unregister_main_rseq() {
  if (!&__rseq_size || !&__rseq_offset || __rseq_size == 0) return;
  char* area = thread_pointer() + __rseq_offset;
  // glibc 2.36 registers 32 bytes (the original struct rseq) and exports
  // the size of the fields it knows (20) as __rseq_size; the kernel wants
  // the registered length back.
  long len = __rseq_size < kRseqOrigSize ? kRseqOrigSize : __rseq_size;
  if (sys::call6(SYS_rseq, long(area), len, RSEQ_FLAG_UNREGISTER, kRseqSig) != 0) return;
  __atomic_store_n(reinterpret_cast<int32_t*>(area + offsetof(struct rseq, cpu_id)), -1,
                   __ATOMIC_RELAXED);
}

void fork_prepare() { ptrace_fork_prepare(); }

void fork_child() {
  G* self = current_g();
  if (!self || self->is_g0) return;
  tid_after_fork(self);
  cputime_after_fork(self);
  name_kernel_thread(self);
  ptrace_fork_child();
}

}  // namespace

void identity_init(G* main_g, G* m0_g0) {
  tid_assign(m0_g0);
  tid_set_main(main_g);
  cputime_init(main_g);
  unregister_main_rseq();
  pthread_atfork(fork_prepare, nullptr, fork_child);
}

bool identity_syscall(long n, const long* a, long* r) {
  switch (n) {
    case SYS_gettid:
      *r = gettid();
      return true;
    case SYS_tgkill:
      *r = signal_thread(a[0] <= 0 ? -1 : a[0], a[1], a[2]);
      return true;
    case SYS_tkill:
      *r = signal_thread(0, a[0], a[1]);
      return true;
    case SYS_clock_gettime:
    case SYS_clock_getres:
      return g_clock_read(clockid_t(a[0]), reinterpret_cast<timespec*>(a[1]),
                          n == SYS_clock_getres, r);
    case SYS_prctl: {
      G* g = current_g();
      if ((a[0] != PR_SET_NAME && a[0] != PR_GET_NAME) || !g || g->is_g0 || !runtime_active())
        return false;
      *r = prctl_name(int(a[0]), a[1]);
      return true;
    }
    case SYS_ptrace:
      before_ptrace(a[0]);
      return false;  // the kernel's, from this M
    default:
      return false;
  }
}

}  // namespace weft
