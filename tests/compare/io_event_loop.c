/* tests/compare/io_event_loop.c — an event-loop server (issue 10,
 * acceptance 4): the main thread accepts in poll, WORKERS worker threads each
 * wait in epoll_wait on their own epoll set, and CLIENTS client threads make
 * CONNS connections in all (CONNS / CLIENTS each, one after another), each
 * with REQS request/reply exchanges whose every reply is checked.
 *
 * The main thread polls the listening socket, accepts each connection non-blocking and adds it to
 * worker k % WORKERS's epoll set (epoll_ctl from another thread, as real
 * servers do). A worker reads whatever arrived, cuts it into lines (a
 * request may arrive in pieces) and answers each line "<id> <i>" with
 * "<id> <i> <hash>". On end of file it removes and closes the connection.
 * Each worker's epoll set also holds an eventfd through which the main thread
 * says "stop once your connections are closed". Under weft the worker count
 * is larger than WEFT_PROCS, so workers parked in epoll_wait must not hold Ps.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "io_common.h"

#define WORKERS 4
#define CLIENTS 100
#define CONNS 1000
#define REQS 5

struct worker {
  int epfd, stop_fd;
  atomic_long open;  /* connections added and not yet closed */
  long served;
  pthread_t t;
};

struct conn {
  int fd;
  size_t len;
  char buf[256];
};

static struct worker workers[WORKERS];
static int port;
static atomic_long bad_replies;

static uint64_t reply_hash(long id, long i) {
  char s[64];
  int n = snprintf(s, sizeof s, "%ld %ld", id, i);
  return io_fnv(IO_FNV_INIT, s, (size_t)n);
}

/* Answers every complete line in c->buf; -1 if the connection is unusable. */
static int serve_lines(struct worker* w, struct conn* c) {
  char* start = c->buf;
  char* nl;
  while ((nl = memchr(start, '\n', c->len - (size_t)(start - c->buf))) != NULL) {
    *nl = '\0';
    long id, i;
    if (sscanf(start, "%ld %ld", &id, &i) != 2) return -1;
    char out[96];
    int n = snprintf(out, sizeof out, "%ld %ld %016llx\n", id, i,
                     (unsigned long long)reply_hash(id, i));
    /* Replies are small and the client reads each before its next request:
     * the socket buffer always has room, a short write would be a bug. */
    if (send(c->fd, out, (size_t)n, MSG_NOSIGNAL) != n) return -1;
    w->served++;
    start = nl + 1;
  }
  c->len -= (size_t)(start - c->buf);
  memmove(c->buf, start, c->len);
  return 0;
}

static void drop(struct worker* w, struct conn* c) {
  SYNC_CHECK(epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL) == 0, "EPOLL_CTL_DEL: %s",
             strerror(errno));
  close(c->fd);
  free(c);
  atomic_fetch_sub(&w->open, 1);
}

static void* worker_main(void* arg) {
  struct worker* w = arg;
  int stopping = 0;
  struct epoll_event ev[16];
  while (!stopping || atomic_load(&w->open) > 0) {
    int n = epoll_wait(w->epfd, ev, 16, -1);
    if (n < 0 && errno == EINTR) continue;
    SYNC_CHECK(n > 0, "epoll_wait: %s", n < 0 ? strerror(errno) : "returned 0 without timeout");
    for (int k = 0; k < n; ++k) {
      if (ev[k].data.ptr == NULL) {
        uint64_t v;
        SYNC_CHECK(read(w->stop_fd, &v, sizeof v) == sizeof v, "eventfd read");
        stopping = 1;
        continue;
      }
      struct conn* c = ev[k].data.ptr;
      for (;;) {
        ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) break;
        if (r > 0) c->len += (size_t)r;
        if (r <= 0 || serve_lines(w, c) != 0 || c->len == sizeof c->buf) {
          drop(w, c);
          break;
        }
      }
    }
  }
  return NULL;
}

/* Reads one line (up to '\n', kept) with recv; its length, or -1. */
static long recv_line(int fd, char* line, size_t cap) {
  size_t n = 0;
  while (n + 1 < cap) {
    ssize_t r = recv(fd, line + n, 1, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    if (line[n++] == '\n') break;
  }
  line[n] = '\0';
  return (long)n;
}

static void* client_main(void* arg) {
  long cl = (long)arg;
  for (long k = 0; k < CONNS / CLIENTS; ++k) {
    long id = cl * (CONNS / CLIENTS) + k;
    int fd = io_tcp_connect(port);
    if (fd < 0) sync_die("connect: %s", strerror(-fd));
    for (long i = 0; i < REQS; ++i) {
      char req[64], line[128], want[128];
      int n = snprintf(req, sizeof req, "%ld %ld\n", id, i);
      /* Send the request in two pieces: the server must reassemble lines. */
      SYNC_CHECK(io_write_all(fd, req, 2) == 0 && io_write_all(fd, req + 2, (size_t)n - 2) == 0,
                 "send request: %s", strerror(errno));
      snprintf(want, sizeof want, "%ld %ld %016llx\n", id, i,
               (unsigned long long)reply_hash(id, i));
      if (recv_line(fd, line, sizeof line) < 0 || strcmp(line, want) != 0)
        atomic_fetch_add(&bad_replies, 1);
    }
    close(fd);
  }
  return NULL;
}

int main(void) {
  io_watchdog(IO_WATCHDOG_S);
  io_raise_nofile(2 * CLIENTS + 2 * WORKERS + 64);
  int lfd = io_tcp_listen(1024, &port);
  for (int k = 0; k < WORKERS; ++k) {
    struct worker* w = &workers[k];
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->stop_fd = eventfd(0, EFD_CLOEXEC);
    SYNC_CHECK(w->epfd >= 0 && w->stop_fd >= 0, "epoll_create1/eventfd: %s", strerror(errno));
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    SYNC_CHECK(epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->stop_fd, &ev) == 0, "epoll_ctl");
    sync_start(&w->t, worker_main, w, 64 * 1024);
  }
  pthread_t clients[CLIENTS];
  for (long c = 0; c < CLIENTS; ++c) sync_start(&clients[c], client_main, (void*)c, 64 * 1024);

  for (long accepted = 0; accepted < CONNS;) {
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    int n = poll(&p, 1, -1);
    if (n < 0 && errno == EINTR) continue;
    SYNC_CHECK(n == 1 && p.revents == POLLIN, "poll: %d revents 0x%x: %s", n, p.revents,
               n < 0 ? strerror(errno) : "");
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    SYNC_CHECK(fd >= 0, "accept4: %s", strerror(errno));
    struct worker* w = &workers[accepted++ % WORKERS];
    struct conn* c = calloc(1, sizeof *c);
    SYNC_CHECK(c != NULL, "calloc");
    c->fd = fd;
    atomic_fetch_add(&w->open, 1);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    SYNC_CHECK(epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl ADD: %s",
               strerror(errno));
  }
  for (long c = 0; c < CLIENTS; ++c) sync_join(clients[c]);
  printf("event loop: main thread accepted every connection in poll\n");
  long served = 0;
  for (int k = 0; k < WORKERS; ++k) {
    uint64_t one = 1;
    SYNC_CHECK(write(workers[k].stop_fd, &one, sizeof one) == sizeof one, "eventfd write");
  }
  for (int k = 0; k < WORKERS; ++k) {
    sync_join(workers[k].t);
    served += workers[k].served;
    close(workers[k].epfd);
    close(workers[k].stop_fd);
  }
  SYNC_CHECK(atomic_load(&bad_replies) == 0, "%ld wrong replies", atomic_load(&bad_replies));
  SYNC_CHECK(served == (long)CONNS * REQS, "served %ld requests, expected %d", served, CONNS * REQS);
  printf("event loop: every reply of every connection was right\n");
  close(lfd);
  return 0;
}
