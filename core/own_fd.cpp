// core/own_fd.cpp — see core/own_fd.h.
//
// Model: one bit per descriptor number in a bitmap covering [0, 2^20),
// 128 KiB of zero pages that cost nothing until a descriptor's word is
// touched; `count` makes the common case (none listed) one load, and `top`
// (one past the highest number ever listed) bounds the scans of
// own_fd_next. Bits are set and cleared atomically, so no lock is needed:
// an fd's bit changes only while its owner holds the descriptor open.
#include "core/own_fd.h"

#include <atomic>
#include <stdint.h>

namespace weft {
namespace {

constexpr unsigned kLimit = 1u << 20;
std::atomic<uint64_t> bits[kLimit / 64];
std::atomic<int> count{0};
std::atomic<unsigned> top{0};

}  // namespace

void own_fd_add(int fd) {
  if (fd < 0 || unsigned(fd) >= kLimit) return;
  bits[fd / 64].fetch_or(uint64_t{1} << (fd % 64), std::memory_order_release);
  count.fetch_add(1, std::memory_order_release);
  unsigned end = unsigned(fd) + 1, t = top.load(std::memory_order_relaxed);
  while (t < end && !top.compare_exchange_weak(t, end, std::memory_order_release)) {
  }
}

void own_fd_remove(int fd) {
  if (fd < 0 || unsigned(fd) >= kLimit) return;
  uint64_t bit = uint64_t{1} << (fd % 64);
  if (bits[fd / 64].fetch_and(~bit, std::memory_order_release) & bit)
    count.fetch_sub(1, std::memory_order_release);
}

bool own_fd(int fd) {
  if (count.load(std::memory_order_acquire) == 0 || fd < 0 || unsigned(fd) >= kLimit) return false;
  return bits[fd / 64].load(std::memory_order_acquire) >> (fd % 64) & 1;
}

int own_fd_next(unsigned first, unsigned last) {
  if (count.load(std::memory_order_acquire) == 0) return -1;
  unsigned end = top.load(std::memory_order_acquire);
  if (last >= end) last = end - 1;
  for (unsigned fd = first; fd <= last && end;) {
    uint64_t word = bits[fd / 64].load(std::memory_order_acquire) >> (fd % 64);
    if (word) {
      fd += unsigned(__builtin_ctzll(word));
      return fd <= last ? int(fd) : -1;
    }
    fd = (fd / 64 + 1) * 64;
  }
  return -1;
}

}  // namespace weft
