// shim/fd_io.cpp — the slow path of the fd I/O wrappers (model in
// shim/fd_io.h).
#include "shim/fd_io.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/time.h>

#include "core/blocking.h"
#include "core/signal.h"

namespace weft::io {
namespace {

// The part of an iovec array not yet transferred.
struct Cursor {
  const iovec* iov;
  int n;
  size_t skip = 0;  // bytes of iov[0] already transferred

  // Consumes r bytes; true when nothing remains.
  bool advance(size_t r) {
    while (n > 0 && r >= iov->iov_len - skip) {
      r -= iov->iov_len - skip;
      iov++;
      n--;
      skip = 0;
    }
    skip += r;
    return n == 0;
  }
  // The rest, as an array: the caller's own while no entry is cut, else a
  // one-entry window on the cut one (later calls go on with the others).
  int rest(iovec* window, const iovec** out) const {
    if (skip == 0) {
      *out = iov;
      return n;
    }
    window->iov_base = static_cast<char*>(iov->iov_base) + skip;
    window->iov_len = iov->iov_len - skip;
    *out = window;
    return 1;
  }
};

// After a park ended with EINTR: acts on a cancellation request (at a
// cancellation point; elsewhere an asynchronous one, which NPTL's signal
// would have acted on in the kernel), then tells whether the kernel would
// have restarted the call: every handler that ran on the G at its resume
// had SA_RESTART (core/signal.h), and the socket has no timeout for this
// direction (SIG_IGN / SIG_DFL never interrupt a call).
bool restarts(const Waiting& w) {
  if (w.cancellable)
    cancel_point();
  else
    sync::async_cancel_point();
  const G* self = current_g();
  return !self->raised_signals || (!w.timeout_set && self->raised_restart);
}

// poll(2) with a zero timeout: whether fd is ready for mode now (or poll
// failed: the plain call will report what is wrong).
bool ready_now(int fd, uint32_t mode) {
  pollfd p{fd, short(mode == kPollRead ? POLLIN : POLLOUT), 0};
  timespec zero{0, 0};
  return sys::call6(SYS_ppoll, (long)&p, 1, (long)&zero, 0, 8) != 0;
}

long call_on_rest(Op* op, const Cursor& cur, bool nowait) {
  iovec window;
  const iovec* iov;
  int n = cur.rest(&window, &iov);
  return op->call(op, iov, n, nowait, op->done == 0);
}

// A plain call's result is the native one: final, added to what went before.
long plain_on_rest(Op* op, const Cursor& cur) {
  long r = plain_call(op->cancellable, [&] { return call_on_rest(op, cur, false); });
  return r >= 0 ? op->done + r : op->done ? op->done : r;
}

bool is_stream_socket(int fd) {
  int type = 0;
  socklen_t len = sizeof type;
  return sys::call6(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, (long)&type, (long)&len) == 0 &&
         type == SOCK_STREAM;
}

}  // namespace

long Waiting::after_eagain() {
  // A regular file ignores O_NONBLOCK and cannot be polled: the plain call.
  if (netpoll_fd_known_unpollable(fd)) return kPlain;
  if (!checked) {
    checked = true;
    long fl = sys::call6(SYS_fcntl, fd, F_GETFL);
    if (fl < 0) return fl;
    if (fl & O_NONBLOCK) return kPlain;
    timeval tv{};
    socklen_t len = sizeof tv;
    int opt = mode == kPollRead ? SO_RCVTIMEO : SO_SNDTIMEO;
    if (sys::call6(SYS_getsockopt, fd, SOL_SOCKET, opt, (long)&tv, (long)&len) == 0 &&
        (tv.tv_sec || tv.tv_usec)) {
      timeout_set = true;
      deadline_ns = sys::now_ns() + int64_t(tv.tv_sec) * 1000000000 + tv.tv_usec * 1000;
    }
  }
  switch (int e = netpoll_wait(fd, mode, deadline_ns)) {
    case 0: return 0;
    case EPERM: return kPlain;
    case ETIMEDOUT: return -EAGAIN;  // SO_RCVTIMEO / SO_SNDTIMEO
    case EINTR: return restarts(*this) ? 0 : -EINTR;
    default: return -e;
  }
}

long Waiting::until_ready() {
  if (!netpoll_fd_pollable(fd)) return 0;  // always ready
  for (;;) {
    if (ready_now(fd, mode)) return 0;
    long s = after_eagain();
    if (s == kPlain) return 0;
    if (s != 0) return s;
  }
}

long finish(Op* op, const iovec* iov, int n, long r) {
  Cursor cur{iov, n};
  Waiting w{op->fd, op->mode, op->cancellable};
  op->done = 0;
  for (;;) {
    if (r >= 0) {
      op->done += r;
      if (!op->all || r == 0 || cur.advance(size_t(r))) return op->done;
      if (op->stream_only && !is_stream_socket(op->fd)) return op->done;
      op->stream_only = false;
      r = call_on_rest(op, cur, true);
      continue;
    }
    long s;
    if (r == -EAGAIN) {
      s = w.after_eagain();
    } else if (op->nowait_refusable && (r == -EOPNOTSUPP || r == -EINVAL)) {
      s = w.until_ready();
      if (s == 0) s = kPlain;
    } else {
      return op->done ? op->done : r;
    }
    if (s == kPlain) return plain_on_rest(op, cur);
    if (s != 0) return op->done ? op->done : s;
    r = call_on_rest(op, cur, true);
  }
}

long wait_then_call(int fd, uint32_t mode, bool cancellable, long (*plain)(void* ctx),
                    void* ctx) {
  Waiting w{fd, mode, cancellable};
  long s = w.until_ready();
  if (s != 0) return s;
  return plain_call(cancellable, [&] { return plain(ctx); });
}

namespace {
long rw_call(Op* op, const iovec* iov, int n, bool nowait, bool) {
  long off = op->off < 0 ? op->off : op->off + op->done;
  long nr = op->mode == kPollRead ? SYS_preadv2 : SYS_pwritev2;
  return sys::call6(nr, op->fd, (long)iov, n, off, 0, op->flags | (nowait ? RWF_NOWAIT : 0));
}
constexpr int kKnownRwFlags = RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND;
}  // namespace

long rw_slow(int fd, const iovec* iov, int n, long off, int flags, uint32_t mode,
             bool cancellable, long r) {
  // The program asked for a non-blocking attempt itself: that was it.
  if (flags & RWF_NOWAIT) return r;
  Op op{.fd = fd, .mode = mode, .cancellable = cancellable, .all = mode == kPollWrite,
        .nowait_refusable = true, .call = rw_call, .off = off, .flags = flags};
  // Arguments the kernel rejects: its answer is the plain call's.
  if (n < 0 || n > IOV_MAX || off < -1 || (flags & ~kKnownRwFlags)) {
    BlockingSyscallScope blocking;
    return rw_call(&op, iov, n, false, true);
  }
  return finish(&op, iov, n, r);
}

}  // namespace weft::io
