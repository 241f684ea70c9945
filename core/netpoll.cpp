// core/netpoll.cpp — the netpoller (Go's netpoll_epoll.go); interface in
// core/netpoll.h.
//
// Model. One epoll instance for the process (made at first use), with an
// eventfd in it for netpoll_break. weft keeps one Record per fd number, in a
// two-level table of mmap'd chunks (never freed, except in a fork child), so
// a Record's address is stable while any G may point at it. A Record holds,
// under its SpinLock:
//   gen         bumped by netpoll_fd_closing; epoll events carry (fd, gen)
//               in their data, and an event whose gen is not the Record's is
//               stale (the number was closed, maybe reused) and ignored;
//   ready       modes an event reported while no waiter of that mode was
//               woken by it: the next waiter consumes the bit and retries the
//               call instead of parking (an optimisation: see "no lost
//               wake-up" below);
//   registered  whether (file, fd) was added to the epoll set by us;
//   unpollable  epoll refused the file (EPERM: regular file, directory...);
//               also read without the lock by the I/O wrappers' fast path
//               (netpoll_fd_known_unpollable: a stale answer costs one
//               extra attempt or one hand-off, never a wrong result);
//   two FIFO lists of Waiters (read, write).
// A Waiter lives on the waiting G's stack: {G, wait seq, Record, lists it is
// on, closed}. A Waiter is on a list only while its G is inside
// netpoll_wait*: before returning, the G unlinks all its Waiters under each
// Record's lock, so a listed Waiter always belongs to a live G and a waker
// may touch it (and its G's wait_state) under the lock. A waker unlinks the
// Waiters of the mode it serves; the first waker to complete the G's wait
// (complete_wait) readies it after timer_del, the others just unlink.
//
// Registration is EPOLLONESHOT, for the modes that have waiters, re-armed
// with EPOLL_CTL_MOD under the Record's lock each time a G is about to park
// (and by the poller when waiters of another mode remain after an event):
// ONESHOT rather than edge-triggered so that a descriptor nobody waits on
// never wakes the poller (an ET registration keeps reporting every new
// packet and every freed send-buffer page). MOD re-reports current
// readiness, and it happens after the Waiter is listed, so readiness that
// came between the G's EAGAIN and its parking is never lost. MOD failing
// with ENOENT means the program closed the fd behind weft's back (fclose
// uses glibc's hidden __close) or it was never added: ADD it; ADD failing
// with EPERM makes netpoll_wait return EPERM (the caller makes a blocking
// call instead).
//
// netpoll_fd_closing (called before close/dup2/close_range) bumps gen, DELs
// the registration while the fd still names the file, and wakes every
// waiter with EBADF: weft never retries a call on a number that may now
// name another file. (Natively a read blocked on a closed socket keeps
// waiting on the old file; a G cannot keep the file alive, so it fails.)
//
// Several descriptors (netpoll_wait_many): the G begins its wait, then lists
// one Waiter per entry under each Record's lock in turn, keeping the last
// lock held into the park (park_until releases it after the switch). A
// waker may therefore win the wait before the G has parked: ready() waits
// for the G to get off its M, and the G removes its own timer after the
// park (a waker that won before park_until armed it could not). A ready bit
// found while listing ends the wait at once (the G completes it itself, or
// parks briefly to absorb the ready() of a waker that beat it).
//
// After fork the child closes the inherited epoll and eventfd (they would be
// shared with the parent) and forgets every Record; no G waits in a child.
#include "core/netpoll.h"

#include <errno.h>
#include <new>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "core/sched.h"
#include "core/stats.h"
#include "core/sys.h"
#include "core/timer_heap.h"

namespace weft {
namespace {

constexpr int kChunkBits = 8;
constexpr int kChunkSize = 1 << kChunkBits;
// fds at or above this (Linux's default fs.nr_open) are not polled: EPERM.
constexpr int kMaxFds = 1 << 20;
constexpr int kChunks = kMaxFds / kChunkSize;
constexpr uint64_t kBreakKey = ~uint64_t{0};
constexpr int kModes = 2;  // list 0: kPollRead, list 1: kPollWrite

struct Record;

struct Waiter {
  G* g;
  uint64_t seq;
  Record* rec;
  uint32_t linked;  // kPollRead/kPollWrite lists it is on (under rec->lock)
  bool closed;      // netpoll_fd_closing unlinked it (under rec->lock)
  Waiter* next[kModes];
  Waiter* prev[kModes];
};

// All-zero bytes are a valid empty Record (chunks come zeroed from mmap).
struct Record {
  SpinLock lock;
  uint32_t gen;
  uint32_t ready;
  bool registered;
  bool unpollable;
  Waiter* head[kModes];
  Waiter* tail[kModes];
};

std::atomic<Record*> chunks[kChunks];
std::atomic<bool> initialised{false};
SpinLock init_lock;
int epfd = -1;
int evfd = -1;
int owner_pid = 0;  // a vfork child shares our memory but not this pid
std::atomic<bool> atfork_registered{false};
std::atomic<int32_t> nwaiters{0};  // (Waiter, list) links
std::atomic<uint32_t> break_pending{0};
std::atomic<int64_t> last_poll_ns{0};
bool no_pwait2 = false;  // kernel without epoll_pwait2 (< 5.11)

constexpr size_t kChunkBytes = sizeof(Record) * kChunkSize;

Record* record(int fd, bool create) {
  if (fd < 0 || fd >= kMaxFds) return nullptr;
  std::atomic<Record*>& slot = chunks[fd >> kChunkBits];
  Record* c = slot.load(std::memory_order_acquire);
  if (!c && create) {
    auto* fresh = static_cast<Record*>(
        sys::mmap(nullptr, kChunkBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS));
    if (!fresh) return nullptr;
    if (slot.compare_exchange_strong(c, fresh, std::memory_order_acq_rel))
      c = fresh;
    else
      sys::munmap(fresh, kChunkBytes);
  }
  return c ? &c[fd & (kChunkSize - 1)] : nullptr;
}

void child_after_fork() {
  if (epfd >= 0) sys::call6(SYS_close, epfd);
  if (evfd >= 0) sys::call6(SYS_close, evfd);
  epfd = evfd = -1;
  for (auto& slot : chunks) {
    if (Record* c = slot.load(std::memory_order_relaxed)) sys::munmap(c, kChunkBytes);
    slot.store(nullptr, std::memory_order_relaxed);
  }
  nwaiters.store(0, std::memory_order_relaxed);
  break_pending.store(0, std::memory_order_relaxed);
  new (&init_lock) SpinLock();  // a parent thread may have held it
  initialised.store(false, std::memory_order_release);
}

bool init() {
  if (initialised.load(std::memory_order_acquire)) return true;
  {
    SpinLockGuard l(init_lock);
    if (!initialised.load(std::memory_order_relaxed)) {
      long ep = sys::call6(SYS_epoll_create1, EPOLL_CLOEXEC);
      if (ep < 0) return false;
      long ev = sys::call6(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK);
      epoll_event e{};
      e.events = EPOLLIN;
      e.data.u64 = kBreakKey;
      if (ev < 0 || sys::call6(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, ev, (long)&e) < 0) {
        if (ev >= 0) sys::call6(SYS_close, ev);
        sys::call6(SYS_close, ep);
        return false;
      }
      epfd = int(ep);
      evfd = int(ev);
      owner_pid = int(sys::call6(SYS_getpid));
      initialised.store(true, std::memory_order_release);
    }
  }
  // Outside the lock: registering may allocate, and so park this G.
  if (!atfork_registered.exchange(true, std::memory_order_acq_rel))
    pthread_atfork(nullptr, nullptr, child_after_fork);
  return true;
}

long ctl(int op, int fd, uint32_t events, uint64_t data) {
  epoll_event e{};
  e.events = events;
  e.data.u64 = data;
  return sys::call6(SYS_epoll_ctl, epfd, op, fd, (long)&e);
}

// Arms the registration of r (fd) for the modes its waiters want: 0, EBADF,
// or EPERM (epoll refuses this file). Under r->lock.
int arm_locked(Record* r, int fd) {
  uint32_t events = EPOLLONESHOT | (r->head[0] ? EPOLLIN | EPOLLRDHUP : 0u) |
                    (r->head[1] ? EPOLLOUT : 0u);
  uint64_t data = uint64_t(uint32_t(fd)) | uint64_t(r->gen) << 32;
  long rc = ctl(EPOLL_CTL_MOD, fd, events, data);
  if (rc == -ENOENT) rc = ctl(EPOLL_CTL_ADD, fd, events, data);
  if (rc == 0) {
    r->registered = true;
    return 0;
  }
  if (rc == -EBADF) return EBADF;
  __atomic_store_n(&r->unpollable, true, __ATOMIC_RELAXED);  // EPERM, ENOSPC...
  return EPERM;
}

void link_waiter(Record* r, Waiter* w, uint32_t mode) {
  for (int i = 0; i < kModes; i++) {
    if (!(mode & (1u << i))) continue;
    w->next[i] = nullptr;
    w->prev[i] = r->tail[i];
    (r->tail[i] ? r->tail[i]->next[i] : r->head[i]) = w;
    r->tail[i] = w;
    w->linked |= 1u << i;
    nwaiters.fetch_add(1, std::memory_order_relaxed);
  }
}

void unlink_waiter(Record* r, Waiter* w, uint32_t mode) {
  for (int i = 0; i < kModes; i++) {
    if (!(mode & w->linked & (1u << i))) continue;
    (w->prev[i] ? w->prev[i]->next[i] : r->head[i]) = w->next[i];
    (w->next[i] ? w->next[i]->prev[i] : r->tail[i]) = w->prev[i];
    w->linked &= ~(1u << i);
    nwaiters.fetch_sub(1, std::memory_order_relaxed);
  }
}

// Gs whose wait a waker won, readied once the Record's lock is dropped
// (linked through G::next, which the winner owns).
struct Woken {
  G* head = nullptr;
  G** tail = &head;
  int count = 0;
  void add(G* g) {
    g->next = nullptr;
    *tail = g;
    tail = &g->next;
    count++;
  }
  int ready_all() {
    while (G* g = head) {
      head = g->next;
      timer_del(g);
      ready(g, false);
    }
    return count;
  }
};

// Unlinks every Waiter of list i and wins the waits it can. Under r->lock.
// Returns whether any was won.
bool wake_list_locked(Record* r, int i, bool closing, Woken* woken) {
  bool won = false;
  while (Waiter* w = r->head[i]) {
    unlink_waiter(r, w, 1u << i);
    if (closing) w->closed = true;
    if (complete_wait(w->g, w->seq, kWaitWoken)) {
      woken->add(w->g);
      won = true;
    }
  }
  return won;
}

uint32_t modes_of(uint32_t events) {
  uint32_t m = 0;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI)) m |= kPollRead;
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) m |= kPollWrite;
  return m;
}

void handle_event(const epoll_event& e, Woken* woken) {
  if (e.data.u64 == kBreakKey) {
    uint64_t v;
    sys::call6(SYS_read, evfd, (long)&v, sizeof v);
    break_pending.store(0, std::memory_order_release);
    return;
  }
  int fd = int(uint32_t(e.data.u64));
  Record* r = record(fd, false);
  if (!r) return;
  SpinLockGuard l(r->lock);
  if (r->gen != uint32_t(e.data.u64 >> 32)) return;  // closed since: stale
  uint32_t modes = modes_of(e.events);
  for (int i = 0; i < kModes; i++)
    if ((modes & (1u << i)) && !wake_list_locked(r, i, false, woken)) r->ready |= 1u << i;
  // ONESHOT disarmed it: waiters of the other mode still need it.
  if (r->head[0] || r->head[1]) arm_locked(r, fd);
}

// Ends the G's multi-entry wait: unlinks what is still listed. Returns
// whether any entry's fd was closed while listed.
bool unlink_all(Waiter* ws, int n) {
  bool closed = false;
  for (int i = 0; i < n; i++) {
    Record* r = ws[i].rec;
    if (!r) continue;
    SpinLockGuard l(r->lock);
    unlink_waiter(r, &ws[i], ws[i].linked);
    closed |= ws[i].closed;
  }
  return closed;
}

// The wait itself (see the top). ws has room for n Waiters.
int wait_entries(G* self, const PollWant* want, int n, Waiter* ws, int64_t deadline_ns) {
  int last = -1;
  for (int i = 0; i < n; i++) {
    ws[i].rec = nullptr;
    if (want[i].fd >= 0 && (want[i].mode & (kPollRead | kPollWrite))) last = i;
  }
  if (last >= 0 && !init()) return EPERM;
  uint64_t seq = begin_wait(self);
  int err = 0;
  bool ready_now = false;
  SpinLock* held = nullptr;
  for (int i = 0; i <= last && !err && !ready_now; i++) {
    uint32_t mode = want[i].mode & (kPollRead | kPollWrite);
    if (want[i].fd < 0 || !mode) continue;
    Record* r = record(want[i].fd, true);
    if (!r) {
      err = EPERM;
      break;
    }
    Waiter* w = &ws[i];
    w->g = self;
    w->seq = seq;
    w->linked = 0;
    w->closed = false;
    r->lock.lock();
    if (r->unpollable) {
      err = EPERM;
    } else if (r->ready & mode) {
      r->ready &= ~mode;
      ready_now = true;
    } else {
      w->rec = r;
      link_waiter(r, w, mode);
      err = arm_locked(r, want[i].fd);
    }
    if (i == last && !err && !ready_now)
      held = &r->lock;
    else
      r->lock.unlock();
  }
  WaitResult res = kWaitWoken;
  if (!err && !ready_now) {
    res = park_until(self, seq, deadline_ns, held, nullptr);
    timer_del(self);
  } else if (!complete_wait(self, seq, kWaitWoken)) {
    park_until(self, seq, 0, nullptr, nullptr);  // a waker won: take its ready()
  }
  if (unlink_all(ws, last + 1)) return EBADF;
  if (err) return err;
  return res == kWaitTimedOut ? ETIMEDOUT : res == kWaitInterrupted ? EINTR : 0;
}

// wait_entries, with what the G waits for noted in it for diagnostics.
int wait_entries_noted(const PollWant* want, int n, Waiter* ws, int64_t deadline_ns) {
  G* self = current_g();
  self->poll_fd = -1;
  for (int i = 0; i < n && self->poll_fd < 0; i++) self->poll_fd = want[i].fd;
  self->poll_nfds = n;
  int e = wait_entries(self, want, n, ws, deadline_ns);
  self->poll_nfds = 0;
  return e;
}

}  // namespace

int netpoll_wait(int fd, uint32_t mode, int64_t deadline_ns) {
  if (fd < 0) return EBADF;
  PollWant want{fd, mode};
  Waiter w;
  return wait_entries_noted(&want, 1, &w, deadline_ns);
}

int netpoll_wait_many(const PollWant* want, int n, int64_t deadline_ns) {
  // Waiters on the stack for small sets (a G's stack may be 16 KiB).
  constexpr int kOnStack = 8;
  if (n <= kOnStack) {
    Waiter ws[kOnStack];
    return wait_entries_noted(want, n, ws, deadline_ns);
  }
  size_t bytes = sizeof(Waiter) * size_t(n);
  auto* ws = static_cast<Waiter*>(
      sys::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS));
  if (!ws) return EPERM;
  int e = wait_entries_noted(want, n, ws, deadline_ns);
  sys::munmap(ws, bytes);
  return e;
}

void netpoll_fd_closing(int fd) {
  Record* r = record(fd, false);
  if (!r) return;
  Woken woken;
  {
    SpinLockGuard l(r->lock);
    if (!r->registered && !r->head[0] && !r->head[1] && !r->unpollable && !r->ready) return;
    // A vfork child shares this memory and the epoll instance, not our fds.
    if (sys::call6(SYS_getpid) != owner_pid) return;
    r->gen++;
    r->ready = 0;
    __atomic_store_n(&r->unpollable, false, __ATOMIC_RELAXED);
    if (r->registered) ctl(EPOLL_CTL_DEL, fd, 0, 0);
    r->registered = false;
    for (int i = 0; i < kModes; i++) wake_list_locked(r, i, true, &woken);
  }
  woken.ready_all();
}

void netpoll_fd_range_closing(unsigned first, unsigned last) {
  if (last >= unsigned(kMaxFds)) last = kMaxFds - 1;
  for (unsigned fd = first; fd <= last;) {
    if (!chunks[fd >> kChunkBits].load(std::memory_order_acquire)) {
      fd = (fd | (kChunkSize - 1)) + 1;  // the whole chunk was never used
      continue;
    }
    netpoll_fd_closing(int(fd));
    fd++;
  }
}

bool netpoll_fd_pollable(int fd) {
  Record* r = record(fd, true);
  if (!r || !init()) return false;
  SpinLockGuard l(r->lock);
  if (r->unpollable || r->registered) return !r->unpollable;
  // Registered with no mode armed: it reports nothing until a waiter arms it.
  long rc = ctl(EPOLL_CTL_ADD, fd, EPOLLONESHOT, uint64_t(uint32_t(fd)) | uint64_t(r->gen) << 32);
  if (rc == 0 || rc == -EEXIST) {
    r->registered = true;
    return true;
  }
  if (rc == -EBADF) return true;  // the call itself reports it
  __atomic_store_n(&r->unpollable, true, __ATOMIC_RELAXED);
  return false;
}

bool netpoll_fd_known_unpollable(int fd) {
  Record* r = record(fd, false);
  return r && __atomic_load_n(&r->unpollable, __ATOMIC_RELAXED);
}

bool netpoll_owns_fd(int fd) {
  return fd >= 0 && initialised.load(std::memory_order_acquire) && (fd == epfd || fd == evfd);
}

int netpoll_owned_fds(int fds[2]) {
  if (!initialised.load(std::memory_order_acquire)) return 0;
  fds[0] = epfd;
  fds[1] = evfd;
  return 2;
}

bool netpoll_has_waiters() { return nwaiters.load(std::memory_order_acquire) > 0; }

int netpoll_poll(int64_t until_ns) {
  if (!initialised.load(std::memory_order_acquire)) return 0;
  constexpr int kBatch = 128;
  epoll_event evs[kBatch];
  long n;
  int64_t wait_ns = 0;
  if (until_ns == INT64_MAX) {
    wait_ns = -1;
  } else if (until_ns > 0) {
    wait_ns = until_ns - sys::now_ns();
    if (wait_ns < 0) wait_ns = 0;
  }
  if (!no_pwait2) {
    timespec ts = sys::ns_to_timespec(wait_ns);
    n = sys::call6(SYS_epoll_pwait2, epfd, (long)evs, kBatch, wait_ns < 0 ? 0 : (long)&ts, 0, 8);
    if (n == -ENOSYS) no_pwait2 = true;
  }
  if (no_pwait2) {
    long ms = wait_ns < 0 ? -1 : (wait_ns + 999999) / 1000000;
    if (ms > INT32_MAX) ms = INT32_MAX;
    n = sys::call6(SYS_epoll_wait, epfd, (long)evs, kBatch, ms);
  }
  last_poll_ns.store(sys::now_ns(), std::memory_order_relaxed);
  if (n <= 0) return 0;  // EINTR: the caller looks again
  Woken woken;
  for (long i = 0; i < n; i++) handle_event(evs[i], &woken);
  int readied = woken.ready_all();
  stat_add(kStatNetpollWakeups, readied);
  return readied;
}

void netpoll_break() {
  if (!initialised.load(std::memory_order_acquire)) return;
  if (break_pending.exchange(1, std::memory_order_acq_rel)) return;
  uint64_t one = 1;
  sys::call6(SYS_write, evfd, (long)&one, sizeof one);
}

int64_t netpoll_last_poll_ns() { return last_poll_ns.load(std::memory_order_relaxed); }

}  // namespace weft
