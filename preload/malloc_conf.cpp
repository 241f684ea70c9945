// preload/malloc_conf.cpp — jemalloc's configuration under weft.
//
// jemalloc, built into libweft.so, keeps a cache per thread: per G here,
// tens of KB each (DESIGN-NOTES), which a million Gs cannot afford. weft's
// default turns the thread cache off; arenas still spread contention.
// A user's MALLOC_CONF comes after weft's defaults, so it wins option by
// option. jemalloc reads MALLOC_CONF with getenv on its first allocation,
// which happens in weft's constructor, before libc has set up environ; so
// weft builds the combined string from the environment the constructor is
// given and hands it over through jemalloc's `malloc_conf` symbol.
#include <string.h>

#include "core/export.h"
#include "preload/malloc_conf.h"

WEFT_EXPORT const char* malloc_conf = "tcache:false";

namespace weft {
namespace {
constexpr const char kDefaults[] = "tcache:false";
char combined[1024];
}  // namespace

void configure_malloc(char** envp) {
  const char* user = nullptr;
  for (char** e = envp; e && *e; e++)
    if (strncmp(*e, "MALLOC_CONF=", 12) == 0) user = *e + 12;
  if (!user || !*user) return;
  size_t n = strlen(kDefaults);
  memcpy(combined, kDefaults, n);
  combined[n++] = ',';
  size_t u = strnlen(user, sizeof combined - n - 1);
  memcpy(combined + n, user, u);
  combined[n + u] = '\0';
  malloc_conf = combined;
}

}  // namespace weft
