// shim/sigaltstack.cpp — sigaltstack: an alternate signal stack per thread.
// The kernel keeps one per task, i.e. per M; weft keeps each G's and makes
// it its M's whenever the G runs (core/signal.h, altstack_switch_in), so a
// fault on a thread (a stack overflow) runs its SA_ONSTACK handler on that
// thread's own alternate stack, and one thread disabling its stack leaves
// the others' alone. The kernel checks the request, on the caller's M.
#include <errno.h>
#include <signal.h>

#include "core/export.h"
#include "core/sched.h"
#include "core/signal.h"
#include "core/sys.h"
#include "shim/blocking_call.h"
#include "shim/signal_calls.h"

using namespace weft;

namespace weft {
// The raw result, for syscall(SYS_sigaltstack) too.
long altstack_g(G* self, const stack_t* ss, stack_t* old) {
  M* m = self->m;
  // The M's task holds the G's stack now (or none): the kernel answers for
  // it, including SS_ONSTACK and EPERM while running on it.
  if (self->alt_sp != m->alt_sp) altstack_switch_in(self);
  stack_t now;
  long r = sys::call6(SYS_sigaltstack, long(ss), long(&now));
  if (r != 0) return r;
  if (old) *old = now;
  if (ss) {
    stack_t set;
    sys::call6(SYS_sigaltstack, 0, long(&set));
    bool off = set.ss_flags & SS_DISABLE;
    self->alt_sp = m->alt_sp = off ? nullptr : set.ss_sp;
    self->alt_size = m->alt_size = off ? 0 : set.ss_size;
    m->alt_flags = off ? SS_DISABLE : (set.ss_flags & ~SS_ONSTACK);
    self->alt_autodisarm = m->alt_flags & kSsAutoDisarm;
  }
  return 0;
}
}  // namespace weft

WEFT_EXPORT int sigaltstack(const stack_t* ss, stack_t* old) {
  G* self = current_g();
  if (!self || self->is_g0) return WEFT_CALL_REAL(sigaltstack, ss, old);
  return int(blocking::libc_result(altstack_g(self, ss, old)));
}
