// core/own_fd.h — descriptors that weft opens for itself on the program's
// behalf (a SIGEV_THREAD timer's timerfd, mq_notify's netlink socket), as
// opposed to the netpoller's own two (core/netpoll.h).
//
// Natively these facilities use no descriptor the program can see, so a
// program that closes every descriptor it did not open (closefrom, a loop
// of close) must not break them: close, close_range and closefrom leave
// the descriptors listed here alone, as they do the netpoller's
// (shim/close.cpp). dup2/dup3 over one cannot be refused; its owner then
// finds it gone (netpoll_wait says EBADF) and gives it up.
#pragma once

namespace weft {

// Lists fd as weft's own (until own_fd_remove). Descriptors at or above
// 2^20 (Linux's default fs.nr_open) are not listed.
void own_fd_add(int fd);
void own_fd_remove(int fd);
// Whether fd is listed. Lock-free; one load while none is.
bool own_fd(int fd);
// The lowest listed descriptor in [first, last], or -1.
int own_fd_next(unsigned first, unsigned last);

}  // namespace weft
