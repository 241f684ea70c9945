// core/sigmask.h — the kernel signal mask of an M versus the signal mask of
// the G it runs (core/signal.cpp).
//
// In a process with more than one thread, weft's Ms keep the signals a
// program can block blocked in the kernel; each G's mask lives in weft, and
// signals are routed to Gs by weft. A new program image (execve,
// posix_spawn, system, popen) inherits the kernel mask of the calling task,
// so every path that makes one brackets it with these calls.
#pragma once

namespace weft {

// Puts the current G's own mask into its M's kernel mask (until the
// matching sigmask_kernel_restore). Safe with no current G.
void sigmask_kernel_for_exec();
// Undoes sigmask_kernel_for_exec (the exec failed, or the spawn returned).
void sigmask_kernel_restore();

}  // namespace weft
