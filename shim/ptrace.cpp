// shim/ptrace.cpp — ptrace from a G.
//
// The kernel takes ptrace requests for a tracee only from the task that
// traces it, and a G moves between tasks (Ms). So a G that makes a ptrace
// request (any but PTRACE_TRACEME, which makes the caller a tracee) is
// wired to its M first and stays wired until it exits (core/wire.h): its
// attachments and its requests all come from that one task. A child that
// calls PTRACE_TRACEME is traced by the task that forked it, before its
// parent thread has made any request; so a G that forks is wired from just
// before the fork until it has no children left (seen after each of its
// wait-family calls: a wait with WNOWAIT|WNOHANG that reports ECHILD). A
// fork child starts unwired. A process that has not created a thread yet
// has no M to hand its P to while a wired G parks (core/monitor.h), but
// then its one G cannot leave M0 either: it is wired when the first thread
// is created, if its children are still there.
#include <errno.h>
#include <stdarg.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "core/export.h"
#include "core/monitor.h"
#include "core/real.h"
#include "core/sys.h"
#include "core/wire.h"
#include "shim/identity.h"
#include "shim/thread.h"

namespace weft {

void before_ptrace(long request) {
  if (request != PTRACE_TRACEME && runtime_active()) wire_current(kWireTrace);
}

namespace {
// The only G of a process without threads forked (see top).
bool forked_alone = false;
}  // namespace

void after_wait() {
  if (!wired_for(kWireFork) && !forked_alone) return;
  siginfo_t info;
  long r = sys::call6(SYS_waitid, P_ALL, 0, long(&info),
                      WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT | __WALL, 0);
  if (r != -ECHILD) return;
  forked_alone = false;
  unwire_current(kWireFork);
}

void ptrace_fork_prepare() {
  G* g = current_g();
  if (!g || g->is_g0 || !runtime_active()) return;
  if (monitor_started())
    wire_current(kWireFork);
  else
    forked_alone = true;
}

void ptrace_threads_begin() {
  if (!forked_alone) return;
  forked_alone = false;
  wire_current(kWireFork);
}

void ptrace_fork_child() {
  forked_alone = false;
  unwire_current(kWireFork);
  unwire_current(kWireTrace);
  // Still wired (a robust mutex held): to this process's task now.
  if (G* g = current_g(); g && g->locked_m) g->locked_tid = sys::gettid();
}

}  // namespace weft

using namespace weft;

WEFT_EXPORT long ptrace(enum __ptrace_request request, ...) {
  va_list ap;
  va_start(ap, request);
  pid_t pid = va_arg(ap, pid_t);
  void* addr = va_arg(ap, void*);
  void* data = va_arg(ap, void*);
  va_end(ap);
  before_ptrace(request);
  using Fn = long (*)(enum __ptrace_request, ...);
  static Fn real_ptrace = real<Fn>("ptrace");
  return real_ptrace(request, pid, addr, data);
}
