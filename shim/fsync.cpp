// shim/fsync.cpp — fsync, fdatasync, sync_file_range: writing back to the
// device waits in the kernel, so a G makes them as blocking system calls.
// Cancellation points, as in glibc.
#include <fcntl.h>
#include <unistd.h>

#include "core/export.h"
#include "shim/blocking_call.h"

using namespace weft;

WEFT_EXPORT int fsync(int fd) {
  if (!current_g()) return WEFT_CALL_REAL(fsync, fd);
  return static_cast<int>(blocking::libc_result(
      blocking::call_cancellable([&] { return sys::call6(SYS_fsync, fd); })));
}

WEFT_EXPORT int fdatasync(int fd) {
  if (!current_g()) return WEFT_CALL_REAL(fdatasync, fd);
  return static_cast<int>(blocking::libc_result(
      blocking::call_cancellable([&] { return sys::call6(SYS_fdatasync, fd); })));
}

WEFT_EXPORT int sync_file_range(int fd, off64_t off, off64_t n, unsigned int flags) {
  if (!current_g()) return WEFT_CALL_REAL(sync_file_range, fd, off, n, flags);
  return static_cast<int>(blocking::libc_result(blocking::call_cancellable(
      [&] { return sys::call6(SYS_sync_file_range, fd, off, n, flags); })));
}
