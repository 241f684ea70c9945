// shim/syscall.cpp — syscall(2) interposition.
//
// libstdc++ 12 implements std::atomic<T>::wait/notify, std::latch,
// std::barrier and std::counting_semaphore with syscall(SYS_futex, ...) from
// the program, which would block a whole M. So FUTEX_WAIT, FUTEX_WAIT_BITSET,
// FUTEX_WAKE and FUTEX_WAKE_BITSET go to weft's futex (a G parks; without
// FUTEX_PRIVATE_FLAG the word may be shared with another process, so it
// uses the kernel futex), with the kernel's checks and results: EINVAL for a
// misaligned word, a zero bitset or a bad timeout (before comparing the
// value), ENOSYS for FUTEX_CLOCK_REALTIME outside FUTEX_WAIT_BITSET,
// EAGAIN / ETIMEDOUT / EINTR from a wait, the number woken from a wake (a
// count <= 0 wakes one, as the kernel does). FUTEX_WAIT's timeout is
// relative (CLOCK_MONOTONIC); FUTEX_WAIT_BITSET's is absolute on
// CLOCK_MONOTONIC or, with FUTEX_CLOCK_REALTIME, CLOCK_REALTIME.
// Private FUTEX_REQUEUE, FUTEX_CMP_REQUEUE and FUTEX_WAKE_OP must reach Gs
// parked by weft too, so they are emulated on weft's futex: WAKE_OP does its
// atomic operation on the second word and both wakes; a requeue wakes the
// waiters it would have moved (they see a spurious wake-up and wait again,
// which futex users must already handle). Shared ones sleep in the kernel,
// so they pass through like every other futex op.
// SYS_gettid, SYS_tgkill, SYS_tkill, SYS_prctl's PR_SET_NAME/PR_GET_NAME,
// SYS_clock_gettime/SYS_clock_getres on a thread's CPU clock and SYS_ptrace
// behave as their libc forms (shim/identity.h). SYS_sched_yield yields the G. The fd I/O numbers (read, write, recv*,
// send*, accept*, connect, close, dup2/dup3, close_range...) go the way of
// their wrappers (shim/syscall_io.cpp); SYS_poll, SYS_epoll_wait and
// SYS_epoll_pwait without a mask wait on the netpoller (shim/fd_wait.h).
// SYS_execve and SYS_execveat are bracketed as the exec family is
// (shim/exec.cpp). Every other call passes through unchanged; one that may block (wait4,
// flock, fcntl's F_SETLKW, openat, ...) runs as a blocking system call (the
// G's P goes to another M meanwhile). syscall() is no cancellation point in
// glibc, so none of these is one here either.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "core/blocking.h"
#include "core/export.h"
#include "core/g.h"
#include "core/sleep.h"
#include "core/sys.h"
#include "shim/fd_wait.h"
#include "shim/fd_io.h"
#include "shim/identity.h"
#include "shim/new_image.h"
#include "shim/sync_common.h"

namespace weft {
// shim/signal_syscall.cpp: the signal mask and wait calls.
bool signal_syscall(long n, const long* args, long* r);

namespace {

constexpr long kNsPerSec = 1000000000;

// FUTEX_WAKE_OP's operation on *word; returns the old value.
uint32_t wake_op_apply(uint32_t* word, int op, uint32_t arg) {
  switch (op) {
    case FUTEX_OP_SET: return __atomic_exchange_n(word, arg, __ATOMIC_SEQ_CST);
    case FUTEX_OP_ADD: return __atomic_fetch_add(word, arg, __ATOMIC_SEQ_CST);
    case FUTEX_OP_OR: return __atomic_fetch_or(word, arg, __ATOMIC_SEQ_CST);
    case FUTEX_OP_ANDN: return __atomic_fetch_and(word, ~arg, __ATOMIC_SEQ_CST);
    default: return __atomic_fetch_xor(word, arg, __ATOMIC_SEQ_CST);
  }
}

bool wake_op_compare(int cmp, int old, int arg) {
  switch (cmp) {
    case FUTEX_OP_CMP_EQ: return old == arg;
    case FUTEX_OP_CMP_NE: return old != arg;
    case FUTEX_OP_CMP_LT: return old < arg;
    case FUTEX_OP_CMP_LE: return old <= arg;
    case FUTEX_OP_CMP_GT: return old > arg;
    default: return old >= arg;
  }
}

// 12-bit two's complement fields of FUTEX_WAKE_OP's encoded operation.
int sign_extend12(uint32_t v) { return static_cast<int>(v << 20) >> 20; }

// Private FUTEX_REQUEUE / FUTEX_CMP_REQUEUE / FUTEX_WAKE_OP (see top).
long futex_two_words(int cmd, long uaddr, long val, long val2, long uaddr2, long val3) {
  if ((uaddr | uaddr2) & 3) return -EINVAL;
  auto* word = reinterpret_cast<uint32_t*>(uaddr);
  auto* word2 = reinterpret_cast<uint32_t*>(uaddr2);
  int n = static_cast<int>(val);
  int n2 = static_cast<int>(val2);
  if (cmd == FUTEX_WAKE_OP) {
    uint32_t enc = static_cast<uint32_t>(val3);
    int op = (enc >> 28) & 7;
    int cmp = (enc >> 24) & 15;
    int oparg = sign_extend12((enc >> 12) & 0xfff);
    int cmparg = sign_extend12(enc & 0xfff);
    if (op > FUTEX_OP_XOR || cmp > FUTEX_OP_CMP_GE) return -ENOSYS;
    if (enc >> 31) oparg = 1 << (oparg & 31);  // FUTEX_OP_OPARG_SHIFT
    int old = static_cast<int>(wake_op_apply(word2, op, static_cast<uint32_t>(oparg)));
    long woken = futex_wake(word, n, false);
    if (wake_op_compare(cmp, old, cmparg)) woken += futex_wake(word2, n2, false);
    return woken;
  }
  if (n < 0 || n2 < 0) return -EINVAL;
  if (cmd == FUTEX_CMP_REQUEUE && __atomic_load_n(word, __ATOMIC_SEQ_CST) != static_cast<uint32_t>(val3))
    return -EAGAIN;
  long total = static_cast<long>(n) + n2;
  return futex_wake(word, total > INT_MAX ? INT_MAX : static_cast<int>(total), false);
}

// Returns the raw result (-errno on failure).
// Whether a word lies in memory other processes may map: a shared or file
// page, per /proc/self/pagemap (bit 61). libstdc++'s atomic waits omit
// FUTEX_PRIVATE_FLAG even for a process's own memory; asking lets a G park
// in weft rather than hold a kernel thread. When the answer cannot be had
// the word counts as shared (the kernel path is always correct).
bool in_shared_page(const void* addr) {
  long fd = sys::call6(SYS_openat, AT_FDCWD, (long)"/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;
  uint64_t entry = 0;
  long off = static_cast<long>(reinterpret_cast<uintptr_t>(addr) / 4096 * sizeof entry);
  long n = sys::call6(SYS_pread64, fd, (long)&entry, sizeof entry, off);
  sys::call6(SYS_close, fd);
  constexpr uint64_t kPresent = uint64_t{1} << 63, kFileOrShared = uint64_t{1} << 61;
  return n != sizeof entry || !(entry & kPresent) || (entry & kFileOrShared);
}

long futex_call(long uaddr, long op, long val, long timeout, long uaddr2, long val3,
                bool* handled) {
  int cmd = static_cast<int>(op) & FUTEX_CMD_MASK;
  bool is_wait = cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET;
  bool is_wake = cmd == FUTEX_WAKE || cmd == FUTEX_WAKE_BITSET;
  bool two_words = (cmd == FUTEX_REQUEUE || cmd == FUTEX_CMP_REQUEUE || cmd == FUTEX_WAKE_OP) &&
                   (op & FUTEX_PRIVATE_FLAG) && !(op & FUTEX_CLOCK_REALTIME);
  *handled = is_wait || is_wake || two_words;
  if (!*handled) return 0;
  if (two_words) return futex_two_words(cmd, uaddr, val, timeout, uaddr2, val3);
  bool realtime = op & FUTEX_CLOCK_REALTIME;
  if (realtime && cmd != FUTEX_WAIT_BITSET) return -ENOSYS;
  bool pshared = !(op & FUTEX_PRIVATE_FLAG);
  if (uaddr & 3) return -EINVAL;
  uint32_t bitset = (cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAKE_BITSET)
                        ? static_cast<uint32_t>(val3)
                        : FUTEX_BITSET_MATCH_ANY;
  if (bitset == 0) return -EINVAL;
  auto* word = reinterpret_cast<const uint32_t*>(uaddr);
  if (is_wake) {
    int n = static_cast<int>(val) <= 0 ? 1 : static_cast<int>(val);
    if (!pshared) return futex_wake(word, n, false, bitset);
    // Waiters may be Gs parked in weft (private memory) or kernel waiters
    // (other processes, native threads): wake both kinds.
    int woken = futex_wake(word, n, false, bitset);
    return woken < n ? woken + futex_wake(word, n - woken, true, bitset) : woken;
  }
  // A G on a non-private word of private memory parks in weft (see above).
  G* self = current_g();
  if (pshared && self && !self->is_g0 && !in_shared_page(word)) pshared = false;
  const auto* ts = reinterpret_cast<const timespec*>(timeout);
  timespec deadline;
  clockid_t clk = realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC;
  const timespec* dl = nullptr;
  if (ts != nullptr) {
    if (ts->tv_sec < 0 || !sync::valid_nsec(ts->tv_nsec)) return -EINVAL;
    if (cmd == FUTEX_WAIT) {
      clock_gettime(CLOCK_MONOTONIC, &deadline);
      if (ts->tv_sec >= sync::kFarFuture - deadline.tv_sec) {
        deadline = timespec{sync::kFarFuture, 0};
      } else {
        deadline.tv_sec += ts->tv_sec;
        deadline.tv_nsec += ts->tv_nsec;
        if (deadline.tv_nsec >= kNsPerSec) {
          deadline.tv_nsec -= kNsPerSec;
          ++deadline.tv_sec;
        }
      }
    } else {
      deadline = *ts;
      if (deadline.tv_sec > sync::kFarFuture) deadline = timespec{sync::kFarFuture, 0};
    }
    dl = &deadline;
  }
  // A lock of the program's own, say: asynchronous cancellation acts here;
  // a deferred request's interruption is no signal, the wait goes on.
  int e;
  do {
    sync::async_cancel_point();
    e = futex_wait(word, static_cast<uint32_t>(val), dl, clk, pshared, bitset);
  } while (e == EINTR && !sync::woken_by_signal(current_g()));
  return e == 0 ? 0 : -e;
}

// Calls that never block: no need to hand the P away around them.
bool never_blocks(long n) {
  switch (n) {
    case SYS_gettid: case SYS_getpid: case SYS_getppid: case SYS_getuid: case SYS_geteuid:
    case SYS_getgid: case SYS_getegid: case SYS_clock_gettime: case SYS_clock_getres:
    case SYS_gettimeofday: case SYS_time: case SYS_getcpu: case SYS_sched_getaffinity:
    case SYS_getrusage: case SYS_getpriority: case SYS_prctl: case SYS_rt_sigprocmask:
    case SYS_sigaltstack: case SYS_getrlimit: case SYS_prlimit64: case SYS_getpgid:
    case SYS_getsid: case SYS_umask: case SYS_mprotect: case SYS_madvise:
    case SYS_membarrier: case SYS_rseq: case SYS_set_robust_list: case SYS_get_robust_list:
    case SYS_arch_prctl: case SYS_tgkill: case SYS_kill: case SYS_tkill:
      return true;
    default:
      return false;
  }
}

}  // namespace
}  // namespace weft

WEFT_EXPORT long syscall(long n, ...) {
  va_list ap;
  va_start(ap, n);
  long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
  long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
  va_end(ap);
  long r;
  bool handled = false;
  if (n == SYS_futex) {
    r = weft::futex_call(a1, a2, a3, a4, a5, a6, &handled);
  } else {
    const long args[6] = {a1, a2, a3, a4, a5, a6};
    handled = weft::io::syscall_io(n, args, &r) || weft::signal_syscall(n, args, &r) ||
              weft::identity_syscall(n, args, &r);
  }
  if (!handled) {
    if (n == SYS_sched_yield) {
      weft::yield();
      r = 0;
    } else if (n == SYS_execve || n == SYS_execveat) {
      // A new image starts with the calling thread's mask (shim/new_image.h).
      r = weft::with_own_mask([&] { return weft::sys::call6(n, a1, a2, a3, a4, a5, a6); });
    } else if (weft::current_g() && n == SYS_poll) {
      r = weft::poll_syscall(reinterpret_cast<pollfd*>(a1), a2, static_cast<int>(a3));
    } else if (weft::current_g() &&
               (n == SYS_epoll_wait || (n == SYS_epoll_pwait && a5 == 0))) {
      r = weft::epoll_wait_syscall(static_cast<int>(a1), reinterpret_cast<epoll_event*>(a2),
                                   static_cast<int>(a3), static_cast<int>(a4));
    } else if (weft::never_blocks(n) ||
               (n == SYS_fcntl && a2 != F_SETLKW && a2 != F_OFD_SETLKW)) {
      r = weft::sys::call6(n, a1, a2, a3, a4, a5, a6);
    } else {
      weft::BlockingSyscallScope blocking;
      r = weft::sys::call6(n, a1, a2, a3, a4, a5, a6);
    }
  }
  if (r < 0 && r > -4096) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return r;
}
