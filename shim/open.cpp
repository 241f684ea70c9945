// shim/open.cpp — open, openat and their 64 and _FORTIFY_SOURCE (__*_2)
// forms. Opening a FIFO waits in the kernel until the other end opens it
// (and an open on a slow file system waits for the disk), so a G always
// opens as a blocking system call: the scope's fast path costs less than
// the stat that could tell a FIFO apart. Cancellation points, as in glibc.
// The mode argument is read only when the flags need it (O_CREAT,
// O_TMPFILE), as glibc does; the __*_2 forms abort through glibc when they
// do (a missing mode).
#include <fcntl.h>
#include <stdarg.h>

#include "core/export.h"
#include "shim/blocking_call.h"

using namespace weft;

namespace {
bool needs_mode(int flags) { return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE; }

int openat_g(int dirfd, const char* path, int flags, mode_t mode) {
  return static_cast<int>(blocking::libc_result(blocking::call_cancellable(
      [&] { return sys::call6(SYS_openat, dirfd, (long)path, flags, mode); })));
}

mode_t mode_arg(int flags, va_list ap) { return needs_mode(flags) ? va_arg(ap, mode_t) : 0; }
}  // namespace

WEFT_EXPORT int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  if (!current_g()) return WEFT_CALL_REAL(open, path, flags, mode);
  return openat_g(AT_FDCWD, path, flags, mode);
}

WEFT_EXPORT int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  if (!current_g()) return WEFT_CALL_REAL(open64, path, flags, mode);
  return openat_g(AT_FDCWD, path, flags, mode);
}

WEFT_EXPORT int openat(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  if (!current_g()) return WEFT_CALL_REAL(openat, dirfd, path, flags, mode);
  return openat_g(dirfd, path, flags, mode);
}

WEFT_EXPORT int openat64(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  if (!current_g()) return WEFT_CALL_REAL(openat64, dirfd, path, flags, mode);
  return openat_g(dirfd, path, flags, mode);
}

extern "C" int __open_2(const char*, int);
extern "C" int __open64_2(const char*, int);
extern "C" int __openat_2(int, const char*, int);
extern "C" int __openat64_2(int, const char*, int);

WEFT_EXPORT int __open_2(const char* path, int flags) {
  if (!current_g() || needs_mode(flags)) return WEFT_CALL_REAL(__open_2, path, flags);
  return openat_g(AT_FDCWD, path, flags, 0);
}

WEFT_EXPORT int __open64_2(const char* path, int flags) {
  if (!current_g() || needs_mode(flags)) return WEFT_CALL_REAL(__open64_2, path, flags);
  return openat_g(AT_FDCWD, path, flags, 0);
}

WEFT_EXPORT int __openat_2(int dirfd, const char* path, int flags) {
  if (!current_g() || needs_mode(flags)) return WEFT_CALL_REAL(__openat_2, dirfd, path, flags);
  return openat_g(dirfd, path, flags, 0);
}

WEFT_EXPORT int __openat64_2(int dirfd, const char* path, int flags) {
  if (!current_g() || needs_mode(flags)) return WEFT_CALL_REAL(__openat64_2, dirfd, path, flags);
  return openat_g(dirfd, path, flags, 0);
}
