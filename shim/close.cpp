// shim/close.cpp — close, close_range, closefrom, dup2, dup3: whatever
// ends an fd number's current file first tells the netpoller
// (netpoll_fd_closing), so Gs parked on it wake with EBADF and a reused
// number starts afresh (core/netpoll.cpp). weft's own descriptors (the
// netpoller's, and those of core/own_fd.h) are invisible to them: close
// says EBADF, close_range and closefrom skip them. dup2/dup3 forget newfd
// only if oldfd is open (they fail without touching newfd otherwise). close is a cancellation point (acting before
// the fd is closed, as NPTL's) and, for a G, a blocking system call (a
// lingering socket can block it). Not covered: close_range with
// CLOSE_RANGE_UNSHARE (it would unshare one M's table; passed through), and
// dup2/dup3 over weft's own descriptors.
#include <fcntl.h>
#include <linux/close_range.h>
#include <unistd.h>

#include "core/blocking.h"
#include "core/export.h"
#include "core/netpoll.h"
#include "core/own_fd.h"
#include "shim/fd_io.h"

using namespace weft;

namespace {

long close_range_raw(unsigned first, unsigned last, int flags) {
  return sys::call6(SYS_close_range, first, last, flags);
}

// The lowest descriptor in [lo, last] that is weft's (the netpoller's or
// core/own_fd.h's), or -1.
int next_weft_fd(unsigned lo, unsigned last) {
  int best = own_fd_next(lo, last);
  int own[2];
  for (int i = netpoll_owned_fds(own); i-- > 0;)
    if (unsigned(own[i]) >= lo && unsigned(own[i]) <= last && (best < 0 || own[i] < best))
      best = own[i];
  return best;
}

// close_range(first, last, 0) around weft's own descriptors: each stretch
// between them is forgotten by the netpoller and closed.
long close_range_sparing_own(unsigned first, unsigned last) {
  unsigned lo = first;
  for (;;) {
    int fd = next_weft_fd(lo, last);
    unsigned hi = fd < 0 ? last : unsigned(fd) - 1;
    if (fd < 0 || unsigned(fd) > lo) {
      netpoll_fd_range_closing(lo, hi);
      long r = close_range_raw(lo, hi, 0);
      if (r < 0 || fd < 0) return r;
    }
    if (unsigned(fd) == last) return 0;
    lo = unsigned(fd) + 1;
  }
}

bool weft_fd(int fd) { return netpoll_owns_fd(fd) || own_fd(fd); }

}  // namespace

namespace weft::io {

long close_fd(int fd) {
  if (weft_fd(fd)) return -EBADF;
  netpoll_fd_closing(fd);
  BlockingSyscallScope blocking;  // a no-op for non-G callers
  return sys::call6(SYS_close, fd);
}

long dup_over(long nr, int oldfd, int newfd, int flags) {
  if (oldfd != newfd && sys::call6(SYS_fcntl, oldfd, F_GETFD) >= 0) netpoll_fd_closing(newfd);
  return nr == SYS_dup2 ? sys::call6(SYS_dup2, oldfd, newfd) : sys::call6(SYS_dup3, oldfd, newfd, flags);
}

long close_fd_range(unsigned first, unsigned last, int flags) {
  if (first > last || flags != 0) return close_range_raw(first, last, flags);
  return close_range_sparing_own(first, last);
}

}  // namespace weft::io

WEFT_EXPORT int close(int fd) {
  static decltype(&close) real_close;
  if (io::parkable()) {
    io::cancel_point();
    return int(io::result(io::close_fd(fd)));
  }
  if (weft_fd(fd)) {
    errno = EBADF;
    return -1;
  }
  netpoll_fd_closing(fd);
  return sync::real_cached(&real_close, "close")(fd);
}

WEFT_EXPORT int close_range(unsigned first, unsigned last, int flags) {
  return int(io::result(io::close_fd_range(first, last, flags)));
}

WEFT_EXPORT void closefrom(int lowfd) { io::close_fd_range(lowfd < 0 ? 0u : unsigned(lowfd), ~0u, 0); }

WEFT_EXPORT int dup2(int oldfd, int newfd) {
  return int(io::result(io::dup_over(SYS_dup2, oldfd, newfd, 0)));
}

WEFT_EXPORT int dup3(int oldfd, int newfd, int flags) {
  return int(io::result(io::dup_over(SYS_dup3, oldfd, newfd, flags)));
}
