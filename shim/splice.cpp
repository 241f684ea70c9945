// shim/splice.cpp — sendfile, splice, tee, vmsplice, copy_file_range: the
// kernel moves the data and may wait for either end, so a G makes them as
// blocking system calls. splice, tee, vmsplice and copy_file_range are
// cancellation points in glibc; sendfile is not.
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/uio.h>

#include "core/export.h"
#include "shim/blocking_call.h"

using namespace weft;

namespace {
ssize_t sendfile_g(int out, int in, off_t* off, size_t n) {
  return blocking::libc_result(
      blocking::call([&] { return sys::call6(SYS_sendfile, out, in, (long)off, (long)n); }));
}
}  // namespace

WEFT_EXPORT ssize_t sendfile(int out, int in, off_t* off, size_t n) {
  if (!current_g()) return WEFT_CALL_REAL(sendfile, out, in, off, n);
  return sendfile_g(out, in, off, n);
}

WEFT_EXPORT ssize_t sendfile64(int out, int in, off64_t* off, size_t n) {
  if (!current_g()) return WEFT_CALL_REAL(sendfile64, out, in, off, n);
  return sendfile_g(out, in, off, n);
}

WEFT_EXPORT ssize_t splice(int in, off64_t* off_in, int out, off64_t* off_out, size_t n,
                           unsigned int flags) {
  if (!current_g()) return WEFT_CALL_REAL(splice, in, off_in, out, off_out, n, flags);
  return blocking::libc_result(blocking::call_cancellable([&] {
    return sys::call6(SYS_splice, in, (long)off_in, out, (long)off_out, (long)n, flags);
  }));
}

WEFT_EXPORT ssize_t tee(int in, int out, size_t n, unsigned int flags) {
  if (!current_g()) return WEFT_CALL_REAL(tee, in, out, n, flags);
  return blocking::libc_result(blocking::call_cancellable(
      [&] { return sys::call6(SYS_tee, in, out, (long)n, flags); }));
}

WEFT_EXPORT ssize_t vmsplice(int fd, const struct iovec* iov, size_t n, unsigned int flags) {
  if (!current_g()) return WEFT_CALL_REAL(vmsplice, fd, iov, n, flags);
  return blocking::libc_result(blocking::call_cancellable(
      [&] { return sys::call6(SYS_vmsplice, fd, (long)iov, (long)n, flags); }));
}

WEFT_EXPORT ssize_t copy_file_range(int in, off64_t* off_in, int out, off64_t* off_out,
                                    size_t n, unsigned int flags) {
  if (!current_g()) return WEFT_CALL_REAL(copy_file_range, in, off_in, out, off_out, n, flags);
  return blocking::libc_result(blocking::call_cancellable([&] {
    return sys::call6(SYS_copy_file_range, in, (long)off_in, out, (long)off_out, (long)n, flags);
  }));
}
