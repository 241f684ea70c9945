// shim/connect.cpp — connect. A blocking connect must end as a blocking
// connect does (the same errno, the same socket state, EINTR/EALREADY
// semantics after a signal), which a non-blocking connect the program did
// not ask for cannot promise without touching O_NONBLOCK; it waits at most
// for a handshake (or, for AF_UNIX, for room in the listener's backlog,
// which cannot be polled), so a G makes the plain call as a blocking call
// (its P goes to another M meanwhile). A cancellation point, which
// pthread_cancel interrupts.
#include <sys/socket.h>

#include "core/blocking.h"
#include "core/export.h"
#include "shim/fd_io.h"

using namespace weft;

long weft::io::connect(int fd, const sockaddr* addr, socklen_t len, bool cancellable) {
  return plain_call(cancellable, [&] { return sys::call6(SYS_connect, fd, (long)addr, len); });
}

WEFT_EXPORT int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len) {
  static decltype(&connect) real_connect;
  if (!io::parkable()) return sync::real_cached(&real_connect, "connect")(fd, addr, len);
  return int(io::result(io::connect(fd, addr, len, true)));
}
