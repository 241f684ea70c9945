// shim/select.cpp — select and pselect on the netpoller (shim/fd_wait.h).
//
// The zero-timeout tries work on copies of the fd_sets, so that a try that
// finds nothing does not clear the program's sets before the next one; the
// kernel's answer is copied back when something is ready, and the sets are
// cleared when the time runs out, as the kernel does. A descriptor in
// readfds waits for kPollRead, in writefds for kPollWrite; one only in
// exceptfds (urgent data, which the netpoller does not watch), nfds beyond
// FD_SETSIZE, or pselect with a signal mask (installed by the kernel for
// exactly the call, atomically: weft has no per-G masks yet) make the call
// wait in the kernel. As on Linux, select writes the time left into
// *timeout, and pselect leaves its timeout alone (glibc passes a copy).
// Both are cancellation points.
#include <signal.h>
#include <string.h>
#include <sys/select.h>

#include "core/export.h"
#include "shim/fd_wait.h"

using namespace weft;

namespace {

constexpr int kWordBits = 64;

struct Sets {
  fd_set* set[3];  // read, write, except (each may be nullptr)
};

// The raw pselect6 with a timeout of timeout_ns (-1: none).
long pselect_raw(int nfds, const Sets& s, int64_t timeout_ns, const sigset_t* mask) {
  timespec ts = sys::ns_to_timespec(timeout_ns);
  struct {
    const sigset_t* set;
    size_t size;
  } sigdata{mask, _NSIG / 8};
  return sys::call6(SYS_pselect6, nfds, (long)s.set[0], (long)s.set[1], (long)s.set[2],
                    timeout_ns < 0 ? 0 : (long)&ts, mask ? (long)&sigdata : 0);
}

uint64_t word(const fd_set* set, int w) {
  return set ? reinterpret_cast<const uint64_t*>(set->fds_bits)[w] : 0;
}

// The raw result of select over nfds <= FD_SETSIZE with a timeout of
// timeout_ns (-1: none).
long select_parked(int nfds, const Sets& user, int64_t timeout_ns) {
  int words = (nfds + kWordBits - 1) / kWordBits;
  int n = 0;
  bool parkable = true;
  for (int w = 0; w < words; w++) {
    uint64_t rw = word(user.set[0], w) | word(user.set[1], w);
    n += __builtin_popcountll(rw);
    if (word(user.set[2], w) & ~rw) parkable = false;
  }
  fdwait::WantBuffer buf(n);
  PollWant* want = buf.data();
  if (!want) parkable = false;
  int i = 0;
  for (int w = 0; w < words && want; w++) {
    for (uint64_t bits = word(user.set[0], w) | word(user.set[1], w); bits; bits &= bits - 1) {
      int b = __builtin_ctzll(bits);
      uint32_t mode = ((word(user.set[0], w) >> b) & 1 ? kPollRead : 0) |
                      ((word(user.set[1], w) >> b) & 1 ? kPollWrite : 0);
      want[i++] = PollWant{w * kWordBits + b, mode};
    }
  }
  fd_set copy[3];
  Sets tried{};
  size_t bytes = static_cast<size_t>(words) * sizeof(uint64_t);
  auto try_now = [&] {
    for (int k = 0; k < 3; k++) {
      if (!user.set[k]) continue;
      memcpy(&copy[k], user.set[k], bytes);
      tried.set[k] = &copy[k];
    }
    long r = pselect_raw(nfds, tried, 0, nullptr);
    if (r > 0)
      for (int k = 0; k < 3; k++)
        if (user.set[k]) memcpy(user.set[k], &copy[k], bytes);
    return r;
  };
  fdwait::Call c{want, parkable ? n : -1, timeout_ns, true};
  long r = fdwait::wait(c, try_now,
                        [&](int64_t left) { return pselect_raw(nfds, user, left, nullptr); });
  if (r == 0)
    for (int k = 0; k < 3; k++)
      if (user.set[k]) memset(user.set[k], 0, bytes);
  return r;
}

long select_g(int nfds, const Sets& s, int64_t timeout_ns) {
  if (nfds < 0 || nfds > FD_SETSIZE)
    return blocking::call_cancellable([&] { return pselect_raw(nfds, s, timeout_ns, nullptr); });
  return select_parked(nfds, s, timeout_ns);
}

}  // namespace

WEFT_EXPORT int select(int nfds, fd_set* r, fd_set* w, fd_set* x, struct timeval* timeout) {
  if (!current_g()) return WEFT_CALL_REAL(select, nfds, r, w, x, timeout);
  int64_t ns = -1;
  if (timeout) {
    // glibc's checks; tv_usec beyond a second is carried into tv_sec.
    if (timeout->tv_sec < 0 || timeout->tv_usec < 0) {
      errno = EINVAL;
      return -1;
    }
    ns = fdwait::relative_ns(timeout->tv_sec + timeout->tv_usec / 1000000,
                             timeout->tv_usec % 1000000 * 1000);
  }
  int64_t start = ns > 0 ? sys::now_ns() : 0;
  long res = select_g(nfds, Sets{{r, w, x}}, ns);
  if (ns >= 0) {
    int64_t left = ns - (ns > 0 ? sys::now_ns() - start : 0);
    if (left < 0) left = 0;
    timeout->tv_sec = left / fdwait::kNsPerSec;
    timeout->tv_usec = left % fdwait::kNsPerSec / 1000;
  }
  return static_cast<int>(blocking::libc_result(res));
}

WEFT_EXPORT int pselect(int nfds, fd_set* r, fd_set* w, fd_set* x,
                        const struct timespec* timeout, const sigset_t* mask) {
  if (!current_g()) return WEFT_CALL_REAL(pselect, nfds, r, w, x, timeout, mask);
  int64_t ns;
  if (!fdwait::timeout_ns(timeout, &ns)) {
    errno = EINVAL;
    return -1;
  }
  Sets s{{r, w, x}};
  if (mask)
    return static_cast<int>(blocking::libc_result(
        blocking::call_cancellable([&] { return pselect_raw(nfds, s, ns, mask); })));
  return static_cast<int>(blocking::libc_result(select_g(nfds, s, ns)));
}
