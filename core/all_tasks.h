// core/all_tasks.h — one system call on every kernel task of the process
// (Go's AllThreadsSyscall), for the credentials calls (shim/setxid.cpp).
#pragma once

namespace weft {

// Makes system call nr(a0, a1, a2) on the calling task and, if it succeeds
// there, on every other task of the process: Ms, the monitor, the spawner,
// glibc's own helper threads. Returns the caller's result (-errno on
// failure, when no other task was touched). A task that answers otherwise
// than the caller ends the process, as glibc's set*id does.
long syscall_all_tasks(long nr, long a0, long a1 = 0, long a2 = 0);

}  // namespace weft
