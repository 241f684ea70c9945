// shim/fd_wait.h — the wait shared by poll, ppoll, select, pselect and the
// epoll_wait family: until one of a set of descriptors is ready, on the
// netpoller (core/netpoll.h) rather than in the kernel.
//
// The family's own system call with a zero timeout decides what is ready,
// so results, revents, fd_sets and errors are exactly the kernel's (errors
// of the arguments come from that first call). While nothing is, the G
// parks in netpoll_wait_many on the descriptors and their interest, then
// asks the kernel again: a wake-up only means "maybe". When the netpoller
// cannot watch a descriptor (EPERM), the set is large, or an interest has
// no netpoller equivalent, the family's call waits in the kernel for the
// time left, as a blocking system call.
//
// Signals: a G parked here whose wait a signal interrupts returns EINTR,
// even for SA_RESTART handlers (the kernel never restarts these calls).
// Cancellation: the libc entry points are cancellation points; syscall()
// is not, but acts on an asynchronous request when its park is interrupted
// (and goes on waiting after a deferred one's interruption).
#pragma once
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#include "core/netpoll.h"
#include "core/sys.h"
#include "shim/blocking_call.h"

namespace weft::fdwait {

// More descriptors than this wait in the kernel.
inline constexpr int kMaxParked = 1024;

inline constexpr int64_t kNsPerSec = 1000000000;
// Timeouts of this length or more (~272 years) are no deadline at all.
inline constexpr int64_t kFarNs = (int64_t{1} << 33) * kNsPerSec;

// A relative timespec or timeval part in ns, saturated to "none" (-1).
inline int64_t relative_ns(int64_t sec, int64_t nsec) {
  if (sec >= (int64_t{1} << 33)) return -1;
  return sec * kNsPerSec + nsec;
}

// poll's and epoll_wait's timeout: negative is none (-1).
inline int64_t ms_timeout_ns(int ms) { return ms < 0 ? -1 : int64_t{ms} * 1000000; }

// The length of a relative timeout (nullptr: none, -1); false for one the
// kernel refuses with EINVAL.
inline bool timeout_ns(const timespec* ts, int64_t* ns) {
  if (!ts) {
    *ns = -1;
    return true;
  }
  if (ts->tv_sec < 0 || static_cast<unsigned long>(ts->tv_nsec) >= 1000000000ul) return false;
  *ns = relative_ns(ts->tv_sec, ts->tv_nsec);
  return true;
}

// Room for n PollWants: on the stack for small sets (a G's stack may be
// 16 KiB), else mapped for the call. Empty (data() == nullptr) if the
// mapping failed: the call then waits in the kernel.
class WantBuffer {
 public:
  explicit WantBuffer(int n) : n_(n) {
    if (n > kOnStack) {
      heap_ = static_cast<PollWant*>(
          sys::mmap(nullptr, bytes(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS));
    }
  }
  ~WantBuffer() {
    if (heap_) sys::munmap(heap_, bytes());
  }
  PollWant* data() { return n_ > kOnStack ? heap_ : local_; }
  WantBuffer(const WantBuffer&) = delete;
  WantBuffer& operator=(const WantBuffer&) = delete;

 private:
  static constexpr int kOnStack = 32;
  size_t bytes() const { return sizeof(PollWant) * static_cast<size_t>(n_); }
  int n_;
  PollWant* heap_ = nullptr;
  PollWant local_[kOnStack];
};

struct Call {
  const PollWant* want;  // the descriptors and their interest
  int n;                 // their number; -1: only the kernel can wait
  int64_t timeout_ns;    // -1: none
  bool cancellation_point;
};

// Returns the call's raw result (-errno on failure; 0 when the time ran
// out). try_now() makes the family's call with a zero timeout; in_kernel(
// left_ns) makes it waiting at most left_ns (-1: no limit). Only for Gs.
template <class TryNow, class InKernel>
long wait(const Call& c, TryNow try_now, InKernel in_kernel) {
  if (c.cancellation_point) sync::cancel_point();
  long r = try_now();
  if (r != 0 || c.timeout_ns == 0) return r;
  int64_t deadline = c.timeout_ns < 0 ? 0 : sys::now_ns() + c.timeout_ns;
  if (c.n >= 0 && c.n <= kMaxParked) {
    for (;;) {
      int e = netpoll_wait_many(c.want, c.n, deadline);
      if (e == EPERM) break;
      if (e == EINTR) {
        if (c.cancellation_point) {
          sync::cancel_point();
          return -EINTR;
        }
        sync::async_cancel_point();
        if (sync::woken_by_signal(current_g())) return -EINTR;
        continue;  // only pthread_cancel's interruption (a deferred request)
      }
      // EBADF (a descriptor closed meanwhile) too: the kernel says how.
      r = try_now();
      if (r != 0 || e == ETIMEDOUT) return r;
    }
  }
  int64_t left = -1;
  if (deadline) {
    left = deadline - sys::now_ns();
    if (left < 0) left = 0;
  }
  if (c.cancellation_point) return blocking::call_cancellable([&] { return in_kernel(left); });
  return blocking::call([&] { return in_kernel(left); });
}

}  // namespace weft::fdwait

struct pollfd;
struct epoll_event;

namespace weft {
// syscall(SYS_poll) and syscall(SYS_epoll_wait / SYS_epoll_pwait without a
// mask) from a G: the same waits, as no cancellation point. Raw results.
long poll_syscall(pollfd* fds, unsigned long nfds, int timeout_ms);
long epoll_wait_syscall(int epfd, epoll_event* ev, int max, int timeout_ms);
}  // namespace weft
