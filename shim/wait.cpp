// shim/wait.cpp — wait, waitpid, wait4, waitid: waiting for a child blocks
// in the kernel, so a G makes the call as a blocking system call (its P runs
// the other Gs meanwhile). All are cancellation points (shim/blocking_call.h).
// A G wired to its M since it forked is unwired once it has no children
// left (shim/ptrace.cpp).
#include <sys/resource.h>
#include <sys/wait.h>

#include "core/export.h"
#include "shim/blocking_call.h"
#include "shim/identity.h"

using namespace weft;

namespace {
pid_t wait4_g(pid_t pid, int* status, int options, struct rusage* usage) {
  long r = blocking::call_cancellable(
      [&] { return sys::call6(SYS_wait4, pid, (long)status, options, (long)usage); });
  after_wait();
  return static_cast<pid_t>(blocking::libc_result(r));
}
}  // namespace

WEFT_EXPORT pid_t wait4(pid_t pid, int* status, int options, struct rusage* usage) {
  if (!current_g()) return WEFT_CALL_REAL(wait4, pid, status, options, usage);
  return wait4_g(pid, status, options, usage);
}

WEFT_EXPORT pid_t waitpid(pid_t pid, int* status, int options) {
  if (!current_g()) return WEFT_CALL_REAL(waitpid, pid, status, options);
  return wait4_g(pid, status, options, nullptr);
}

WEFT_EXPORT pid_t wait(int* status) {
  if (!current_g()) return WEFT_CALL_REAL(wait, status);
  return wait4_g(-1, status, 0, nullptr);
}

WEFT_EXPORT int waitid(idtype_t type, id_t id, siginfo_t* info, int options) {
  if (!current_g()) return WEFT_CALL_REAL(waitid, type, id, info, options);
  long r = blocking::call_cancellable(
      [&] { return sys::call6(SYS_waitid, type, id, (long)info, options, 0); });
  after_wait();
  return static_cast<int>(blocking::libc_result(r));
}
