// io_poll_timeout_eintr: timeouts of poll, ppoll, select, pselect and
// epoll_wait that expire return 0 and never early (measured against
// CLOCK_MONOTONIC, printed only as "on time"), select clears its sets and
// writes 0 time left; and a signal with a handler interrupts a thread
// blocked in each of them with EINTR, with and without SA_RESTART (the
// kernel never restarts these calls). The signal is re-sent until the
// waiter reports, so it does not matter whether the first one arrives
// before the waiter blocks.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

#include "sync_common.h"

enum { K_POLL, K_PPOLL, K_SELECT, K_PSELECT, K_EPOLL, K_KINDS };
static const char* kind_name[K_KINDS] = {"poll", "ppoll", "select", "pselect", "epoll_wait"};
static int pipefd[2], epfd;

// Waits on the empty pipe for timeout_ms (-1: forever); returns the result,
// *err the errno, *cleared whether select's sets came back empty.
static int wait_kind(int kind, int timeout_ms, int* err, int* cleared) {
  struct timespec ts = sync_ts(timeout_ms * 1000000LL);
  struct timeval tv = {timeout_ms / 1000, timeout_ms % 1000 * 1000};
  struct pollfd p = {pipefd[0], POLLIN, 0};
  fd_set rs;
  FD_ZERO(&rs);
  FD_SET(pipefd[0], &rs);
  struct epoll_event ev;
  int r = -2;
  errno = 0;
  switch (kind) {
    case K_POLL: r = poll(&p, 1, timeout_ms); break;
    case K_PPOLL: r = ppoll(&p, 1, timeout_ms < 0 ? NULL : &ts, NULL); break;
    case K_SELECT: r = select(pipefd[0] + 1, &rs, NULL, NULL, timeout_ms < 0 ? NULL : &tv); break;
    case K_PSELECT:
      r = pselect(pipefd[0] + 1, &rs, NULL, NULL, timeout_ms < 0 ? NULL : &ts, NULL);
      break;
    case K_EPOLL: r = epoll_wait(epfd, &ev, 1, timeout_ms); break;
  }
  *err = errno;
  // select and pselect clear the sets; select also writes 0 time left.
  *cleared = !FD_ISSET(pipefd[0], &rs) && (kind != K_SELECT || (tv.tv_sec == 0 && tv.tv_usec == 0));
  return r;
}

struct job {
  int kind;
  atomic_int done;
  int r, err;
};

static void* timed_waiter(void* a) {
  struct job* j = a;
  int cleared;
  long long t0 = sync_now_ns(CLOCK_MONOTONIC);
  j->r = wait_kind(j->kind, 30, &j->err, &cleared);
  long long took = sync_now_ns(CLOCK_MONOTONIC) - t0;
  int sets = j->kind == K_SELECT || j->kind == K_PSELECT;
  printf("%s timeout: r=%d %s%s\n", kind_name[j->kind], j->r, took >= 30000000LL ? "on time" : "EARLY",
         !sets ? "" : cleared ? ", sets cleared" : ", SETS NOT CLEARED");
  return NULL;
}

static void* interrupted_waiter(void* a) {
  struct job* j = a;
  int cleared;
  j->r = wait_kind(j->kind, -1, &j->err, &cleared);
  atomic_store(&j->done, 1);
  return NULL;
}

static atomic_int handled;
static void on_usr1(int sig) { (void)sig; atomic_fetch_add(&handled, 1); }

int main(void) {
  SYNC_CHECK(pipe(pipefd) == 0, "pipe");
  epfd = epoll_create1(0);
  struct epoll_event ev = {EPOLLIN, {.u32 = 1}};
  SYNC_CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, pipefd[0], &ev) == 0, "epoll_ctl");
  // Timeouts, all kinds at once, one at a time in the output.
  for (int k = 0; k < K_KINDS; k++) {
    struct job j = {.kind = k};
    pthread_t t;
    sync_start(&t, timed_waiter, &j, 0);
    sync_join(t);
  }
  // EINTR.
  for (int restart = 0; restart < 2; restart++) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGUSR1, &sa, NULL);
    for (int k = 0; k < K_KINDS; k++) {
      struct job j = {.kind = k};
      pthread_t t;
      atomic_store(&handled, 0);
      sync_start(&t, interrupted_waiter, &j, 0);
      struct timespec ms = {0, 1000000};
      while (!atomic_load(&j.done)) {
        pthread_kill(t, SIGUSR1);
        nanosleep(&ms, NULL);
      }
      sync_join(t);
      printf("%s %s: r=%d %s handler ran=%d\n", kind_name[k], restart ? "SA_RESTART" : "no SA_RESTART",
             j.r, strerror(j.err), atomic_load(&handled) > 0);
    }
  }
  return 0;
}
