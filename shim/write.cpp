// shim/write.cpp — write, writev, pwrite(64), pwritev(64),
// pwritev2/pwritev64v2. A G writes through shim/fd_io.h: a non-blocking
// attempt, continued after a partial transfer and parked in the netpoller
// on EAGAIN until everything is written, as a blocking write does; other
// callers get libc's functions. All are cancellation points. A negative
// offset (pwrite, pwritev) is the kernel's error, from libc's own call.
// (_FORTIFY_SOURCE has no checked write.)
#include <sys/uio.h>
#include <unistd.h>

#include "core/export.h"
#include "shim/fd_io.h"

using namespace weft;

namespace {

ssize_t write_g(int fd, const iovec* iov, int n, long off, int flags) {
  io::cancel_point();
  return io::result(io::rw(fd, iov, n, off, flags, kPollWrite, true));
}

ssize_t do_pwrite(int fd, const void* buf, size_t n, off_t off) {
  static decltype(&pwrite64) real_pwrite;
  if (!io::parkable() || off < 0)
    return sync::real_cached(&real_pwrite, "pwrite64")(fd, buf, n, off);
  iovec iov{const_cast<void*>(buf), n};
  return write_g(fd, &iov, 1, off, 0);
}

ssize_t do_pwritev(int fd, const iovec* iov, int n, off_t off) {
  static decltype(&pwritev64) real_pwritev;
  if (!io::parkable() || off < 0)
    return sync::real_cached(&real_pwritev, "pwritev64")(fd, iov, n, off);
  return write_g(fd, iov, n, off, 0);
}

ssize_t do_pwritev2(int fd, const iovec* iov, int n, off_t off, int flags) {
  static decltype(&pwritev64v2) real_pwritev2;
  if (!io::parkable() || off < -1)
    return sync::real_cached(&real_pwritev2, "pwritev64v2")(fd, iov, n, off, flags);
  return write_g(fd, iov, n, off, flags);
}

}  // namespace

WEFT_EXPORT ssize_t write(int fd, const void* buf, size_t n) {
  static decltype(&write) real_write;
  if (!io::parkable()) return sync::real_cached(&real_write, "write")(fd, buf, n);
  iovec iov{const_cast<void*>(buf), n};
  return write_g(fd, &iov, 1, -1, 0);
}

WEFT_EXPORT ssize_t writev(int fd, const struct iovec* iov, int n) {
  static decltype(&writev) real_writev;
  if (!io::parkable()) return sync::real_cached(&real_writev, "writev")(fd, iov, n);
  return write_g(fd, iov, n, -1, 0);
}

WEFT_EXPORT ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  return do_pwrite(fd, buf, n, off);
}
WEFT_EXPORT ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t off) {
  return do_pwrite(fd, buf, n, off);
}

WEFT_EXPORT ssize_t pwritev(int fd, const struct iovec* iov, int n, off_t off) {
  return do_pwritev(fd, iov, n, off);
}
WEFT_EXPORT ssize_t pwritev64(int fd, const struct iovec* iov, int n, off64_t off) {
  return do_pwritev(fd, iov, n, off);
}

WEFT_EXPORT ssize_t pwritev2(int fd, const struct iovec* iov, int n, off_t off, int flags) {
  return do_pwritev2(fd, iov, n, off, flags);
}
WEFT_EXPORT ssize_t pwritev64v2(int fd, const struct iovec* iov, int n, off64_t off, int flags) {
  return do_pwritev2(fd, iov, n, off, flags);
}
