// shim/pthread_barrier.cpp — pthread_barrier_init / _wait / _destroy and the
// pthread_barrierattr_* family, on glibc 2.36's barrier protocol (so a
// pshared barrier interoperates with processes not under weft).
//
// Protocol: `in` hands out positions 1, 2, 3...; position p belongs to round
// ceil(p / count). current_round is the highest position whose round is
// complete (a multiple of count): the thread holding a position that ends a
// round (or sees that earlier rounds are full) advances it and wakes the
// sleepers, who sleep while current_round < their position. Exactly one
// position per round (the multiple of count) returns
// PTHREAD_BARRIER_SERIAL_THREAD. Leaving threads count themselves in `out`.
// To keep positions from wrapping, the barrier resets when positions reach a
// threshold (a round boundary below UINT_MAX / 2): later arrivals wait on
// `in` until the last thread below the threshold leaves and zeroes
// everything. destroy forces such a reset to learn when everyone has left.
#include <errno.h>
#include <limits.h>

#include "core/export.h"
#include "shim/sync_common.h"

using namespace weft;

namespace {

// glibc's struct pthread_barrier; `shared` holds FUTEX_PRIVATE (0) or
// FUTEX_SHARED (128).
struct Barrier {
  unsigned in;
  unsigned current_round;
  unsigned count;
  int shared;
  unsigned out;
};
static_assert(sizeof(Barrier) <= sizeof(pthread_barrier_t));

constexpr unsigned kThreshold = UINT_MAX / 2;
constexpr int kFutexShared = 128;

Barrier* of(pthread_barrier_t* b) { return reinterpret_cast<Barrier*>(b); }
unsigned reset_point(unsigned count) { return kThreshold - kThreshold % count; }

}  // namespace

WEFT_EXPORT int pthread_barrier_init(pthread_barrier_t* b, const pthread_barrierattr_t* attr,
                                     unsigned int count) {
  if (count == 0 || count >= kThreshold) return EINVAL;
  int pshared = attr ? *reinterpret_cast<const int*>(attr) : PTHREAD_PROCESS_PRIVATE;
  Barrier* bar = of(b);
  bar->in = 0;
  bar->out = 0;
  bar->count = count;
  bar->current_round = 0;
  bar->shared = pshared == PTHREAD_PROCESS_PRIVATE ? 0 : kFutexShared;
  return 0;
}

WEFT_EXPORT int pthread_barrier_wait(pthread_barrier_t* b) {
  Barrier* bar = of(b);
  unsigned pos;
  unsigned count;
  unsigned limit;
  for (;;) {
    pos = sync::fetch_add(&bar->in, 1u) + 1;
    count = bar->count;
    limit = reset_point(count);
    if (pos <= limit) break;
    // Past the reset point: wait for the reset, then take a fresh position.
    while (pos > limit) {
      sync::wait(&bar->in, pos, nullptr, CLOCK_REALTIME, bar->shared != 0);
      pos = sync::load(&bar->in);
    }
  }
  bool pshared = bar->shared != 0;
  unsigned round = sync::load(&bar->current_round);
  while (round + count <= pos) {
    // Every round up to the one before ours (or ours, if pos ends it) is
    // full: publish that and wake its sleepers.
    unsigned done = pos - pos % count;
    if (sync::cas(&bar->current_round, round, done)) {
      round = done;
      sync::wake(&bar->current_round, INT_MAX, pshared);
      break;
    }
  }
  while (round < pos) {
    sync::wait(&bar->current_round, round, nullptr, CLOCK_REALTIME, pshared);
    round = sync::load(&bar->current_round);
  }
  unsigned left = sync::fetch_add(&bar->out, 1u) + 1;
  if (left == limit) {
    // Last thread below the reset point: nobody else uses these fields now.
    sync::store_relaxed(&bar->current_round, 0u);
    sync::store_relaxed(&bar->out, 0u);
    sync::store(&bar->in, 0u);
    sync::wake(&bar->in, INT_MAX, pshared);
  }
  return pos % count == 0 ? PTHREAD_BARRIER_SERIAL_THREAD : 0;
}

WEFT_EXPORT int pthread_barrier_destroy(pthread_barrier_t* b) {
  Barrier* bar = of(b);
  unsigned limit = reset_point(bar->count);
  unsigned in = sync::load(&bar->in);
  // Pretend the reset point was reached: if threads are still leaving, the
  // last one resets `in` to 0 and wakes us.
  if (sync::fetch_add(&bar->out, limit - in) < in) {
    while (in != 0) {
      sync::wait(&bar->in, in, nullptr, CLOCK_REALTIME, bar->shared != 0);
      in = sync::load(&bar->in);
    }
  }
  return 0;
}

WEFT_EXPORT int pthread_barrierattr_init(pthread_barrierattr_t* a) {
  *reinterpret_cast<int*>(a) = PTHREAD_PROCESS_PRIVATE;
  return 0;
}

WEFT_EXPORT int pthread_barrierattr_destroy(pthread_barrierattr_t*) { return 0; }

WEFT_EXPORT int pthread_barrierattr_setpshared(pthread_barrierattr_t* a, int pshared) {
  if (pshared != PTHREAD_PROCESS_PRIVATE && pshared != PTHREAD_PROCESS_SHARED) return EINVAL;
  *reinterpret_cast<int*>(a) = pshared;
  return 0;
}

WEFT_EXPORT int pthread_barrierattr_getpshared(const pthread_barrierattr_t* a, int* pshared) {
  *pshared = *reinterpret_cast<const int*>(a);
  return 0;
}
