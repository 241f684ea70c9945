// core/blocking.h — bracket a system call that may block the kernel thread.
//
// Between enter and exit the G keeps its M but gives its P away, so the other
// Gs of that P run on another M (an idle one, or a new one). exit gets a P
// back (the same if it is still free) or queues the G and parks the M.
// No-ops for callers that are not Gs. Not nestable.
#pragma once

namespace weft {

// Returns whether it entered (a G in a blocking call already, as a signal
// handler's call on it is, does not enter again: the outer call's exit
// ends the state).
bool enter_blocking_syscall();
void exit_blocking_syscall();

struct BlockingSyscallScope {
  BlockingSyscallScope() : entered_(enter_blocking_syscall()) {}
  ~BlockingSyscallScope() {
    if (entered_) exit_blocking_syscall();
  }
  BlockingSyscallScope(const BlockingSyscallScope&) = delete;
  BlockingSyscallScope& operator=(const BlockingSyscallScope&) = delete;

 private:
  bool entered_;
};

}  // namespace weft
