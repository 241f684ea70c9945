// shim/syscall_io.cpp — syscall(2) with an fd I/O number, as the wrappers
// make the call (shim/fd_io.h) but without their cancellation point (NPTL's
// syscall() is none): a G parks in the netpoller instead of blocking its M,
// and close/dup2/dup3/close_range keep the netpoller's records right for
// every caller. Other numbers are left to shim/syscall.cpp.
#include <sys/socket.h>
#include <sys/syscall.h>

#include "shim/fd_io.h"

namespace weft::io {

bool syscall_io(long n, const long a[6], long* r) {
  int fd = int(a[0]);
  switch (n) {
    case SYS_close: *r = close_fd(fd); return true;
    case SYS_dup2: *r = dup_over(n, fd, int(a[1]), 0); return true;
    case SYS_dup3: *r = dup_over(n, fd, int(a[1]), int(a[2])); return true;
    case SYS_close_range: *r = close_fd_range(unsigned(a[0]), unsigned(a[1]), int(a[2])); return true;
    default: break;
  }
  if (!parkable()) return false;
  auto* iov = reinterpret_cast<const iovec*>(a[1]);
  switch (n) {
    case SYS_read:
    case SYS_write: {
      iovec one{reinterpret_cast<void*>(a[1]), size_t(a[2])};
      *r = rw(fd, &one, 1, -1, 0, n == SYS_read ? kPollRead : kPollWrite, false);
      return true;
    }
    case SYS_readv:
    case SYS_writev:
      *r = rw(fd, iov, int(a[2]), -1, 0, n == SYS_readv ? kPollRead : kPollWrite, false);
      return true;
    case SYS_pread64:
    case SYS_pwrite64: {
      if (a[3] < 0) return false;
      iovec one{reinterpret_cast<void*>(a[1]), size_t(a[2])};
      *r = rw(fd, &one, 1, a[3], 0, n == SYS_pread64 ? kPollRead : kPollWrite, false);
      return true;
    }
    case SYS_preadv:
    case SYS_pwritev:
      if (a[3] < 0) return false;
      *r = rw(fd, iov, int(a[2]), a[3], 0, n == SYS_preadv ? kPollRead : kPollWrite, false);
      return true;
    case SYS_preadv2:
    case SYS_pwritev2:
      if (a[3] < -1) return false;
      *r = rw(fd, iov, int(a[2]), a[3], int(a[5]), n == SYS_preadv2 ? kPollRead : kPollWrite,
              false);
      return true;
    case SYS_recvfrom:
      *r = recv_from(fd, reinterpret_cast<void*>(a[1]), size_t(a[2]), int(a[3]),
                     reinterpret_cast<sockaddr*>(a[4]), reinterpret_cast<socklen_t*>(a[5]), false);
      return true;
    case SYS_sendto:
      *r = send_to(fd, reinterpret_cast<const void*>(a[1]), size_t(a[2]), int(a[3]),
                   reinterpret_cast<const sockaddr*>(a[4]), socklen_t(a[5]), false);
      return true;
    case SYS_recvmsg: *r = recv_msg(fd, reinterpret_cast<msghdr*>(a[1]), int(a[2]), false); return true;
    case SYS_sendmsg: *r = send_msg(fd, reinterpret_cast<const msghdr*>(a[1]), int(a[2]), false); return true;
    case SYS_recvmmsg:
      *r = recv_mmsg(fd, reinterpret_cast<mmsghdr*>(a[1]), unsigned(a[2]), int(a[3]),
                     reinterpret_cast<timespec*>(a[4]), false);
      return true;
    case SYS_sendmmsg:
      *r = send_mmsg(fd, reinterpret_cast<mmsghdr*>(a[1]), unsigned(a[2]), int(a[3]), false);
      return true;
    case SYS_accept:
    case SYS_accept4:
      *r = io::accept4(fd, reinterpret_cast<sockaddr*>(a[1]), reinterpret_cast<socklen_t*>(a[2]),
                   n == SYS_accept4 ? int(a[3]) : 0, false);
      return true;
    case SYS_connect:
      *r = io::connect(fd, reinterpret_cast<const sockaddr*>(a[1]), socklen_t(a[2]), false);
      return true;
    default:
      return false;
  }
}

}  // namespace weft::io
