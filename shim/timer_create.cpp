// shim/timer_create.cpp — timer_create and timer_delete for SIGEV_THREAD
// timers, their table and their dispatcher (model: shim/timer.h). Other
// timers go to glibc unchanged.
//
// The table: slots in chunks of 64 that are never freed (a stale id always
// reads a slot, whose tag then says "not live"), found through a fixed
// array of chunk pointers; free slots on a list. A fork child has no timers
// (POSIX): its handler closes the inherited timerfds and frees every slot.
#include <errno.h>
#include <limits.h>
#include <new>
#include <stdlib.h>
#include <sys/timerfd.h>

#include "core/export.h"
#include "core/netpoll.h"
#include "core/own_fd.h"
#include "core/real.h"
#include "core/spinlock.h"
#include "core/sys.h"
#include "core/warn.h"
#include "shim/sigev_thread.h"
#include "shim/thread.h"
#include "shim/timer.h"

namespace weft {
namespace {

constexpr uint32_t kChunkBits = 6;
constexpr uint32_t kChunkSize = 1u << kChunkBits;
constexpr uint32_t kMaxChunks = 4096;  // 262,144 timers at once

std::atomic<ThreadTimer*> chunks[kMaxChunks];
SpinLock table_lock;  // free_list, nchunks
ThreadTimer* free_list;
uint32_t nchunks;

ThreadTimer* slot_at(uint32_t slot) {
  if (slot >= kMaxChunks * kChunkSize) return nullptr;
  ThreadTimer* chunk = chunks[slot >> kChunkBits].load(std::memory_order_acquire);
  return chunk ? &chunk[slot & (kChunkSize - 1)] : nullptr;
}

void init_slot(ThreadTimer* t, uint32_t gen) {
  pthread_mutex_init(&t->lock, nullptr);
  t->tag.store(gen & kTimerGenMask, std::memory_order_relaxed);
  t->dispatching = false;
  t->fd = -1;
}

void push_free(ThreadTimer* t) {
  t->next_free = free_list;
  free_list = t;
}

// Every timer vanishes in a fork child; their slots are reused there.
void forget_after_fork() {
  new (&table_lock) SpinLock();
  free_list = nullptr;
  for (uint32_t c = nchunks; c-- > 0;) {
    ThreadTimer* chunk = chunks[c].load(std::memory_order_relaxed);
    if (!chunk) continue;  // being added when the parent forked
    for (uint32_t i = kChunkSize; i-- > 0;) {
      ThreadTimer* t = &chunk[i];
      if (t->dispatching) {
        own_fd_remove(t->fd);
        sys::call6(SYS_close, t->fd);
      }
      if (t->tag.load(std::memory_order_relaxed) & kTimerLive) pthread_attr_destroy(&t->attr);
      init_slot(t, t->tag.load(std::memory_order_relaxed) + 1);
      push_free(t);
    }
  }
}

ThreadTimer* alloc_slot() {
  static std::atomic<bool> atfork{false};
  if (!atfork.load(std::memory_order_relaxed) && !atfork.exchange(true))
    pthread_atfork(nullptr, nullptr, forget_after_fork);
  {
    SpinLockGuard guard(table_lock);
    if (ThreadTimer* t = free_list) {
      free_list = t->next_free;
      return t;
    }
  }
  ThreadTimer* chunk = static_cast<ThreadTimer*>(calloc(kChunkSize, sizeof(ThreadTimer)));
  if (!chunk) return nullptr;
  SpinLockGuard guard(table_lock);
  if (nchunks == kMaxChunks) {
    free(chunk);
    return nullptr;
  }
  uint32_t c = nchunks++;
  for (uint32_t i = kChunkSize; i-- > 0;) {
    chunk[i].slot = c << kChunkBits | i;
    init_slot(&chunk[i], 0);
    if (i) push_free(&chunk[i]);
  }
  chunks[c].store(chunk, std::memory_order_release);
  return &chunk[0];
}

// Back on the free list with the next generation: its old id is dead.
void free_slot(ThreadTimer* t) {
  pthread_attr_destroy(&t->attr);
  SpinLockGuard guard(table_lock);
  t->tag.store((t->tag.load(std::memory_order_relaxed) + 1) & kTimerGenMask,
               std::memory_order_release);
  push_free(t);
}

timer_t id_of(ThreadTimer* t, uint32_t gen) {
  return reinterpret_cast<timer_t>(kTimerTag | uintptr_t{gen} << 32 | t->slot);
}

// The slot an id of weft's form names, and the tag it has while that
// timer lives.
ThreadTimer* decode(timer_t id, uint32_t* live_tag) {
  uintptr_t bits = reinterpret_cast<uintptr_t>(id);
  *live_tag = (uint32_t(bits >> 32) & kTimerGenMask) | kTimerLive;
  return is_thread_timer(id) ? slot_at(uint32_t(bits)) : nullptr;
}

// Waits for expiries and starts a callback thread for each read of the
// timerfd, until timer_delete (or the descriptor is lost: the program
// replaced it behind weft's back).
void* dispatch(void* arg) {
  ThreadTimer* t = static_cast<ThreadTimer*>(arg);
  const int fd = t->fd;
  bool lost = false;
  for (;;) {
    int wait = netpoll_wait(fd, kPollRead, 0);
    pthread_mutex_lock(&t->lock);
    // EBADF: the number was replaced (dup2) and may name another file now.
    lost = wait == EBADF || wait == EPERM;
    if (lost || !(t->tag.load(std::memory_order_relaxed) & kTimerLive)) break;
    uint64_t expiries = 0;
    long r = sys::call6(SYS_read, fd, long(&expiries), sizeof expiries);
    if (r == sizeof expiries) {
      t->overrun.store(expiries - 1 > INT_MAX ? INT_MAX : int(expiries - 1),
                       std::memory_order_relaxed);
      sigev_thread_start(&t->attr, t->fn, t->value);
    } else if (r != -EAGAIN && r != -EINTR) {
      lost = true;
      break;
    }
    pthread_mutex_unlock(&t->lock);
  }
  // Under the lock: timer_delete frees the slot if it finds the dispatcher
  // gone, else the dispatcher does once it sees the timer deleted.
  t->dispatching = false;
  own_fd_remove(fd);
  if (lost) {
    warn("a SIGEV_THREAD timer's descriptor was replaced by the program; the timer stops");
  } else {
    netpoll_fd_closing(fd);
    sys::call6(SYS_close, fd);
  }
  bool deleted = !(t->tag.load(std::memory_order_relaxed) & kTimerLive);
  pthread_mutex_unlock(&t->lock);
  if (deleted) free_slot(t);
  return nullptr;
}

// The clocks a timerfd has with a timer's semantics (the alarm clocks'
// timerfds work where their timers fail with EOPNOTSUPP or EPERM).
bool timerfd_clock(clockid_t clock) {
  return clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC || clock == CLOCK_BOOTTIME;
}

int create(clockid_t clock, const sigevent* ev, timer_t* out) {
  long fd = sys::call6(SYS_timerfd_create, clock, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return fd == -EMFILE || fd == -ENFILE || fd == -ENOMEM ? EAGAIN : int(-fd);
  ThreadTimer* t = alloc_slot();
  if (!t) {
    sys::call6(SYS_close, fd);
    return EAGAIN;
  }
  own_fd_add(int(fd));
  // The callback threads start with every signal blocked, as glibc's (they
  // inherit its helper thread's mask).
  sigset_t all;
  sigfillset(&all);
  int err = sigev_attr_init(&t->attr, ev->sigev_notify_attributes, false, &all);
  if (err) {
    pthread_attr_init(&t->attr);  // free_slot destroys it
    free_slot(t);
    own_fd_remove(int(fd));
    sys::call6(SYS_close, fd);
    return err;
  }
  t->fd = int(fd);
  t->fn = ev->sigev_notify_function;
  t->value = ev->sigev_value;
  t->overrun.store(0, std::memory_order_relaxed);
  uint32_t gen = t->tag.load(std::memory_order_relaxed);
  pthread_mutex_lock(&t->lock);
  t->tag.store(gen | kTimerLive, std::memory_order_release);
  t->dispatching = true;
  pthread_mutex_unlock(&t->lock);
  err = sigev_dispatcher_start(dispatch, t);
  if (err) {
    t->dispatching = false;
    t->tag.store(gen, std::memory_order_relaxed);
    free_slot(t);
    own_fd_remove(int(fd));
    sys::call6(SYS_close, fd);
    return EAGAIN;
  }
  *out = id_of(t, gen);
  return 0;
}

}  // namespace

ThreadTimer* thread_timer_find(timer_t id) {
  uint32_t live_tag;
  ThreadTimer* t = decode(id, &live_tag);
  return t && t->tag.load(std::memory_order_acquire) == live_tag ? t : nullptr;
}

}  // namespace weft

WEFT_EXPORT int timer_create(clockid_t clock, sigevent* ev, timer_t* out) {
  using namespace weft;
  static auto real_create = real<int (*)(clockid_t, sigevent*, timer_t*)>("timer_create");
  if (!ev || ev->sigev_notify != SIGEV_THREAD || !ensure_runtime())
    return real_create(clock, ev, out);
  if (!timerfd_clock(clock)) {
    int r = real_create(clock, ev, out);
    static std::atomic<bool> warned{false};
    if (r == 0 && !warned.exchange(true))
      warn("timer_create: a SIGEV_THREAD timer on a CPU-time clock or CLOCK_TAI runs its "
           "callbacks in threads that weft does not run");
    return r;
  }
  int err = create(clock, ev, out);
  if (err) {
    errno = err;
    return -1;
  }
  return 0;
}

WEFT_EXPORT int timer_delete(timer_t id) {
  using namespace weft;
  static auto real_delete = real<int (*)(timer_t)>("timer_delete");
  if (!is_thread_timer(id)) return real_delete(id);
  uint32_t live_tag;
  if (ThreadTimer* t = decode(id, &live_tag)) {
    pthread_mutex_lock(&t->lock);
    if (t->tag.load(std::memory_order_relaxed) == live_tag) {
      t->tag.store(live_tag & ~kTimerLive, std::memory_order_relaxed);
      bool dispatching = t->dispatching;
      if (dispatching) {  // wake it: it closes the timerfd and frees the slot
        itimerspec now{{0, 0}, {0, 1}};
        sys::call6(SYS_timerfd_settime, t->fd, 0, long(&now), 0);
      }
      pthread_mutex_unlock(&t->lock);
      if (!dispatching) free_slot(t);
      return 0;
    }
    pthread_mutex_unlock(&t->lock);
  }
  errno = EINVAL;
  return -1;
}
