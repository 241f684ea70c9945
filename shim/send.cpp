// shim/send.cpp — send, sendto, sendmsg, sendmmsg. A G tries with
// MSG_DONTWAIT, continues after a partial transfer (a stream socket) and
// parks in the netpoller on EAGAIN until everything is sent, as a blocking
// send does (shim/fd_io.h); other callers get libc's functions. The
// program's own MSG_DONTWAIT makes one call. Control data (SCM_RIGHTS...)
// goes with the first bytes only; the address with every call, as the
// kernel checks it on each. sendmmsg sends every message (a message a
// stream socket took in part is finished before the next). All are
// cancellation points.
#include <sys/socket.h>

#include "core/blocking.h"
#include "core/export.h"
#include "shim/fd_io.h"

using namespace weft;

namespace {

// A send that already transferred bytes ends with their count if the
// connection breaks, without SIGPIPE (the kernel signals only a send that
// sent nothing): so the continuing calls pass MSG_NOSIGNAL.
int call_flags(const io::Op* op, bool nowait, bool first) {
  return op->flags | (nowait ? MSG_DONTWAIT : 0) | (first ? 0 : MSG_NOSIGNAL);
}

long sendto_call(io::Op* op, const iovec* iov, int, bool nowait, bool first) {
  return sys::call6(SYS_sendto, op->fd, (long)iov->iov_base, (long)iov->iov_len,
                    call_flags(op, nowait, first), (long)op->dest, op->destlen);
}

long sendmsg_call(io::Op* op, const iovec* iov, int n, bool nowait, bool first) {
  int flags = call_flags(op, nowait, first);
  if (first && iov == op->msg->msg_iov) return sys::call6(SYS_sendmsg, op->fd, (long)op->msg, flags);
  msghdr rest{};
  rest.msg_name = op->msg->msg_name;
  rest.msg_namelen = op->msg->msg_namelen;
  rest.msg_iov = const_cast<iovec*>(iov);
  rest.msg_iovlen = size_t(n);
  return sys::call6(SYS_sendmsg, op->fd, (long)&rest, flags);
}

io::Op sendmsg_op(int fd, const msghdr* msg, int flags, bool cancellable) {
  return io::Op{.fd = fd, .mode = kPollWrite, .cancellable = cancellable, .all = true,
                .call = sendmsg_call, .flags = flags, .msg = const_cast<msghdr*>(msg)};
}

}  // namespace

namespace weft::io {

long send_to(int fd, const void* buf, size_t len, int flags, const sockaddr* dest,
             socklen_t destlen, bool cancellable) {
  long r = sys::call6(SYS_sendto, fd, (long)buf, (long)len, flags | MSG_DONTWAIT, (long)dest,
                      destlen);
  if ((r >= 0 && size_t(r) == len) || (flags & MSG_DONTWAIT)) return r;
  Op op{.fd = fd, .mode = kPollWrite, .cancellable = cancellable, .all = true,
        .call = sendto_call, .flags = flags, .dest = dest, .destlen = destlen};
  iovec iov{const_cast<void*>(buf), len};
  return finish(&op, &iov, 1, r);
}

long send_msg(int fd, const msghdr* msg, int flags, bool cancellable) {
  long r = sys::call6(SYS_sendmsg, fd, (long)msg, flags | MSG_DONTWAIT);
  if (flags & MSG_DONTWAIT) return r;
  if (r >= 0 && size_t(r) == iov_total(msg->msg_iov, int(msg->msg_iovlen))) return r;
  Op op = sendmsg_op(fd, msg, flags, cancellable);
  return finish(&op, msg->msg_iov, int(msg->msg_iovlen), r);
}

long send_mmsg(int fd, mmsghdr* vec, unsigned vlen, int flags, bool cancellable) {
  if ((flags & MSG_DONTWAIT) || vlen == 0)
    return sys::call6(SYS_sendmmsg, fd, (long)vec, vlen, flags);
  Waiting w{fd, kPollWrite, cancellable};
  unsigned done = 0;
  for (;;) {
    long r = sys::call6(SYS_sendmmsg, fd, (long)(vec + done), vlen - done, flags | MSG_DONTWAIT);
    if (r == 0) return done;
    if (r > 0) {
      done += unsigned(r);
      msghdr* last = &vec[done - 1].msg_hdr;
      size_t want = iov_total(last->msg_iov, int(last->msg_iovlen));
      if (vec[done - 1].msg_len < want) {  // a stream socket took part of it
        Op op = sendmsg_op(fd, last, flags, cancellable);
        long sent = finish(&op, last->msg_iov, int(last->msg_iovlen), long(vec[done - 1].msg_len));
        vec[done - 1].msg_len = unsigned(sent);
        if (size_t(sent) < want) return done;
      }
      if (done == vlen) return done;
      continue;
    }
    if (r == -EAGAIN) r = w.after_eagain();
    if (r == kPlain) {
      BlockingSyscallScope blocking;
      r = sys::call6(SYS_sendmmsg, fd, (long)(vec + done), vlen - done, flags);
      return r >= 0 ? long(done) + r : done ? long(done) : r;
    }
    if (r < 0) return done ? long(done) : r;
  }
}

}  // namespace weft::io

WEFT_EXPORT ssize_t sendto(int fd, const void* buf, size_t len, int flags,
                           __CONST_SOCKADDR_ARG dest, socklen_t destlen) {
  static decltype(&sendto) real_sendto;
  if (!io::parkable())
    return sync::real_cached(&real_sendto, "sendto")(fd, buf, len, flags, dest, destlen);
  io::cancel_point();
  return io::result(io::send_to(fd, buf, len, flags, dest, destlen, true));
}

WEFT_EXPORT ssize_t send(int fd, const void* buf, size_t len, int flags) {
  return sendto(fd, buf, len, flags, nullptr, 0);
}

WEFT_EXPORT ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
  static decltype(&sendmsg) real_sendmsg;
  if (!io::parkable()) return sync::real_cached(&real_sendmsg, "sendmsg")(fd, msg, flags);
  io::cancel_point();
  return io::result(io::send_msg(fd, msg, flags, true));
}

WEFT_EXPORT int sendmmsg(int fd, struct mmsghdr* vec, unsigned int vlen, int flags) {
  static decltype(&sendmmsg) real_sendmmsg;
  if (!io::parkable()) return sync::real_cached(&real_sendmmsg, "sendmmsg")(fd, vec, vlen, flags);
  io::cancel_point();
  return int(io::result(io::send_mmsg(fd, vec, vlen, flags, true)));
}
