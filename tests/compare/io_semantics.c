// io_semantics: what a program sees around blocking fd I/O.
// - A descriptor the program made non-blocking answers EAGAIN at once; the
//   O_NONBLOCK flag of a pipe nobody made non-blocking stays clear while a
//   thread waits on it.
// - SO_RCVTIMEO ends a blocked recv with EAGAIN.
// - A signal whose handler lacks SA_RESTART interrupts a blocked read, recv
//   or accept with EINTR; with SA_RESTART the call goes on and returns data.
// - pthread_cancel acts on threads blocked in read, recv, recvmsg, accept,
//   write (full pipe) and send (full socket): cleanup handlers run and join
//   gives PTHREAD_CANCELED.
// - Under weft only (natively the reader keeps waiting on the old file): a
//   thread waiting in read on an fd that another thread closes fails with
//   EBADF promptly and never reads from a new file that reuses the number.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "sync_common.h"

static void nonblocking(void) {
  int p[2];
  SYNC_CHECK(pipe2(p, O_NONBLOCK) == 0, "pipe2");
  char c;
  errno = 0;
  SYNC_CHECK(read(p[0], &c, 1) == -1 && errno == EAGAIN, "empty read: errno %d", errno);
  static char chunk[4096];
  long total = 0;
  for (;;) {
    ssize_t r = write(p[1], chunk, sizeof chunk);
    if (r < 0) {
      SYNC_CHECK(errno == EAGAIN, "full write: %s", strerror(errno));
      break;
    }
    total += r;
  }
  SYNC_CHECK(total > 0, "nothing written");
  close(p[0]);
  close(p[1]);
  printf("O_NONBLOCK pipe: EAGAIN on empty read and full write\n");
}

static int flag_pipe[2];
static void* flag_reader(void* a) {
  (void)a;
  char c;
  SYNC_CHECK(read(flag_pipe[0], &c, 1) == 1 && c == 'x', "flag reader");
  return NULL;
}

static void flags_unchanged(void) {
  SYNC_CHECK(pipe(flag_pipe) == 0, "pipe");
  int before0 = fcntl(flag_pipe[0], F_GETFL), before1 = fcntl(flag_pipe[1], F_GETFL);
  pthread_t t;
  sync_start(&t, flag_reader, NULL, 0);
  for (int i = 0; i < 2000; i++) {
    SYNC_CHECK(fcntl(flag_pipe[0], F_GETFL) == before0, "read end flags changed");
    SYNC_CHECK(fcntl(flag_pipe[1], F_GETFL) == before1, "write end flags changed");
    if (i % 100 == 0) sched_yield();
  }
  SYNC_CHECK(write(flag_pipe[1], "x", 1) == 1, "write");
  sync_join(t);
  SYNC_CHECK(fcntl(flag_pipe[0], F_GETFL) == before0 && !(before0 & O_NONBLOCK), "after");
  close(flag_pipe[0]);
  close(flag_pipe[1]);
  printf("pipe O_NONBLOCK flag clear before, while and after a blocked read\n");
}

static void rcvtimeo(void) {
  int sv[2];
  SYNC_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
  struct timeval tv = {0, 50000};
  SYNC_CHECK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0, "setsockopt");
  long long t0 = sync_now_ns(CLOCK_MONOTONIC);
  char c;
  errno = 0;
  ssize_t r = recv(sv[0], &c, 1, 0);
  long long dt = sync_now_ns(CLOCK_MONOTONIC) - t0;
  SYNC_CHECK(r == -1 && errno == EAGAIN, "recv with SO_RCVTIMEO: %zd %s", r, strerror(errno));
  SYNC_CHECK(dt >= 40000000LL && dt < 5000000000LL, "timed out after %lld ns", dt);
  close(sv[0]);
  close(sv[1]);
  printf("SO_RCVTIMEO: blocked recv ends with EAGAIN\n");
}

// ---- signals ----------------------------------------------------------------
static atomic_int handled;
static void on_usr1(int s) { (void)s; handled++; }

enum kind { K_READ, K_RECV, K_ACCEPT };
static const char* kind_name[] = {"read", "recv", "accept"};
struct blocked {
  enum kind k;
  int fd;
  ssize_t r;
  int err;
  atomic_int done;
};

static void* blocked_call(void* a) {
  struct blocked* b = a;
  char c;
  errno = 0;
  if (b->k == K_READ) b->r = read(b->fd, &c, 1);
  else if (b->k == K_RECV) b->r = recv(b->fd, &c, 1, 0);
  else b->r = accept(b->fd, NULL, NULL);
  b->err = errno;
  b->done = 1;
  return NULL;
}

// A listening AF_UNIX socket (abstract name) and a way to connect to it.
static struct sockaddr_un listen_addr;
static int listener(void) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  memset(&listen_addr, 0, sizeof listen_addr);
  listen_addr.sun_family = AF_UNIX;
  snprintf(listen_addr.sun_path + 1, sizeof listen_addr.sun_path - 1, "weft-io-%d-%d", getpid(),
           (int)(sync_now_ns(CLOCK_MONOTONIC) & 0xffff));
  SYNC_CHECK(bind(s, (struct sockaddr*)&listen_addr, sizeof listen_addr) == 0, "bind");
  SYNC_CHECK(listen(s, 16) == 0, "listen");
  return s;
}

static void signal_case(enum kind k, int restart) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGUSR1, &sa, NULL);
  int fds[2] = {-1, -1}, lfd = -1;
  struct blocked b = {k, -1, 0, 0, 0};
  if (k == K_READ) {
    SYNC_CHECK(pipe(fds) == 0, "pipe");
    b.fd = fds[0];
  } else if (k == K_RECV) {
    SYNC_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0, "socketpair");
    b.fd = fds[0];
  } else {
    b.fd = lfd = listener();
  }
  handled = 0;
  pthread_t t;
  sync_start(&t, blocked_call, &b, 0);
  // Signals sent before the call blocks only run the handler: keep sending.
  int sent = 0;
  while (!b.done && (!restart || handled < 5)) {
    pthread_kill(t, SIGUSR1);
    sent++;
    struct timespec ms = {0, 2000000};
    nanosleep(&ms, NULL);
  }
  if (restart) {
    SYNC_CHECK(!b.done, "%s returned despite SA_RESTART: %zd %s", kind_name[k], b.r, strerror(b.err));
    int c = -1;
    if (k == K_ACCEPT) {
      c = socket(AF_UNIX, SOCK_STREAM, 0);
      SYNC_CHECK(connect(c, (struct sockaddr*)&listen_addr, sizeof listen_addr) == 0, "connect");
    } else {
      SYNC_CHECK(write(fds[1], "y", 1) == 1, "write");
    }
    sync_join(t);
    SYNC_CHECK(b.r >= 0, "%s after SA_RESTART signals: %s", kind_name[k], strerror(b.err));
    if (k == K_ACCEPT) close((int)b.r);
    if (c >= 0) close(c);
  } else {
    sync_join(t);
    SYNC_CHECK(b.r == -1 && b.err == EINTR, "%s: %zd %s", kind_name[k], b.r, strerror(b.err));
  }
  printf("%s, handler %s SA_RESTART: %s\n", kind_name[k], restart ? "with" : "without",
         restart ? "restarted, got its data" : "EINTR");
  if (fds[0] >= 0) close(fds[0]);
  if (fds[1] >= 0) close(fds[1]);
  if (lfd >= 0) close(lfd);
}

// ---- cancellation -------------------------------------------------------------
static atomic_int cleaned;
static void cleanup(void* a) { (void)a; cleaned++; }

struct cancel_case {
  const char* name;
  int fd;
  int op;  // 0 read, 1 recv, 2 recvmsg, 3 accept, 4 write, 5 send
};

static void* cancellable(void* a) {
  struct cancel_case* c = a;
  static char big[1 << 20];
  pthread_cleanup_push(cleanup, NULL);
  char b;
  struct iovec iov = {&b, 1};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  for (;;) {
    switch (c->op) {
      case 0: read(c->fd, &b, 1); break;
      case 1: recv(c->fd, &b, 1, 0); break;
      case 2: recvmsg(c->fd, &m, 0); break;
      case 3: accept(c->fd, NULL, NULL); break;
      case 4: write(c->fd, big, sizeof big); break;
      case 5: send(c->fd, big, sizeof big, 0); break;
    }
  }
  pthread_cleanup_pop(0);
  return NULL;
}

static void cancels(void) {
  int p[2], s[2], s2[2], w[2], ws[2];
  SYNC_CHECK(pipe(p) == 0 && pipe(w) == 0, "pipe");
  SYNC_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, s2) == 0 &&
                 socketpair(AF_UNIX, SOCK_STREAM, 0, ws) == 0,
             "socketpair");
  int l = listener();
  struct cancel_case cases[] = {{"read", p[0], 0},   {"recv", s[0], 1},  {"recvmsg", s2[0], 2},
                                {"accept", l, 3},    {"write", w[1], 4}, {"send", ws[0], 5}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cleaned = 0;
    pthread_t t;
    sync_start(&t, cancellable, &cases[i], 0);
    for (int k = 0; k < 10; k++) sched_yield();
    pthread_cancel(t);
    void* res;
    SYNC_CHECK(pthread_join(t, &res) == 0, "join");
    SYNC_CHECK(res == PTHREAD_CANCELED && cleaned == 1, "%s: not cancelled", cases[i].name);
    printf("cancelled in %s: cleanup ran, joined as PTHREAD_CANCELED\n", cases[i].name);
  }
  int all[] = {p[0], p[1], s[0], s[1], s2[0], s2[1], w[0], w[1], ws[0], ws[1], l};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) close(all[i]);
}

// ---- closed while waiting (under weft) -----------------------------------------
static int closing_fd;
static ssize_t closing_r;
static int closing_err;
static void* closing_reader(void* a) {
  (void)a;
  char c;
  errno = 0;
  closing_r = read(closing_fd, &c, 1);
  closing_err = errno;
  return NULL;
}

// Whether some epoll set of this process watches fd (/proc/self/fdinfo).
static int epoll_watches(int fd) {
  DIR* d = opendir("/proc/self/fdinfo");
  struct dirent* e;
  int found = 0;
  while (!found && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[300], line[256];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%s", e->d_name);
    FILE* f = fopen(path, "r");
    if (!f) continue;
    while (fgets(line, sizeof line, f))
      if (strncmp(line, "tfd:", 4) == 0 && atoi(line + 4) == fd) found = 1;
    fclose(f);
  }
  closedir(d);
  return found;
}

static void closed_while_waiting(void) {
  if (sync_under_weft()) {
    int p[2];
    SYNC_CHECK(pipe(p) == 0, "pipe");
    closing_fd = p[0];
    pthread_t t;
    sync_start(&t, closing_reader, NULL, 0);
    // Parked: the netpoller watches the fd.
    long long limit = sync_now_ns(CLOCK_MONOTONIC) + 10000000000LL;
    while (!epoll_watches(p[0])) {
      SYNC_CHECK(sync_now_ns(CLOCK_MONOTONIC) < limit, "reader never parked");
      sched_yield();
    }
    SYNC_CHECK(close(p[0]) == 0, "close");
    int q[2];
    SYNC_CHECK(pipe(q) == 0, "pipe");
    SYNC_CHECK(q[0] == p[0], "number not reused");
    SYNC_CHECK(write(q[1], "z", 1) == 1, "write");
    sync_join(t);
    SYNC_CHECK(closing_r == -1 && closing_err == EBADF, "parked reader: %zd %s", closing_r,
               strerror(closing_err));
    char c = 0;
    SYNC_CHECK(read(q[0], &c, 1) == 1 && c == 'z', "the new pipe lost its byte");
    close(p[1]);
    close(q[0]);
    close(q[1]);
  }
  printf("fd closed while a thread waits on it: checked under weft\n");
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  nonblocking();
  flags_unchanged();
  rcvtimeo();
  for (int k = K_READ; k <= K_ACCEPT; k++) {
    signal_case(k, 0);
    signal_case(k, 1);
  }
  cancels();
  closed_while_waiting();
  return 0;
}
