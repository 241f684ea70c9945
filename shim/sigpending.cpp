// shim/sigpending.cpp — sigpending: the signals pending for the calling G
// and for the process (core/signal.h).
#include <signal.h>

#include "core/export.h"
#include "core/self.h"
#include "core/signal.h"
#include "shim/blocking_call.h"

WEFT_EXPORT int sigpending(sigset_t* set) {
  weft::G* self = weft::current_g();
  if (!self || self->is_g0) return WEFT_CALL_REAL(sigpending, set);
  sigemptyset(set);
  set->__val[0] = weft::sigpending_of(self);
  return 0;
}
