// shim/poll.cpp — poll, ppoll and their _FORTIFY_SOURCE forms, on the
// netpoller (shim/fd_wait.h).
//
// Interest: POLLIN and POLLRDNORM wait for kPollRead, POLLOUT and POLLWRNORM
// for kPollWrite; the other events ride along with them (hang-up and errors
// wake both). An entry that asks only for events the netpoller cannot tell
// apart from readiness (no events at all, POLLPRI, POLLRDHUP, POLLRDBAND,
// POLLWRBAND alone) makes the call wait in the kernel: parking on plain
// readiness for them would wake again and again while nothing the program
// asked for happens. ppoll with a signal mask always waits in the kernel,
// which installs the mask for exactly the call, atomically (weft has no
// per-G signal masks yet). __poll_chk and __ppoll_chk check the array's
// size as glibc does.
#include <poll.h>
#include <signal.h>

#include "core/export.h"
#include "shim/fd_wait.h"

using namespace weft;

namespace {

// 0: only the kernel can wait for these events.
uint32_t interest(short events) {
  return ((events & (POLLIN | POLLRDNORM)) ? kPollRead : 0) |
         ((events & (POLLOUT | POLLWRNORM)) ? kPollWrite : 0);
}

long ppoll_raw(pollfd* fds, nfds_t n, int64_t timeout_ns, const sigset_t* mask) {
  timespec ts = sys::ns_to_timespec(timeout_ns);
  return sys::call6(SYS_ppoll, (long)fds, (long)n, timeout_ns < 0 ? 0 : (long)&ts, (long)mask,
                    _NSIG / 8);
}

// The raw result of poll with a timeout of timeout_ns (-1: none).
long poll_g(pollfd* fds, nfds_t nfds, int64_t timeout_ns, bool cancellation_point) {
  int n = nfds > static_cast<nfds_t>(fdwait::kMaxParked) ? 0 : static_cast<int>(nfds);
  fdwait::WantBuffer buf(n);
  PollWant* want = buf.data();
  bool parkable = nfds <= static_cast<nfds_t>(fdwait::kMaxParked) && want;
  for (int i = 0; i < n && parkable; i++) {
    want[i] = PollWant{fds[i].fd, interest(fds[i].events)};
    if (want[i].mode == 0 && fds[i].fd >= 0) parkable = false;
  }
  fdwait::Call c{want, parkable ? n : -1, timeout_ns, cancellation_point};
  return fdwait::wait(
      c, [&] { return ppoll_raw(fds, nfds, 0, nullptr); },
      [&](int64_t left) { return ppoll_raw(fds, nfds, left, nullptr); });
}

}  // namespace

long weft::poll_syscall(pollfd* fds, unsigned long nfds, int timeout_ms) {
  return poll_g(fds, nfds, fdwait::ms_timeout_ns(timeout_ms), false);
}

WEFT_EXPORT int poll(struct pollfd* fds, nfds_t nfds, int timeout_ms) {
  if (!current_g()) return WEFT_CALL_REAL(poll, fds, nfds, timeout_ms);
  return static_cast<int>(
      blocking::libc_result(poll_g(fds, nfds, fdwait::ms_timeout_ns(timeout_ms), true)));
}

WEFT_EXPORT int ppoll(struct pollfd* fds, nfds_t nfds, const struct timespec* timeout,
                      const sigset_t* mask) {
  if (!current_g()) return WEFT_CALL_REAL(ppoll, fds, nfds, timeout, mask);
  int64_t ns;
  if (!fdwait::timeout_ns(timeout, &ns)) {
    errno = EINVAL;
    return -1;
  }
  if (mask)
    return static_cast<int>(blocking::libc_result(
        blocking::call_cancellable([&] { return ppoll_raw(fds, nfds, ns, mask); })));
  return static_cast<int>(blocking::libc_result(poll_g(fds, nfds, ns, true)));
}

extern "C" [[noreturn]] void __chk_fail(void);
extern "C" int __poll_chk(struct pollfd*, nfds_t, int, size_t);
extern "C" int __ppoll_chk(struct pollfd*, nfds_t, const struct timespec*, const sigset_t*,
                           size_t);

WEFT_EXPORT int __poll_chk(struct pollfd* fds, nfds_t nfds, int timeout_ms, size_t fdslen) {
  if (fdslen / sizeof *fds < nfds) __chk_fail();
  return poll(fds, nfds, timeout_ms);
}

WEFT_EXPORT int __ppoll_chk(struct pollfd* fds, nfds_t nfds, const struct timespec* timeout,
                            const sigset_t* mask, size_t fdslen) {
  if (fdslen / sizeof *fds < nfds) __chk_fail();
  return ppoll(fds, nfds, timeout, mask);
}
