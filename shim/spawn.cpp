// shim/spawn.cpp — posix_spawn, posix_spawnp, system, popen and pclose.
// glibc starts the child with clone(CLONE_VM | CLONE_VFORK) and runs only
// its own internal functions in it, so none of weft's code runs between the
// clone and the exec; what the child needs from weft is the calling
// thread's signal mask in the kernel (the child copies its task's), put
// there for the duration of the call (shim/new_image.h). The caller's
// kernel thread then waits until the child has exec'd (system() and pclose()
// until it has ended), so each call but system() is a blocking system call
// for weft: its P goes on to another M meanwhile.
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/blocking.h"
#include "core/export.h"
#include "core/real.h"
#include "shim/new_image.h"

namespace weft {
namespace {

using SpawnFn = int (*)(pid_t*, const char*, const posix_spawn_file_actions_t*,
                        const posix_spawnattr_t*, char* const*, char* const*);

}  // namespace
}  // namespace weft

using weft::real;
using weft::with_own_mask;

WEFT_EXPORT int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* fa,
                            const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  static auto fn = real<weft::SpawnFn>("posix_spawn");
  return with_own_mask([&] {
    weft::BlockingSyscallScope blocking;
    return fn(pid, path, fa, attr, argv, envp);
  });
}

WEFT_EXPORT int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* fa,
                             const posix_spawnattr_t* attr, char* const argv[],
                             char* const envp[]) {
  static auto fn = real<weft::SpawnFn>("posix_spawnp");
  return with_own_mask([&] {
    weft::BlockingSyscallScope blocking;
    return fn(pid, file, fa, attr, argv, envp);
  });
}

// system() is a cancellation point that glibc implements (its wait makes
// the thread asynchronously cancellable for the call), so the thread stays
// an ordinary running one, which weft's asynchronous cancellation reaches
// (core/async_cancel.h); the monitor lends its P meanwhile (a stuck M).
WEFT_EXPORT int system(const char* command) {
  static auto fn = real<int (*)(const char*)>("system");
  return with_own_mask([&] { return fn(command); });
}

WEFT_EXPORT FILE* popen(const char* command, const char* mode) {
  static auto fn = real<FILE* (*)(const char*, const char*)>("popen");
  return with_own_mask([&] {
    weft::BlockingSyscallScope blocking;
    return fn(command, mode);
  });
}

WEFT_EXPORT int pclose(FILE* f) {
  static auto fn = real<int (*)(FILE*)>("pclose");
  weft::BlockingSyscallScope blocking;
  return fn(f);
}
