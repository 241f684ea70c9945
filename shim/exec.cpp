// shim/exec.cpp — the exec family. A new program image inherits the kernel
// signal mask of the task that makes it, while weft keeps each G's own mask
// apart from its M's (core/sigmask.h): every call is bracketed so the image
// starts with the calling thread's mask, and the M's is put back when the
// call fails. The other threads need nothing: the kernel ends their tasks.
// execl, execle and execlp collect their arguments as glibc does (on the
// stack) and call the vector forms of libc directly.
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <unistd.h>

#include "core/export.h"
#include "core/real.h"
#include "shim/new_image.h"

namespace weft {
namespace {

using ExecveFn = int (*)(const char*, char* const*, char* const*);
using ExecvFn = int (*)(const char*, char* const*);

}  // namespace
}  // namespace weft

using weft::real;
using weft::with_own_mask;

WEFT_EXPORT int execve(const char* path, char* const argv[], char* const envp[]) {
  static auto fn = real<weft::ExecveFn>("execve");
  return with_own_mask([&] { return fn(path, argv, envp); });
}

WEFT_EXPORT int execv(const char* path, char* const argv[]) {
  static auto fn = real<weft::ExecvFn>("execv");
  return with_own_mask([&] { return fn(path, argv); });
}

WEFT_EXPORT int execvp(const char* file, char* const argv[]) {
  static auto fn = real<weft::ExecvFn>("execvp");
  return with_own_mask([&] { return fn(file, argv); });
}

WEFT_EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) {
  static auto fn = real<weft::ExecveFn>("execvpe");
  return with_own_mask([&] { return fn(file, argv, envp); });
}

WEFT_EXPORT int fexecve(int fd, char* const argv[], char* const envp[]) {
  static auto fn = real<int (*)(int, char* const*, char* const*)>("fexecve");
  return with_own_mask([&] { return fn(fd, argv, envp); });
}

WEFT_EXPORT int execveat(int dirfd, const char* path, char* const argv[], char* const envp[],
                         int flags) {
  static auto fn = real<int (*)(int, const char*, char* const*, char* const*, int)>("execveat");
  return with_own_mask([&] { return fn(dirfd, path, argv, envp, flags); });
}

// The list forms: argv is built on the stack, then the vector form runs.
// E2BIG past INT_MAX arguments, as glibc.
#define WEFT_COLLECT_ARGS(arg0, ap, argv)                              \
  size_t argc = 1;                                                     \
  va_start(ap, arg0);                                                  \
  while (va_arg(ap, char*)) argc++;                                    \
  va_end(ap);                                                          \
  if (argc >= INT_MAX) {                                               \
    errno = E2BIG;                                                     \
    return -1;                                                         \
  }                                                                    \
  char* argv[argc + 1];                                                \
  argv[0] = const_cast<char*>(arg0);                                   \
  va_start(ap, arg0);                                                  \
  for (size_t i = 1; i <= argc; i++) argv[i] = va_arg(ap, char*)

WEFT_EXPORT int execl(const char* path, const char* arg0, ...) {
  va_list ap;
  WEFT_COLLECT_ARGS(arg0, ap, argv);
  va_end(ap);
  return execv(path, argv);
}

WEFT_EXPORT int execlp(const char* file, const char* arg0, ...) {
  va_list ap;
  WEFT_COLLECT_ARGS(arg0, ap, argv);
  va_end(ap);
  return execvp(file, argv);
}

WEFT_EXPORT int execle(const char* path, const char* arg0, ...) {
  va_list ap;
  WEFT_COLLECT_ARGS(arg0, ap, argv);
  char* const* envp = va_arg(ap, char* const*);
  va_end(ap);
  return execve(path, argv, envp);
}
