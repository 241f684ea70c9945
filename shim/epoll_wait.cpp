// shim/epoll_wait.cpp — epoll_wait, epoll_pwait, epoll_pwait2 on the
// netpoller (shim/fd_wait.h).
//
// The program's epoll instance is itself a descriptor that polls readable
// while any of its events is ready, so the G parks on it (kPollRead); the
// program's own epoll_wait with a zero timeout then collects the events,
// with the instance's own semantics (edge-triggered, one-shot, exclusive).
// With a signal mask the call waits in the kernel, which installs the mask
// for exactly the call, atomically (weft has no per-G masks yet). All three
// are cancellation points (glibc's epoll_wait is one too).
#include <signal.h>
#include <sys/epoll.h>

#include "core/export.h"
#include "shim/fd_wait.h"

using namespace weft;

namespace {

long epoll_raw(int epfd, epoll_event* ev, int max, int64_t timeout_ns, const sigset_t* mask) {
  if (timeout_ns == 0 && !mask) return sys::call6(SYS_epoll_wait, epfd, (long)ev, max, 0);
  timespec ts = sys::ns_to_timespec(timeout_ns);
  return sys::call6(SYS_epoll_pwait2, epfd, (long)ev, max, timeout_ns < 0 ? 0 : (long)&ts,
                    (long)mask, _NSIG / 8);
}

long epoll_g(int epfd, epoll_event* ev, int max, int64_t timeout_ns, const sigset_t* mask,
             bool cancellation_point = true) {
  if (mask)
    return blocking::call_cancellable([&] { return epoll_raw(epfd, ev, max, timeout_ns, mask); });
  PollWant want{epfd, kPollRead};
  fdwait::Call c{&want, 1, timeout_ns, cancellation_point};
  return fdwait::wait(
      c, [&] { return epoll_raw(epfd, ev, max, 0, nullptr); },
      [&](int64_t left) { return epoll_raw(epfd, ev, max, left, nullptr); });
}

}  // namespace

long weft::epoll_wait_syscall(int epfd, epoll_event* ev, int max, int timeout_ms) {
  return epoll_g(epfd, ev, max, fdwait::ms_timeout_ns(timeout_ms), nullptr, false);
}

WEFT_EXPORT int epoll_wait(int epfd, struct epoll_event* ev, int max, int timeout_ms) {
  if (!current_g()) return WEFT_CALL_REAL(epoll_wait, epfd, ev, max, timeout_ms);
  return static_cast<int>(
      blocking::libc_result(epoll_g(epfd, ev, max, fdwait::ms_timeout_ns(timeout_ms), nullptr)));
}

WEFT_EXPORT int epoll_pwait(int epfd, struct epoll_event* ev, int max, int timeout_ms,
                            const sigset_t* mask) {
  if (!current_g()) return WEFT_CALL_REAL(epoll_pwait, epfd, ev, max, timeout_ms, mask);
  return static_cast<int>(
      blocking::libc_result(epoll_g(epfd, ev, max, fdwait::ms_timeout_ns(timeout_ms), mask)));
}

WEFT_EXPORT int epoll_pwait2(int epfd, struct epoll_event* ev, int max,
                             const struct timespec* timeout, const sigset_t* mask) {
  if (!current_g()) return WEFT_CALL_REAL(epoll_pwait2, epfd, ev, max, timeout, mask);
  int64_t ns;
  if (!fdwait::timeout_ns(timeout, &ns)) {
    errno = EINVAL;
    return -1;
  }
  return static_cast<int>(blocking::libc_result(epoll_g(epfd, ev, max, ns, mask)));
}
