// io_poll_ready: poll, ppoll, select, pselect and epoll_wait on pipes and
// socketpairs, from many threads at once, with exact results: each waiter
// blocks on its own descriptors until a feeder thread (which writes only
// once every waiter is about to wait) writes, then prints what the call
// reported (counts, revents, fd_set bits, epoll events and data). Under weft at
// WEFT_PROCS=1 the feeder can only run if the waiters parked without
// holding the P. Also: an epoll set with several fds, an epoll fd inside a
// poll set, POLLHUP and POLLNVAL, a writable socket, and argument errors.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sync_common.h"

#define N 16  // waiters of each kind
enum { K_POLL, K_PPOLL, K_SELECT, K_PSELECT, K_EPOLL, K_EPOLL_IN_POLL, K_KINDS };
static const char* kind_name[K_KINDS] = {"poll", "ppoll", "select", "pselect", "epoll_wait",
                                         "epoll-in-poll"};

struct waiter {
  int kind, idx;
  int fd[2];  // [0] is waited on, [1] is written by the feeder
  int epfd;
  char line[160];
};
static struct waiter w[K_KINDS][N];
static atomic_int started;

static void* wait_one(void* arg) {
  struct waiter* x = arg;
  int r;
  atomic_fetch_add(&started, 1);
  switch (x->kind) {
    case K_POLL:
    case K_PPOLL: {
      struct pollfd p[2] = {{x->fd[0], POLLIN, 0}, {-1, POLLIN, 0}};
      r = x->kind == K_POLL ? poll(p, 2, -1) : ppoll(p, 2, NULL, NULL);
      snprintf(x->line, sizeof x->line, "r=%d revents=%#x,%#x", r, p[0].revents, p[1].revents);
      break;
    }
    case K_SELECT:
    case K_PSELECT: {
      fd_set rs, ws;
      FD_ZERO(&rs);
      FD_ZERO(&ws);
      FD_SET(x->fd[0], &rs);
      int n = x->fd[0] + 1;
      struct timeval tv = {100, 0};
      struct timespec ts = {100, 0};
      r = x->kind == K_SELECT ? select(n, &rs, &ws, NULL, &tv) : pselect(n, &rs, &ws, NULL, &ts, NULL);
      snprintf(x->line, sizeof x->line, "r=%d read=%d write=%d tv_left=%d", r, FD_ISSET(x->fd[0], &rs),
               FD_ISSET(x->fd[0], &ws), x->kind == K_SELECT ? tv.tv_sec > 50 : 1);
      break;
    }
    case K_EPOLL: {
      struct epoll_event ev[4];
      r = epoll_wait(x->epfd, ev, 4, -1);
      snprintf(x->line, sizeof x->line, "r=%d events=%#x data=%d", r, r > 0 ? ev[0].events : 0,
               r > 0 ? ev[0].data.u32 : -1);
      break;
    }
    default: {
      struct pollfd p = {x->epfd, POLLIN, 0};
      r = poll(&p, 1, -1);
      struct epoll_event ev[4];
      int e = epoll_wait(x->epfd, ev, 4, 0);
      snprintf(x->line, sizeof x->line, "r=%d revents=%#x then epoll_wait=%d data=%d", r, p.revents,
               e, e > 0 ? ev[0].data.u32 : -1);
      break;
    }
  }
  return NULL;
}

static void* feed(void* arg) {
  (void)arg;
  while (atomic_load(&started) < K_KINDS * N) sched_yield();
  for (int i = 0; i < N; i++)
    for (int k = 0; k < K_KINDS; k++) SYNC_CHECK(write(w[k][i].fd[1], "x", 1) == 1, "write");
  return NULL;
}

#define SHOW(what, call)                                        \
  do {                                                          \
    errno = 0;                                                  \
    int r_ = (call);                                            \
    printf("%s: %d %s\n", what, r_, strerror(errno));           \
  } while (0)

static void check_errors(void) {
  struct pollfd p = {0, POLLIN, 0};
  volatile nfds_t huge = 1u << 30;
  SHOW("poll nfds too big", poll(&p, huge, 10));
  struct timespec bad = {0, 1000000000};
  SHOW("ppoll bad timeout", ppoll(&p, 1, &bad, NULL));
  struct timeval tvbad = {-1, 0};
  printf("select negative timeout: %d %s\n", select(1, NULL, NULL, NULL, &tvbad), strerror(errno));
  struct epoll_event ev;
  SHOW("epoll_wait bad epfd", epoll_wait(1000, &ev, 1, 10));
  int ep = epoll_create1(0);
  SHOW("epoll_wait maxevents 0", epoll_wait(ep, &ev, 0, 10));
  close(ep);
  int pp[2];
  SYNC_CHECK(pipe(pp) == 0, "pipe");
  close(pp[1]);  // a closed number below an open one
  fd_set rs;
  FD_ZERO(&rs);
  FD_SET(pp[1], &rs);
  SHOW("select closed fd", select(pp[1] + 1, &rs, NULL, NULL, NULL));
  close(pp[0]);
}

static void check_states(void) {
  int pp[2], sp[2];
  SYNC_CHECK(pipe(pp) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "pipe");
  close(pp[1]);  // hang-up on the read end
  struct pollfd p[4] = {{pp[0], POLLIN, 0}, {sp[0], POLLOUT, 0}, {sp[1], POLLIN, 0}, {999, POLLIN, 0}};
  int r = poll(p, 4, -1);
  printf("hup/writable/nothing/nval: r=%d %#x %#x %#x %#x\n", r, p[0].revents, p[1].revents,
         p[2].revents, p[3].revents);
  // Several fds in the program's own epoll set: two become ready.
  int ep = epoll_create1(0), fds[4][2];
  for (int i = 0; i < 4; i++) {
    SYNC_CHECK(pipe(fds[i]) == 0, "pipe");
    struct epoll_event ev = {EPOLLIN, {.u32 = 100 + i}};
    SYNC_CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fds[i][0], &ev) == 0, "epoll_ctl");
  }
  SYNC_CHECK(write(fds[1][1], "a", 1) == 1 && write(fds[3][1], "b", 1) == 1, "write");
  struct epoll_event ev[8];
  r = epoll_wait(ep, ev, 8, -1);
  int seen = 0;
  for (int i = 0; i < r; i++) seen |= 1 << (ev[i].data.u32 - 100);
  printf("epoll set of 4: r=%d ready mask=%#x\n", r, seen);
  for (int i = 0; i < 4; i++) close(fds[i][0]), close(fds[i][1]);
  close(ep);
  close(pp[0]);
  close(sp[0]);
  close(sp[1]);
}

int main(void) {
  for (int k = 0; k < K_KINDS; k++)
    for (int i = 0; i < N; i++) {
      struct waiter* x = &w[k][i];
      x->kind = k;
      x->idx = i;
      int ok = (i & 1) ? socketpair(AF_UNIX, SOCK_STREAM, 0, x->fd) : pipe(x->fd);
      SYNC_CHECK(ok == 0, "pipe");
      if (k == K_EPOLL || k == K_EPOLL_IN_POLL) {
        x->epfd = epoll_create1(0);
        struct epoll_event ev = {EPOLLIN, {.u32 = (uint32_t)i}};
        SYNC_CHECK(epoll_ctl(x->epfd, EPOLL_CTL_ADD, x->fd[0], &ev) == 0, "epoll_ctl");
      }
    }
  pthread_t t[K_KINDS][N], feeder;
  for (int k = 0; k < K_KINDS; k++)
    for (int i = 0; i < N; i++) sync_start(&t[k][i], wait_one, &w[k][i], 0);
  sync_start(&feeder, feed, NULL, 0);
  sync_join(feeder);
  for (int k = 0; k < K_KINDS; k++)
    for (int i = 0; i < N; i++) {
      sync_join(t[k][i]);
      printf("%s %s %d: %s\n", kind_name[k], (i & 1) ? "socket" : "pipe", i, w[k][i].line);
    }
  check_states();
  check_errors();
  return 0;
}
