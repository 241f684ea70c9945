// shim/read.cpp — read, readv, pread(64), preadv(64), preadv2/preadv64v2,
// and the _FORTIFY_SOURCE entry points __read_chk, __pread_chk,
// __pread64_chk (glibc's check: a length beyond the buffer is
// __chk_fail()). A G reads through shim/fd_io.h (non-blocking attempt, park
// in the netpoller on EAGAIN); other callers get libc's functions. All are
// cancellation points. A negative offset (pread, preadv) is the kernel's
// error, from libc's own call.
#include <sys/uio.h>
#include <unistd.h>

#include "core/export.h"
#include "shim/fd_io.h"

extern "C" [[noreturn]] void __chk_fail(void);

using namespace weft;

namespace {

ssize_t read_g(int fd, const iovec* iov, int n, long off, int flags) {
  io::cancel_point();
  return io::result(io::rw(fd, iov, n, off, flags, kPollRead, true));
}

ssize_t do_read(int fd, void* buf, size_t n) {
  static decltype(&read) real_read;
  if (!io::parkable()) return sync::real_cached(&real_read, "read")(fd, buf, n);
  iovec iov{buf, n};
  return read_g(fd, &iov, 1, -1, 0);
}

ssize_t do_pread(int fd, void* buf, size_t n, off_t off) {
  static decltype(&pread64) real_pread;
  if (!io::parkable() || off < 0) return sync::real_cached(&real_pread, "pread64")(fd, buf, n, off);
  iovec iov{buf, n};
  return read_g(fd, &iov, 1, off, 0);
}

ssize_t do_preadv(int fd, const iovec* iov, int n, off_t off) {
  static decltype(&preadv64) real_preadv;
  if (!io::parkable() || off < 0) return sync::real_cached(&real_preadv, "preadv64")(fd, iov, n, off);
  return read_g(fd, iov, n, off, 0);
}

ssize_t do_preadv2(int fd, const iovec* iov, int n, off_t off, int flags) {
  static decltype(&preadv64v2) real_preadv2;
  if (!io::parkable() || off < -1)
    return sync::real_cached(&real_preadv2, "preadv64v2")(fd, iov, n, off, flags);
  return read_g(fd, iov, n, off, flags);
}

}  // namespace

WEFT_EXPORT ssize_t read(int fd, void* buf, size_t n) { return do_read(fd, buf, n); }

WEFT_EXPORT ssize_t readv(int fd, const struct iovec* iov, int n) {
  static decltype(&readv) real_readv;
  if (!io::parkable()) return sync::real_cached(&real_readv, "readv")(fd, iov, n);
  return read_g(fd, iov, n, -1, 0);
}

WEFT_EXPORT ssize_t pread(int fd, void* buf, size_t n, off_t off) { return do_pread(fd, buf, n, off); }
WEFT_EXPORT ssize_t pread64(int fd, void* buf, size_t n, off64_t off) {
  return do_pread(fd, buf, n, off);
}

WEFT_EXPORT ssize_t preadv(int fd, const struct iovec* iov, int n, off_t off) {
  return do_preadv(fd, iov, n, off);
}
WEFT_EXPORT ssize_t preadv64(int fd, const struct iovec* iov, int n, off64_t off) {
  return do_preadv(fd, iov, n, off);
}

WEFT_EXPORT ssize_t preadv2(int fd, const struct iovec* iov, int n, off_t off, int flags) {
  return do_preadv2(fd, iov, n, off, flags);
}
WEFT_EXPORT ssize_t preadv64v2(int fd, const struct iovec* iov, int n, off64_t off, int flags) {
  return do_preadv2(fd, iov, n, off, flags);
}

WEFT_EXPORT ssize_t __read_chk(int fd, void* buf, size_t n, size_t buflen) {
  if (n > buflen) __chk_fail();
  return do_read(fd, buf, n);
}

WEFT_EXPORT ssize_t __pread_chk(int fd, void* buf, size_t n, off_t off, size_t buflen) {
  if (n > buflen) __chk_fail();
  return do_pread(fd, buf, n, off);
}

WEFT_EXPORT ssize_t __pread64_chk(int fd, void* buf, size_t n, off64_t off, size_t buflen) {
  if (n > buflen) __chk_fail();
  return do_pread(fd, buf, n, off);
}
