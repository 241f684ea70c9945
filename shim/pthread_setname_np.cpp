// shim/pthread_setname_np.cpp — thread names. NPTL keeps them in the
// kernel task's comm; a G has no task, so weft keeps them in the G (with the
// same 16-byte limit and ERANGE results). A new G inherits its creator's;
// the main thread starts with the program's name (preload/start.cpp).
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/prctl.h>

#include "core/export.h"
#include "core/real.h"
#include "shim/thread.h"

namespace weft {

namespace {
constexpr size_t kCommLen = 16;

}  // namespace

void inherit_name(G* g) {
  G* self = current_g();
  if (self && !self->is_g0)
    memcpy(g->name, self->name, kCommLen);
  else
    prctl(PR_GET_NAME, g->name);
}

}  // namespace weft

using namespace weft;

WEFT_EXPORT int pthread_setname_np(pthread_t t, const char* name) {
  G* g = g_of(t);
  if (!runtime_active() || !g)
    return real<int (*)(pthread_t, const char*)>("pthread_setname_np")(t, name);
  size_t len = strlen(name);
  if (len >= kCommLen) return ERANGE;
  memcpy(g->name, name, len + 1);
  return 0;
}

WEFT_EXPORT int pthread_getname_np(pthread_t t, char* buf, size_t len) {
  G* g = g_of(t);
  if (!runtime_active() || !g)
    return real<int (*)(pthread_t, char*, size_t)>("pthread_getname_np")(t, buf, len);
  if (len < kCommLen) return ERANGE;
  size_t n = strnlen(g->name, kCommLen - 1);
  memcpy(buf, g->name, n);
  buf[n] = '\0';
  return 0;
}
