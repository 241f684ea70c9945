// core/netpoll.h — waiting for file descriptors without holding an M
// (Go's netpoll). The implementation and its model: core/netpoll.cpp.
//
// A G whose non-blocking attempt at an I/O call found nothing to do (EAGAIN)
// parks here until the kernel says the descriptor may be ready, then retries
// the call. One epoll instance serves the process; the scheduler polls it
// (core/sched.cpp, core/monitor.cpp), which readies the parked Gs.
#pragma once
#include <stdint.h>

namespace weft {

// What a G waits for on a descriptor.
inline constexpr uint32_t kPollRead = 1;   // readable, or hang-up / error
inline constexpr uint32_t kPollWrite = 2;  // writable, or hang-up / error

// Parks the calling G until `fd` may be ready for `mode` (kPollRead and/or
// kPollWrite), or until CLOCK_MONOTONIC deadline_ns (0: no deadline).
// Returns
//   0          ready (or maybe ready): retry the call;
//   ETIMEDOUT  the deadline passed;
//   EINTR      a signal or a cancellation request interrupted the wait;
//   EBADF      another thread closed fd, or dup2'ed over it, while parked
//              (weft never retries on a number that may have been reused);
//   EPERM      fd cannot be polled (regular file, directory, ...): the caller
//              makes the blocking call instead, inside a BlockingSyscallScope.
// Only for Gs (a non-G caller makes the blocking call itself).
int netpoll_wait(int fd, uint32_t mode, int64_t deadline_ns);

// The same for several descriptors at once (poll, select): returns 0 as soon
// as any one may be ready. Entries with fd < 0 are ignored; EPERM if any
// entry cannot be polled.
struct PollWant {
  int fd;
  uint32_t mode;
};
int netpoll_wait_many(const PollWant* want, int n, int64_t deadline_ns);

// Called by close, dup2/dup3 (over newfd) and close_range before the
// descriptor goes: its parked Gs wake with EBADF, and its registration is
// forgotten so a reused number starts afresh.
void netpoll_fd_closing(int fd);
// The same for every fd in [first, last] (close_range, closefrom).
void netpoll_fd_range_closing(unsigned first, unsigned last);

// The netpoller's own descriptors (its epoll instance and eventfd), which
// close, close_range and closefrom leave alone as if they were not open:
// a program that closes every fd it did not open must not break weft.
bool netpoll_owns_fd(int fd);
// Stores them in fds[] and returns how many (0 before first use).
int netpoll_owned_fds(int fds[2]);

// Whether epoll can watch fd's file (false: a regular file, a directory,
// /dev/null...). Asks the kernel once, then remembers the answer until the
// fd is closed through weft (netpoll_fd_closing).
bool netpoll_fd_pollable(int fd);
// The remembered answer only, without a lock or a system call: true if fd
// is known not to be pollable.
bool netpoll_fd_known_unpollable(int fd);

// ---- the scheduler's side ----------------------------------------------

// True while any G is parked in netpoll_wait*.
bool netpoll_has_waiters();
// Collects ready descriptors and readies their Gs (ready(g, false)); blocks
// until CLOCK_MONOTONIC until_ns if nothing is ready (0: never blocks;
// INT64_MAX: no deadline) or until netpoll_break. Returns the number of Gs
// readied. The scheduler lets at most one M block here at a time.
int netpoll_poll(int64_t until_ns);
// Wakes an M blocked in netpoll_poll.
void netpoll_break();
// CLOCK_MONOTONIC time of the last netpoll_poll (0: never).
int64_t netpoll_last_poll_ns();

}  // namespace weft
