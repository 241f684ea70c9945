// core/warn.cpp — see core/warn.h.
#include "core/warn.h"

#include <string.h>

#include "core/sys.h"

namespace weft {

void warn(const char* msg) {
  char buf[512];
  size_t n = 0;
  auto put = [&](const char* s) {
    size_t len = strlen(s);
    if (len > sizeof(buf) - 1 - n) len = sizeof(buf) - 1 - n;
    memcpy(buf + n, s, len);
    n += len;
  };
  put("weft: ");
  put(msg);
  put("\n");
  sys::write(2, buf, n);
}

[[noreturn]] void fatal(const char* msg) {
  warn(msg);
  sys::call6(SYS_exit_group, 127);
  __builtin_unreachable();
}

}  // namespace weft
