// shim/pthread_setname_np.cpp — thread names. NPTL keeps them in the
// kernel task's comm; a G has no task, so weft keeps them in the G (with the
// same 16-byte limit and ERANGE results), and prctl(PR_SET_NAME) in a G
// sets the same name (shim/prctl.cpp). A new G inherits its creator's; the
// main thread starts with the program's name (preload/start.cpp). The main
// thread's name is also the process's (what ps(1) and pkill(1) see): its
// kernel task, which weft keeps as M0, is renamed with it, from whichever
// M the main thread runs on (in a fork child the forking thread is the
// main one). The other Ms keep their names.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "core/export.h"
#include "core/real.h"
#include "core/sys.h"
#include "shim/identity.h"
#include "shim/thread.h"

namespace weft {

namespace {
constexpr size_t kCommLen = 16;

// Renames the process's main kernel task (M0, or in a fork child the only
// M).
void name_main_task(const char* name, long pid) {
  if (sys::gettid() == pid) {
    sys::call6(SYS_prctl, PR_SET_NAME, long(name));
    return;
  }
  char path[48];
  snprintf(path, sizeof path, "/proc/self/task/%ld/comm", pid);
  long fd = sys::call6(SYS_openat, AT_FDCWD, long(path), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  sys::call6(SYS_write, fd, long(name), long(strnlen(name, kCommLen - 1)));
  sys::call6(SYS_close, fd);
}

}  // namespace

void set_thread_name(G* g, const char* name) {
  size_t len = strnlen(name, kCommLen - 1);
  memcpy(g->name, name, len);
  g->name[len] = '\0';
  // The main thread: the one whose id is the process id (in a fork child,
  // the thread that forked).
  long pid = sys::call6(SYS_getpid);
  if (tcb_field<int>(g->tcb, tcb_off::kTid) == pid) name_main_task(g->name, pid);
}

void name_kernel_thread(G* g) { sys::call6(SYS_prctl, PR_SET_NAME, long(g->name)); }

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
  if (strlen(name) >= kCommLen) return ERANGE;
  set_thread_name(g, name);
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
