// shim/file_locks.cpp — flock, lockf and fcntl's waiting lock commands.
//
// A lock held by another process can only be waited for in the kernel: a G
// makes the waiting forms (flock without LOCK_NB, fcntl F_SETLKW /
// F_OFD_SETLKW, lockf F_LOCK) as blocking system calls; every other command
// goes straight to libc. fcntl(F_SETLKW...) and lockf(F_LOCK) are
// cancellation points, flock is not (as in glibc).
#include <fcntl.h>
#include <stdarg.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/export.h"
#include "shim/blocking_call.h"

using namespace weft;

namespace {
bool waits_for_lock(int cmd) { return cmd == F_SETLKW || cmd == F_OFD_SETLKW; }

int setlkw(int fd, int cmd, void* lock) {
  return static_cast<int>(blocking::libc_result(
      blocking::call_cancellable([&] { return sys::call6(SYS_fcntl, fd, cmd, (long)lock); })));
}

// lockf(F_LOCK): a write lock from the current offset, as glibc's lockf.
int lockf_g(int fd, off_t len) {
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_CUR;
  fl.l_len = len;
  return setlkw(fd, F_SETLKW, &fl);
}
}  // namespace

WEFT_EXPORT int flock(int fd, int op) {
  if (!current_g() || (op & LOCK_NB)) return WEFT_CALL_REAL(flock, fd, op);
  return static_cast<int>(
      blocking::libc_result(blocking::call([&] { return sys::call6(SYS_flock, fd, op); })));
}

// glibc reads fcntl's optional argument as a pointer-sized value whatever
// the command.
WEFT_EXPORT int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  if (waits_for_lock(cmd) && current_g()) return setlkw(fd, cmd, arg);
  return WEFT_CALL_REAL(fcntl, fd, cmd, arg);
}

WEFT_EXPORT int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  if (waits_for_lock(cmd) && current_g()) return setlkw(fd, cmd, arg);
  return WEFT_CALL_REAL(fcntl64, fd, cmd, arg);
}

WEFT_EXPORT int lockf(int fd, int cmd, off_t len) {
  if (cmd != F_LOCK || !current_g()) return WEFT_CALL_REAL(lockf, fd, cmd, len);
  return lockf_g(fd, len);
}

WEFT_EXPORT int lockf64(int fd, int cmd, off64_t len) {
  if (cmd != F_LOCK || !current_g()) return WEFT_CALL_REAL(lockf64, fd, cmd, len);
  return lockf_g(fd, len);
}
