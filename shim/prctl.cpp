// shim/prctl.cpp — prctl: PR_SET_NAME and PR_GET_NAME on the calling thread
// act on the G's name, as pthread_setname_np and pthread_getname_np do
// (shim/pthread_setname_np.cpp), not on its M's, which runs other threads
// too. Every other option is the kernel's.
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>

#include "core/export.h"
#include "core/real.h"
#include "shim/identity.h"
#include "shim/thread.h"

namespace weft {

long prctl_name(int option, unsigned long arg) {
  G* g = current_g();
  if (option == PR_SET_NAME) {
    // The kernel takes at most 15 bytes and never fails for a longer name.
    char name[16] = {};
    strncpy(name, reinterpret_cast<const char*>(arg), sizeof name - 1);
    set_thread_name(g, name);
  } else {
    memcpy(reinterpret_cast<char*>(arg), g->name, sizeof g->name);
  }
  return 0;
}

}  // namespace weft

using namespace weft;

WEFT_EXPORT int prctl(int option, ...) {
  va_list ap;
  va_start(ap, option);
  unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long);
  unsigned long a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
  va_end(ap);
  G* g = current_g();
  if ((option == PR_SET_NAME || option == PR_GET_NAME) && g && !g->is_g0 && runtime_active())
    return int(prctl_name(option, a2));
  using Fn = int (*)(int, ...);
  static Fn real_prctl = real<Fn>("prctl");
  return real_prctl(option, a2, a3, a4, a5);
}
