// shim/setxid.cpp — setuid, setgid, seteuid, setegid, setreuid, setregid,
// setresuid, setresgid, setgroups and initgroups. Credentials are per kernel
// task; glibc applies them to each of its threads with SIGSETXID, which
// livelocks when the signalled kernel thread runs a G (DESIGN-NOTES). weft
// makes the call on every task itself (core/all_tasks.h), with glibc's
// results: the caller's error when it is refused, and then nothing changed.
// Before start-up, or when weft runs threads natively, glibc's own code runs.
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/all_tasks.h"
#include "core/export.h"
#include "core/real.h"
#include "shim/thread.h"

namespace weft {
namespace {

long set_ids(long nr, long a0, long a1 = 0, long a2 = 0) {
  long r = syscall_all_tasks(nr, a0, a1, a2);
  if (r < 0) {
    errno = int(-r);
    return -1;
  }
  return r;
}

}  // namespace
}  // namespace weft

using weft::set_ids;

// Each entry point: glibc's when weft is not running threads.
#define WEFT_NATIVE_SETXID(name, ...)                                    \
  if (!weft::runtime_active())                                           \
    return weft::real<decltype(&name)>(#name)(__VA_ARGS__)

WEFT_EXPORT int setuid(uid_t uid) {
  WEFT_NATIVE_SETXID(setuid, uid);
  return int(set_ids(SYS_setuid, uid));
}

WEFT_EXPORT int setgid(gid_t gid) {
  WEFT_NATIVE_SETXID(setgid, gid);
  return int(set_ids(SYS_setgid, gid));
}

WEFT_EXPORT int setreuid(uid_t ruid, uid_t euid) {
  WEFT_NATIVE_SETXID(setreuid, ruid, euid);
  return int(set_ids(SYS_setreuid, ruid, euid));
}

WEFT_EXPORT int setregid(gid_t rgid, gid_t egid) {
  WEFT_NATIVE_SETXID(setregid, rgid, egid);
  return int(set_ids(SYS_setregid, rgid, egid));
}

WEFT_EXPORT int setresuid(uid_t ruid, uid_t euid, uid_t suid) {
  WEFT_NATIVE_SETXID(setresuid, ruid, euid, suid);
  return int(set_ids(SYS_setresuid, ruid, euid, suid));
}

WEFT_EXPORT int setresgid(gid_t rgid, gid_t egid, gid_t sgid) {
  WEFT_NATIVE_SETXID(setresgid, rgid, egid, sgid);
  return int(set_ids(SYS_setresgid, rgid, egid, sgid));
}

// As glibc: -1 is refused here (the kernel would read it as "unchanged").
WEFT_EXPORT int seteuid(uid_t euid) {
  WEFT_NATIVE_SETXID(seteuid, euid);
  if (euid == uid_t(-1)) {
    errno = EINVAL;
    return -1;
  }
  return int(set_ids(SYS_setresuid, -1, euid, -1));
}

WEFT_EXPORT int setegid(gid_t egid) {
  WEFT_NATIVE_SETXID(setegid, egid);
  if (egid == gid_t(-1)) {
    errno = EINVAL;
    return -1;
  }
  return int(set_ids(SYS_setresgid, -1, egid, -1));
}

WEFT_EXPORT int setgroups(size_t n, const gid_t* groups) {
  WEFT_NATIVE_SETXID(setgroups, n, groups);
  return int(set_ids(SYS_setgroups, long(n), long(groups)));
}

// glibc's initgroups reaches setgroups through a hidden alias, so it is
// interposed too: the same list (getgrouplist asks the same NSS modules),
// trimmed to the kernel's limit as glibc trims it.
WEFT_EXPORT int initgroups(const char* user, gid_t group) {
  WEFT_NATIVE_SETXID(initgroups, user, group);
  int n = 64;
  gid_t* list = nullptr;
  for (;;) {
    auto* bigger = static_cast<gid_t*>(realloc(list, size_t(n) * sizeof(gid_t)));
    if (!bigger) {
      free(list);
      errno = ENOMEM;
      return -1;
    }
    list = bigger;
    int want = n;
    if (getgrouplist(user, group, list, &want) >= 0) {
      n = want;
      break;
    }
    n = want > n ? want : 2 * n;
  }
  long limit = sysconf(_SC_NGROUPS_MAX);
  if (limit > 0 && n > limit) n = int(limit);
  int r;
  do r = setgroups(size_t(n), list);
  while (r == -1 && errno == EINVAL && --n > 0);
  int saved = errno;
  free(list);
  errno = saved;
  return r;
}
