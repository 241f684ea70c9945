/* tests/compare/life_common.h — helpers shared by the tests/compare/life_*
 * programs (thread lifecycle and per-thread identity), on top of
 * sync_common.h (failure reporting, WEFT_TEST_UNDER_WEFT, kernel task counts).
 *
 * Model: as for every compare program, stdout carries only lines that are the
 * same natively and under weft, and a broken invariant goes to stderr with a
 * non-zero exit (LIFE_CHECK).
 */
#ifndef WEFT_TESTS_COMPARE_LIFE_COMMON_H
#define WEFT_TESTS_COMPARE_LIFE_COMMON_H

#include <dlfcn.h>
#include <limits.h>

#include "sync_common.h"

#define LIFE_CHECK SYNC_CHECK
#define life_die sync_die

/* Path of the test library NAME (tests/compare/lib/NAME.c, built as
 * build/tests/compare/lib/NAME.so next to this program). */
static inline void life_lib_path(char *out, size_t size, const char *name) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  LIFE_CHECK(n > 0, "readlink /proc/self/exe");
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  LIFE_CHECK(slash != NULL, "no directory in %s", exe);
  *slash = '\0';
  int w = snprintf(out, size, "%s/lib/%s.so", exe, name);
  LIFE_CHECK(w > 0 && (size_t)w < size, "library path too long");
}

static inline void *life_dlopen(const char *name, int flags) {
  char path[PATH_MAX];
  life_lib_path(path, sizeof path, name);
  void *h = dlopen(path, flags);
  LIFE_CHECK(h != NULL, "dlopen %s: %s", path, dlerror());
  return h;
}

static inline void *life_dlsym(void *handle, const char *sym) {
  void *p = dlsym(handle, sym);
  LIFE_CHECK(p != NULL, "dlsym %s: %s", sym, dlerror());
  return p;
}

#endif /* WEFT_TESTS_COMPARE_LIFE_COMMON_H */
