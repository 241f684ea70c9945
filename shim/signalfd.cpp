// shim/signalfd.cpp — signalfd: the signals it reads stay with the kernel
// (core/sigmask.h, signalfd_watch), pending for the process, so a read on
// the descriptor takes them as natively. Signals sent to one thread
// (pthread_kill) are kept by weft for that G and are not seen there.
#include <sys/signalfd.h>

#include "core/export.h"
#include "core/signal.h"
#include "core/sigmask.h"
#include "shim/blocking_call.h"

WEFT_EXPORT int signalfd(int fd, const sigset_t* mask, int flags) {
  int r = WEFT_CALL_REAL(signalfd, fd, mask, flags);
  if (r >= 0) weft::signalfd_watch(weft::sigset_bits(mask));
  return r;
}
