// shim/recv.cpp — recv, recvfrom, recvmsg, recvmmsg, and the
// _FORTIFY_SOURCE entry points __recv_chk, __recvfrom_chk (glibc's check: a
// length beyond the buffer is __chk_fail()). A G tries with MSG_DONTWAIT and
// parks in the netpoller on EAGAIN (shim/fd_io.h); other callers get
// libc's functions. All are cancellation points.
// - The program's own MSG_DONTWAIT, and MSG_ERRQUEUE (which never waits),
//   make one call.
// - MSG_WAITALL on a stream socket keeps receiving until the buffer is full,
//   EOF, an error or an interrupting signal (the partial count then), as the
//   kernel does; recvmsg's name and control data come from the first
//   receive. With MSG_PEEK it waits until readable, then makes the plain
//   call (a hand-off).
// - recvmmsg without MSG_WAITFORONE waits for all vlen messages, as the
//   kernel does; with a timeout (which the kernel checks only after each
//   message) it waits until readable, then makes the plain call.
#include <sys/socket.h>

#include "core/blocking.h"
#include "core/export.h"
#include "shim/fd_io.h"

extern "C" [[noreturn]] void __chk_fail(void);

using namespace weft;

namespace {

long recvfrom_call(io::Op* op, const iovec* iov, int, bool nowait, bool first) {
  return sys::call6(SYS_recvfrom, op->fd, (long)iov->iov_base, (long)iov->iov_len,
                    op->flags | (nowait ? MSG_DONTWAIT : 0), first ? (long)op->addr : 0,
                    first ? (long)op->addrlen : 0);
}

long recvmsg_call(io::Op* op, const iovec* iov, int n, bool nowait, bool first) {
  int flags = op->flags | (nowait ? MSG_DONTWAIT : 0);
  if (first && iov == op->msg->msg_iov) return sys::call6(SYS_recvmsg, op->fd, (long)op->msg, flags);
  msghdr rest{};
  rest.msg_iov = const_cast<iovec*>(iov);
  rest.msg_iovlen = size_t(n);
  return sys::call6(SYS_recvmsg, op->fd, (long)&rest, flags);
}

// Calls that never park: the kernel's answer is final.
bool one_call(int flags) { return flags & (MSG_DONTWAIT | MSG_ERRQUEUE); }

struct PlainArgs {
  io::Op* op;
  const iovec* iov;
  int n;
};
long plain_call(void* ctx) {
  auto* a = static_cast<PlainArgs*>(ctx);
  return a->op->call(a->op, a->iov, a->n, false, true);
}

// After the first attempt returned r (not a plain success).
long recv_finish(io::Op* op, const iovec* iov, int n, long r) {
  if (one_call(op->flags)) return r;
  if ((op->flags & MSG_WAITALL) && (op->flags & MSG_PEEK)) {
    PlainArgs a{op, iov, n};
    return io::wait_then_call(op->fd, kPollRead, op->cancellable, plain_call, &a);
  }
  op->all = op->stream_only = op->flags & MSG_WAITALL;
  if (r >= 0 && (!op->all || size_t(r) == io::iov_total(iov, n))) return r;
  return io::finish(op, iov, n, r);
}

struct MmsgArgs {
  int fd;
  mmsghdr* vec;
  unsigned vlen;
  int flags;
  timespec* timeout;
};
long plain_recvmmsg(void* ctx) {
  auto* a = static_cast<MmsgArgs*>(ctx);
  return sys::call6(SYS_recvmmsg, a->fd, (long)a->vec, a->vlen, a->flags, (long)a->timeout);
}

}  // namespace

namespace weft::io {

long recv_from(int fd, void* buf, size_t len, int flags, sockaddr* addr, socklen_t* addrlen,
               bool cancellable) {
  long r = sys::call6(SYS_recvfrom, fd, (long)buf, (long)len, flags | MSG_DONTWAIT, (long)addr,
                      (long)addrlen);
  if (r >= 0 && !(flags & MSG_WAITALL)) return r;
  Op op{.fd = fd, .mode = kPollRead, .cancellable = cancellable, .call = recvfrom_call,
        .flags = flags, .addr = addr, .addrlen = addrlen};
  iovec iov{buf, len};
  return recv_finish(&op, &iov, 1, r);
}

long recv_msg(int fd, msghdr* msg, int flags, bool cancellable) {
  long r = sys::call6(SYS_recvmsg, fd, (long)msg, flags | MSG_DONTWAIT);
  if (r >= 0 && !(flags & MSG_WAITALL)) return r;
  Op op{.fd = fd, .mode = kPollRead, .cancellable = cancellable, .call = recvmsg_call,
        .flags = flags, .msg = msg};
  return recv_finish(&op, msg->msg_iov, int(msg->msg_iovlen), r);
}

long recv_mmsg(int fd, mmsghdr* vec, unsigned vlen, int flags, timespec* timeout,
               bool cancellable) {
  MmsgArgs plain{fd, vec, vlen, flags, timeout};
  if (one_call(flags) || vlen == 0) return plain_recvmmsg(&plain);
  if (timeout) return wait_then_call(fd, kPollRead, cancellable, plain_recvmmsg, &plain);
  Waiting w{fd, kPollRead, cancellable};
  unsigned done = 0;
  for (;;) {
    long r = sys::call6(SYS_recvmmsg, fd, (long)(vec + done), vlen - done, flags | MSG_DONTWAIT, 0);
    if (r >= 0) {
      done += unsigned(r);
      // The kernel's own stops: all received, MSG_WAITFORONE, urgent data.
      if (r == 0 || done == vlen || (flags & MSG_WAITFORONE) ||
          (vec[done - 1].msg_hdr.msg_flags & MSG_OOB))
        return done;
      continue;
    }
    if (r == -EAGAIN) r = w.after_eagain();
    if (r == kPlain) {
      BlockingSyscallScope blocking;
      r = sys::call6(SYS_recvmmsg, fd, (long)(vec + done), vlen - done, flags, 0);
      return r >= 0 ? long(done) + r : done ? long(done) : r;
    }
    if (r < 0) return done ? long(done) : r;
  }
}

}  // namespace weft::io

WEFT_EXPORT ssize_t recvfrom(int fd, void* __restrict buf, size_t len, int flags,
                             __SOCKADDR_ARG addr, socklen_t* __restrict addrlen) {
  static decltype(&recvfrom) real_recvfrom;
  if (!io::parkable())
    return sync::real_cached(&real_recvfrom, "recvfrom")(fd, buf, len, flags, addr, addrlen);
  io::cancel_point();
  return io::result(io::recv_from(fd, buf, len, flags, addr, addrlen, true));
}

WEFT_EXPORT ssize_t recv(int fd, void* buf, size_t len, int flags) {
  return recvfrom(fd, buf, len, flags, nullptr, nullptr);
}

WEFT_EXPORT ssize_t __recv_chk(int fd, void* buf, size_t len, size_t buflen, int flags) {
  if (len > buflen) __chk_fail();
  return recvfrom(fd, buf, len, flags, nullptr, nullptr);
}

WEFT_EXPORT ssize_t __recvfrom_chk(int fd, void* __restrict buf, size_t len, size_t buflen,
                                   int flags, __SOCKADDR_ARG addr,
                                   socklen_t* __restrict addrlen) {
  if (len > buflen) __chk_fail();
  return recvfrom(fd, buf, len, flags, addr, addrlen);
}

WEFT_EXPORT ssize_t recvmsg(int fd, struct msghdr* msg, int flags) {
  static decltype(&recvmsg) real_recvmsg;
  if (!io::parkable()) return sync::real_cached(&real_recvmsg, "recvmsg")(fd, msg, flags);
  io::cancel_point();
  return io::result(io::recv_msg(fd, msg, flags, true));
}

WEFT_EXPORT int recvmmsg(int fd, struct mmsghdr* vec, unsigned int vlen, int flags,
                         struct timespec* timeout) {
  static decltype(&recvmmsg) real_recvmmsg;
  if (!io::parkable())
    return sync::real_cached(&real_recvmmsg, "recvmmsg")(fd, vec, vlen, flags, timeout);
  io::cancel_point();
  return int(io::result(io::recv_mmsg(fd, vec, vlen, flags, timeout, true)));
}
