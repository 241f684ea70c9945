// core/sys.h — raw system calls for the runtime.
//
// The runtime cannot use libc's wrappers on its own paths: they write errno
// (a TLS variable of whichever TCB %fs points at, possibly a G that another M
// is about to run) and some take libc locks. These return -errno instead.
#pragma once
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

namespace weft::sys {

inline long call6(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0,
                  long f = 0) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

inline long futex_wait(const uint32_t* w, uint32_t val, const timespec* abs_mono,
                       bool priv = true) {
  int op = FUTEX_WAIT_BITSET | (priv ? FUTEX_PRIVATE_FLAG : 0);
  return call6(SYS_futex, (long)w, op, val, (long)abs_mono, 0, FUTEX_BITSET_MATCH_ANY);
}
inline long futex_wake(const uint32_t* w, int n, bool priv = true) {
  return call6(SYS_futex, (long)w, FUTEX_WAKE | (priv ? FUTEX_PRIVATE_FLAG : 0), n);
}
inline int gettid() { return (int)call6(SYS_gettid); }

inline void* mmap(void* addr, size_t len, int prot, int flags) {
  long r = call6(SYS_mmap, (long)addr, (long)len, prot, flags, -1, 0);
  return (r < 0 && r > -4096) ? nullptr : (void*)r;
}
inline long munmap(void* addr, size_t len) { return call6(SYS_munmap, (long)addr, (long)len); }
inline long madvise(void* addr, size_t len, int advice) {
  return call6(SYS_madvise, (long)addr, (long)len, advice);
}
inline long mprotect(void* addr, size_t len, int prot) {
  return call6(SYS_mprotect, (long)addr, (long)len, prot);
}
inline long write(int fd, const void* buf, size_t n) {
  return call6(SYS_write, fd, (long)buf, (long)n);
}

// CLOCK_MONOTONIC in nanoseconds. clock_gettime goes through the vDSO and
// touches no TLS.
inline int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

inline timespec ns_to_timespec(int64_t ns) {
  return timespec{time_t(ns / 1000000000), long(ns % 1000000000)};
}

}  // namespace weft::sys
