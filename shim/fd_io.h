// shim/fd_io.h — what the fd I/O wrappers share (read.cpp, write.cpp,
// recv.cpp, send.cpp, accept.cpp, connect.cpp, syscall.cpp).
//
// Model. A G never lets a read or write block its M. It asks the kernel for
// a non-blocking attempt per call — preadv2/pwritev2 with RWF_NOWAIT (offset
// -1 is the file position), or MSG_DONTWAIT for sockets — so the file
// description's O_NONBLOCK is never touched. Only when the attempt finds
// nothing to do (EAGAIN) does the slow path (finish) decide what the
// program's blocking call would have done:
// - the program set O_NONBLOCK itself (F_GETFL, asked only here): make the
//   call as the program made it, which answers as natively (EAGAIN for a
//   pipe or socket, data for a regular file, which ignores O_NONBLOCK);
// - otherwise park in the netpoller until the fd may be ready and retry,
//   with SO_RCVTIMEO / SO_SNDTIMEO as the deadline (EAGAIN when it passes,
//   as natively);
// - a descriptor epoll cannot watch (EPERM: a regular file whose data was
//   not cached) or that refuses RWF_NOWAIT (EOPNOTSUPP/EINVAL: FIFO opened
//   by path, tty, signalfd, buffered file writes): wait until poll(2) says
//   ready, then make the plain call inside a BlockingSyscallScope (the P
//   goes to another M meanwhile; if another reader raced for the data, the
//   call blocks there, like any hand-off).
// A blocking write to a pipe or stream socket transfers everything unless
// interrupted; so a partial non-blocking transfer continues with the rest
// (Op::all), and a signal or error after some bytes returns the count. A
// write of <= PIPE_BUF bytes is all-or-nothing already in its non-blocking
// form, so pipe atomicity holds. Datagrams are never partial.
// Signals: a G parked here and interrupted (the handler has run when the
// netpoller returns EINTR) restarts the call if every signal raised at its
// resume has SA_RESTART or no handler, and the socket has no timeout for
// this direction (the kernel's rule); else -EINTR or the partial count.
// Cancellation: pthread_cancel interrupts the park; a cancellation point
// acts on it there (the call transferred nothing yet).
// Everything here returns the raw result (-errno) and serves Gs only:
// callers that are not Gs call libc's function (real_cached).
#pragma once
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "core/g.h"
#include "core/netpoll.h"
#include "core/self.h"
#include "core/sys.h"
#include "shim/blocking_call.h"
#include "shim/sync_common.h"

namespace weft::io {

// The caller may park: a G, not an M's g0 (nor a native thread).
inline bool parkable() {
  G* g = current_g();
  return g && !g->is_g0;
}

// The cancellation point at the entry of a wrapper: one TLS load when no
// request is pending.
inline void cancel_point() {
  if (sync::cancel_pending()) sync::cancel_point();
}

// Raw result -> libc's convention.
inline long result(long r) {
  if (r < 0 && r > -4096) {
    errno = int(-r);
    return -1;
  }
  return r;
}

// One transfer, as the slow path sees it.
struct Op {
  int fd = -1;
  uint32_t mode = 0;          // kPollRead or kPollWrite
  bool cancellable = false;   // a POSIX cancellation point (syscall() is not)
  bool all = false;           // continue after a partial transfer (see top)
  bool stream_only = false;   // ... only on a SOCK_STREAM socket (MSG_WAITALL)
  bool nowait_refusable = false;  // EOPNOTSUPP/EINVAL may mean "no RWF_NOWAIT here"
  long done = 0;              // bytes transferred so far
  // One call on iov[0..n): the non-blocking form if `nowait`; `first` while
  // nothing was transferred (name and control data go with the first).
  long (*call)(Op* op, const iovec* iov, int n, bool nowait, bool first) = nullptr;
  // The family's arguments.
  long off = -1;              // file offset, or -1
  int flags = 0;              // RWF_* or MSG_*
  msghdr* msg = nullptr;
  sockaddr* addr = nullptr;
  socklen_t* addrlen = nullptr;
  const sockaddr* dest = nullptr;
  socklen_t destlen = 0;
};

// Finishes op after its first non-blocking attempt on iov[0..n) returned r
// (an error, or a partial transfer with op->all). Raw result.
long finish(Op* op, const iovec* iov, int n, long r);

// For calls that have no non-blocking form (accept, recvmmsg with a
// timeout...): waits until fd may be ready for `mode`, then makes
// call() (a raw system call) made where it may block in the kernel: inside
// a BlockingSyscallScope, and at a cancellation point so that
// pthread_cancel interrupts it (shim/blocking_call.h). Raw result.
template <class F>
long plain_call(bool cancellable, F call) {
  return cancellable ? blocking::call_cancellable(call) : blocking::call(call);
}

// plain(ctx) inside a BlockingSyscallScope. Raw result.
long wait_then_call(int fd, uint32_t mode, bool cancellable, long (*plain)(void* ctx),
                    void* ctx);

// After EAGAIN from a non-blocking attempt, the decision of finish() for
// callers with their own loop (recvmmsg, sendmmsg): 0 retry, kPlain make
// the plain call, or -errno.
inline constexpr long kPlain = 1;
struct Waiting {
  int fd;
  uint32_t mode;
  bool cancellable;
  bool checked = false;      // O_NONBLOCK and the socket timeout were read
  bool timeout_set = false;  // SO_RCVTIMEO / SO_SNDTIMEO for this direction
  int64_t deadline_ns = 0;
  long after_eagain();
  // Until fd may be ready (poll(2) says so, or the netpoller): 0 or -errno.
  long until_ready();
};

// read/readv/pread/preadv/preadv2 (mode kPollRead) and the write twins: off
// -1 is the file position; flags are preadv2's.
long rw_slow(int fd, const iovec* iov, int n, long off, int flags, uint32_t mode,
             bool cancellable, long r);

inline size_t iov_total(const iovec* iov, int n) {
  size_t t = 0;
  for (int i = 0; i < n; i++) t += iov[i].iov_len;
  return t;
}

// The fast path: one preadv2/pwritev2 with RWF_NOWAIT; a read that got data
// or a write that wrote everything returns at once.
inline long rw(int fd, const iovec* iov, int n, long off, int flags, uint32_t mode,
               bool cancellable) {
  // A write to a file epoll cannot watch (a regular file) would only be
  // refused RWF_NOWAIT: make it at once (rw_slow with no attempt).
  if (mode == kPollWrite && !(flags & RWF_NOWAIT) && netpoll_fd_known_unpollable(fd))
    return rw_slow(fd, iov, n, off, flags, mode, cancellable, -EOPNOTSUPP);
  long nr = mode == kPollRead ? SYS_preadv2 : SYS_pwritev2;
  long r = sys::call6(nr, fd, (long)iov, n, off, 0, flags | RWF_NOWAIT);
  if (r >= 0 && (mode == kPollRead || size_t(r) == iov_total(iov, n))) return r;
  return rw_slow(fd, iov, n, off, flags, mode, cancellable, r);
}

// The socket families (shim/recv.cpp, shim/send.cpp, shim/accept.cpp,
// shim/connect.cpp), for their exported functions and syscall(); G only.
long recv_from(int fd, void* buf, size_t len, int flags, sockaddr* addr, socklen_t* addrlen,
               bool cancellable);
long recv_msg(int fd, msghdr* msg, int flags, bool cancellable);
long recv_mmsg(int fd, mmsghdr* vec, unsigned vlen, int flags, timespec* timeout,
               bool cancellable);
long send_to(int fd, const void* buf, size_t len, int flags, const sockaddr* dest,
             socklen_t destlen, bool cancellable);
long send_msg(int fd, const msghdr* msg, int flags, bool cancellable);
long send_mmsg(int fd, mmsghdr* vec, unsigned vlen, int flags, bool cancellable);
long accept4(int fd, sockaddr* addr, socklen_t* addrlen, int flags, bool cancellable);
long connect(int fd, const sockaddr* addr, socklen_t len, bool cancellable);

// shim/close.cpp, for its exported functions and syscall(); any caller.
long close_fd(int fd);
long dup_over(long nr, int oldfd, int newfd, int flags);  // SYS_dup2 / SYS_dup3
long close_fd_range(unsigned first, unsigned last, int flags);

// syscall(2)'s I/O numbers (shim/syscall_io.cpp): true if n is one, with
// its raw result in *r.
bool syscall_io(long n, const long a[6], long* r);

}  // namespace weft::io
