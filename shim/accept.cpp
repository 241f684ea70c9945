// shim/accept.cpp — accept, accept4. There is no per-call non-blocking
// accept (SOCK_NONBLOCK flags only the new socket), so a G waits in the
// netpoller until the listening socket is readable, then accepts inside a
// BlockingSyscallScope (if another thread took the connection meanwhile,
// the call blocks there, with the P handed to another M). A listening
// socket the program made non-blocking, and SO_RCVTIMEO, behave as
// natively (shim/fd_io.h). Both are cancellation points.
#include <sys/socket.h>

#include "core/export.h"
#include "shim/fd_io.h"

using namespace weft;

namespace {
struct AcceptArgs {
  int fd;
  sockaddr* addr;
  socklen_t* addrlen;
  int flags;
};
long plain_accept(void* ctx) {
  auto* a = static_cast<AcceptArgs*>(ctx);
  return sys::call6(SYS_accept4, a->fd, (long)a->addr, (long)a->addrlen, a->flags);
}
}  // namespace

long weft::io::accept4(int fd, sockaddr* addr, socklen_t* addrlen, int flags, bool cancellable) {
  AcceptArgs a{fd, addr, addrlen, flags};
  return wait_then_call(fd, kPollRead, cancellable, plain_accept, &a);
}

WEFT_EXPORT int accept4(int fd, __SOCKADDR_ARG addr, socklen_t* __restrict addrlen, int flags) {
  static decltype(&accept4) real_accept4;
  if (!io::parkable())
    return sync::real_cached(&real_accept4, "accept4")(fd, addr, addrlen, flags);
  io::cancel_point();
  return int(io::result(io::accept4(fd, addr, addrlen, flags, true)));
}

WEFT_EXPORT int accept(int fd, __SOCKADDR_ARG addr, socklen_t* __restrict addrlen) {
  static decltype(&accept) real_accept;
  if (!io::parkable()) return sync::real_cached(&real_accept, "accept")(fd, addr, addrlen);
  io::cancel_point();
  return int(io::result(io::accept4(fd, addr, addrlen, 0, true)));
}
