/* tests/compare/io_eintr_cancel.c — signals and cancellation reach threads
 * blocked in the wrapped calls (issue 10, acceptance 10).
 *
 * Part 1, EINTR: a thread blocks in read (empty pipe), poll (empty pipe) or
 * accept (listening socket with no client), with a SIGUSR1 handler installed
 * without and then with SA_RESTART. As on Linux natively: without SA_RESTART
 * all three fail with EINTR; with it, read and accept are restarted and
 * complete when data or a client comes, while poll still fails with EINTR.
 * To interrupt the call itself rather than the code before it, the main
 * thread signals again every millisecond until the call returns (EINTR
 * cases) — a signal that arrives early runs the handler and changes nothing
 * — or, for the restarted calls, keeps signalling for SIGNAL_BURST_NS before
 * it supplies the data or client: whether the signals land before or
 * during the call, the call must complete with its data.
 *
 * Part 2, cancellation: for each wrapped cancellation point, a thread that
 * pushed a cleanup handler blocks in the call (on a resource that never
 * becomes ready) and is cancelled, twice: at once, and after a pause that
 * lets it block. Deferred cancellation acts at the call either way, so the
 * result is the same: the cleanup handler ran and pthread_join gives
 * PTHREAD_CANCELED. A call that did not act on the request would block
 * forever: the watchdog ends the run.
 */
#define _GNU_SOURCE
#include <mqueue.h>
#include <poll.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "io_common.h"

#define SIGNAL_BURST_NS (30 * 1000000LL)
#define PAUSE_NS (20 * 1000000LL)

/* ---- part 1: EINTR --------------------------------------------------------- */

enum op { OP_READ, OP_POLL, OP_ACCEPT };
static const char* const op_names[] = {"read", "poll", "accept"};

static atomic_int handled;
static void on_sigusr1(int sig) { atomic_fetch_add(&handled, 1); }

struct eintr_case {
  enum op op;
  int fd;  /* pipe read end or listening socket */
  atomic_int done;
  long result;
  int err;
};

static void* eintr_thread(void* arg) {
  struct eintr_case* c = arg;
  char b;
  struct pollfd p = {.fd = c->fd, .events = POLLIN};
  long r;
  if (c->op == OP_READ) r = read(c->fd, &b, 1);
  else if (c->op == OP_POLL) r = poll(&p, 1, -1);
  else r = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
  c->err = r < 0 ? errno : 0;
  c->result = r;
  if (c->op == OP_ACCEPT && r >= 0) close((int)r);
  atomic_store(&c->done, 1);
  return NULL;
}

static void eintr_case(enum op op, int restart) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigusr1;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigemptyset(&sa.sa_mask);
  SYNC_CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");

  int p[2] = {-1, -1}, port = 0, lfd = -1;
  struct eintr_case c = {.op = op};
  if (op == OP_ACCEPT) {
    lfd = io_tcp_listen(4, &port);
    c.fd = lfd;
  } else {
    SYNC_CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe2");
    c.fd = p[0];
  }
  atomic_store(&handled, 0);
  pthread_t t;
  sync_start(&t, eintr_thread, &c, 64 * 1024);

  int expect_eintr = !restart || op == OP_POLL;
  long long start = sync_now_ns(CLOCK_MONOTONIC);
  long long deadline = start + 10 * 1000000000LL;
  int client = -1;
  while (!atomic_load(&c.done)) {
    SYNC_CHECK(sync_now_ns(CLOCK_MONOTONIC) < deadline, "%s: still blocked after 10 s of signals",
               op_names[op]);
    long long now = sync_now_ns(CLOCK_MONOTONIC);
    if (expect_eintr || now - start < SIGNAL_BURST_NS || atomic_load(&handled) == 0) {
      SYNC_CHECK(pthread_kill(t, SIGUSR1) == 0, "pthread_kill");
    } else if (op == OP_READ && p[1] >= 0) {
      SYNC_CHECK(write(p[1], "x", 1) == 1, "write");
      close(p[1]);
      p[1] = -1;
    } else if (op == OP_ACCEPT && client < 0) {
      client = io_tcp_connect(port);
      SYNC_CHECK(client >= 0, "connect: %s", strerror(-client));
    }
    io_sleep_ns(1000000);
  }
  sync_join(t);
  SYNC_CHECK(atomic_load(&handled) > 0, "%s: the handler never ran", op_names[op]);
  const char* how = restart ? "with SA_RESTART" : "without SA_RESTART";
  if (expect_eintr) {
    SYNC_CHECK(c.result == -1 && c.err == EINTR, "%s %s: returned %ld errno %d, not EINTR",
               op_names[op], how, c.result, c.err);
    printf("%s %s: EINTR\n", op_names[op], how);
  } else {
    SYNC_CHECK(op == OP_READ ? c.result == 1 : c.result >= 0,
               "%s %s: returned %ld errno %d instead of restarting", op_names[op], how, c.result,
               c.err);
    printf("%s %s: restarted and completed\n", op_names[op], how);
  }
  if (client >= 0) close(client);
  if (lfd >= 0) close(lfd);
  if (p[0] >= 0) close(p[0]);
  if (p[1] >= 0) close(p[1]);
}

/* ---- part 2: cancellation -------------------------------------------------- */

/* Resources of one case; `block` uses them, the main thread made them. */
struct res {
  int fd[2];       /* a pipe or socket pair */
  int lfd;         /* a listening socket */
  int epfd;
  pid_t child;     /* a child that exits when fd[1] closes */
  int msqid;
  mqd_t mq;
  char path[64];   /* a FIFO or a locked file */
  int lockfd;
  struct sockaddr_un un;
};

static struct res res;
static atomic_int ready;
static volatile int cleaned;

static void cleanup(void* arg) { cleaned = 1; }
static void close_fd(void* fd) { close((int)(long)fd); }

/* Makes the writing end (fd[1]) of fd full: non-blocking writes until
 * EAGAIN, through the program's own flag on its own descriptor (weft must
 * leave this flag alone, not avoid it). */
static void fill(int fd, int socket) {
  static char junk[4096];
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  size_t n = socket ? 256 : sizeof junk;
  while ((socket ? send(fd, junk, n, MSG_NOSIGNAL) : write(fd, junk, n)) > 0) {
  }
  SYNC_CHECK(errno == EAGAIN, "fill: %s", strerror(errno));
  /* A pipe may still take less than 4 KiB: fill that too. */
  while (!socket && write(fd, junk, 1) > 0) {
  }
  fcntl(fd, F_SETFL, fl);
}

static void mk_pipe(void) { SYNC_CHECK(pipe2(res.fd, O_CLOEXEC) == 0, "pipe2"); }
static void mk_full_pipe(void) { mk_pipe(); fill(res.fd[1], 0); }
static void mk_pair(void) {
  SYNC_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, res.fd) == 0, "socketpair");
}
static void mk_full_pair(void) { mk_pair(); fill(res.fd[1], 1); }
static void mk_dgram(void) {
  SYNC_CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, res.fd) == 0, "socketpair");
}
static void mk_full_dgram(void) { mk_dgram(); fill(res.fd[1], 1); }
static void mk_listener(void) { int port; res.lfd = io_tcp_listen(4, &port); }
static void mk_epoll(void) {
  mk_pipe();
  res.epfd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN};
  SYNC_CHECK(epoll_ctl(res.epfd, EPOLL_CTL_ADD, res.fd[0], &ev) == 0, "epoll_ctl");
}
/* The length of res.un, an abstract AF_UNIX address. */
static socklen_t un_len(void) {
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(res.un.sun_path + 1));
}

/* An AF_UNIX listener whose backlog is full: a blocking connect waits. */
static void mk_full_backlog(void) {
  res.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  memset(&res.un, 0, sizeof res.un);
  res.un.sun_family = AF_UNIX;
  snprintf(res.un.sun_path + 1, sizeof res.un.sun_path - 1, "weft-io-cancel-%d", (int)getpid());
  socklen_t len = un_len();
  SYNC_CHECK(bind(res.lfd, (struct sockaddr*)&res.un, len) == 0, "bind: %s", strerror(errno));
  SYNC_CHECK(listen(res.lfd, 0) == 0, "listen");
  res.fd[0] = res.fd[1] = -1;
  for (int i = 0; i < 64; ++i) {
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (connect(s, (struct sockaddr*)&res.un, len) != 0) {
      SYNC_CHECK(errno == EAGAIN, "filling the backlog: %s", strerror(errno));
      close(s);
      return;
    }
    /* Keep the queued connections (at most two with backlog 0). */
    if (res.fd[0] < 0) res.fd[0] = s;
    else if (res.fd[1] < 0) res.fd[1] = s;
    else close(s);
  }
  sync_die("the AF_UNIX backlog never filled");
}
/* A child that waits for end of file on a pipe with raw system calls (no
 * libc, so nothing of the parent's runtime runs in it) and exits. */
static void mk_child(void) {
  mk_pipe();
  fflush(NULL);
  res.child = fork();
  SYNC_CHECK(res.child >= 0, "fork");
  if (res.child == 0) {
    char b;
    io_raw_syscall3(SYS_close, res.fd[1], 0, 0);
    while (io_raw_syscall3(SYS_read, res.fd[0], (long)&b, 1) > 0) {
    }
    io_raw_syscall3(SYS_exit_group, 0, 0, 0);
  }
}
static void mk_msq(void) {
  res.msqid = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  SYNC_CHECK(res.msqid >= 0, "msgget: %s", strerror(errno));
}
static void mk_full_msq(void) {
  mk_msq();
  struct { long type; char text[1024]; } m = {1, {0}};
  while (msgsnd(res.msqid, &m, sizeof m.text, IPC_NOWAIT) == 0) {
  }
  SYNC_CHECK(errno == EAGAIN, "filling the message queue: %s", strerror(errno));
}
static void mk_mq(int full) {
  snprintf(res.path, sizeof res.path, "/weft-io-cancel-%d", (int)getpid());
  struct mq_attr a = {.mq_maxmsg = 1, .mq_msgsize = 16};
  res.mq = mq_open(res.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
  SYNC_CHECK(res.mq != (mqd_t)-1, "mq_open: %s", strerror(errno));
  if (full) SYNC_CHECK(mq_send(res.mq, "x", 1, 0) == 0, "mq_send: %s", strerror(errno));
}
static void mk_empty_mq(void) { mk_mq(0); }
static void mk_full_mq(void) { mk_mq(1); }
static void mk_fifo(void) {
  snprintf(res.path, sizeof res.path, "/tmp/weft-io-fifo-%d", (int)getpid());
  unlink(res.path);
  SYNC_CHECK(mkfifo(res.path, 0600) == 0, "mkfifo: %s", strerror(errno));
}
/* A file whose open file description lockfd holds an OFD write lock. */
static void mk_locked_file(void) {
  snprintf(res.path, sizeof res.path, "/tmp/weft-io-lock-%d", (int)getpid());
  res.lockfd = open(res.path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  SYNC_CHECK(res.lockfd >= 0, "open: %s", strerror(errno));
  struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
  SYNC_CHECK(fcntl(res.lockfd, F_OFD_SETLK, &l) == 0, "F_OFD_SETLK: %s", strerror(errno));
}
static void mk_sigwait(void) {}

static void blk_read(void) { char b; read(res.fd[0], &b, 1); }
static void blk_readv(void) { char b; struct iovec v = {&b, 1}; readv(res.fd[0], &v, 1); }
static void blk_write(void) { char b[4096] = {0}; write(res.fd[1], b, sizeof b); }
static void blk_writev(void) {
  char b[4096] = {0};
  struct iovec v = {b, sizeof b};
  writev(res.fd[1], &v, 1);
}
static void blk_recv(void) { char b; recv(res.fd[0], &b, 1, 0); }
static void blk_recvfrom(void) { char b; recvfrom(res.fd[0], &b, 1, 0, NULL, NULL); }
static void blk_recvmsg(void) {
  char b;
  struct iovec v = {&b, 1};
  struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
  recvmsg(res.fd[0], &m, 0);
}
static void blk_recvmmsg(void) {
  char b;
  struct iovec v = {&b, 1};
  struct mmsghdr m = {.msg_hdr = {.msg_iov = &v, .msg_iovlen = 1}};
  recvmmsg(res.fd[0], &m, 1, 0, NULL);
}
static void blk_send(void) { char b[256] = {0}; send(res.fd[1], b, sizeof b, MSG_NOSIGNAL); }
static void blk_sendto(void) {
  char b[256] = {0};
  sendto(res.fd[1], b, sizeof b, MSG_NOSIGNAL, NULL, 0);
}
static void blk_sendmsg(void) {
  char b[256] = {0};
  struct iovec v = {b, sizeof b};
  struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
  sendmsg(res.fd[1], &m, MSG_NOSIGNAL);
}
static void blk_sendmmsg(void) {
  char b[256] = {0};
  struct iovec v = {b, sizeof b};
  struct mmsghdr m = {.msg_hdr = {.msg_iov = &v, .msg_iovlen = 1}};
  sendmmsg(res.fd[1], &m, 1, MSG_NOSIGNAL);
}
static void blk_accept(void) { accept(res.lfd, NULL, NULL); }
static void blk_accept4(void) { accept4(res.lfd, NULL, NULL, SOCK_CLOEXEC); }
static void blk_connect(void) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  pthread_cleanup_push(close_fd, (void*)(long)s);
  connect(s, (struct sockaddr*)&res.un, un_len());
  pthread_cleanup_pop(1);
}
static void blk_poll(void) { struct pollfd p = {.fd = res.fd[0], .events = POLLIN}; poll(&p, 1, -1); }
static void blk_ppoll(void) {
  struct pollfd p = {.fd = res.fd[0], .events = POLLIN};
  ppoll(&p, 1, NULL, NULL);
}
static void blk_select(void) {
  fd_set r;
  FD_ZERO(&r);
  FD_SET(res.fd[0], &r);
  select(res.fd[0] + 1, &r, NULL, NULL, NULL);
}
static void blk_pselect(void) {
  fd_set r;
  FD_ZERO(&r);
  FD_SET(res.fd[0], &r);
  pselect(res.fd[0] + 1, &r, NULL, NULL, NULL, NULL);
}
static void blk_epoll_wait(void) { struct epoll_event e; epoll_wait(res.epfd, &e, 1, -1); }
static void blk_epoll_pwait(void) { struct epoll_event e; epoll_pwait(res.epfd, &e, 1, -1, NULL); }
static void blk_epoll_pwait2(void) {
  struct epoll_event e;
  epoll_pwait2(res.epfd, &e, 1, NULL, NULL);
}
static void blk_waitpid(void) { int st; waitpid(res.child, &st, 0); }
static void blk_wait(void) { int st; wait(&st); }
static void blk_waitid(void) { siginfo_t si; waitid(P_PID, (id_t)res.child, &si, WEXITED); }
static void blk_wait4(void) { int st; wait4(res.child, &st, 0, NULL); }
static void blk_msgrcv(void) {
  struct { long type; char text[16]; } m;
  msgrcv(res.msqid, &m, sizeof m.text, 0, 0);
}
static void blk_msgsnd(void) {
  struct { long type; char text[1024]; } m = {1, {0}};
  msgsnd(res.msqid, &m, sizeof m.text, 0);
}
static void blk_mq_receive(void) { char b[16]; mq_receive(res.mq, b, sizeof b, NULL); }
static void blk_mq_send(void) { mq_send(res.mq, "y", 1, 0); }
static void blk_mq_timedreceive(void) {
  char b[16];
  struct timespec far = sync_deadline(CLOCK_REALTIME, SYNC_FAR_NS);
  mq_timedreceive(res.mq, b, sizeof b, NULL, &far);
}
static void blk_open_fifo(void) {
  int fd = open(res.path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) close(fd);
}
static void blk_ofd_setlkw(void) {
  int fd = open(res.path, O_RDWR | O_CLOEXEC);
  pthread_cleanup_push(close_fd, (void*)(long)fd);
  struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
  fcntl(fd, F_OFD_SETLKW, &l);
  pthread_cleanup_pop(1);
}
static sigset_t usr2_set(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  return s;
}
static void blk_sigwait(void) { sigset_t s = usr2_set(); int sig; sigwait(&s, &sig); }
static void blk_sigwaitinfo(void) { sigset_t s = usr2_set(); sigwaitinfo(&s, NULL); }
static void blk_sigtimedwait(void) {
  sigset_t s = usr2_set();
  struct timespec far = sync_ts(SYNC_FAR_NS);
  sigtimedwait(&s, NULL, &far);
}

static void free_res(void) {
  if (res.child > 0) {
    if (res.fd[1] >= 0) close(res.fd[1]);
    res.fd[1] = -1;
    io_wait_child_ok(res.child, "waited-for child");
  }
  for (int i = 0; i < 2; ++i)
    if (res.fd[i] >= 0) close(res.fd[i]);
  if (res.lfd >= 0) close(res.lfd);
  if (res.epfd >= 0) close(res.epfd);
  if (res.msqid >= 0) msgctl(res.msqid, IPC_RMID, NULL);
  if (res.mq != (mqd_t)-1) {
    mq_close(res.mq);
    mq_unlink(res.path);
  } else if (res.path[0]) {
    unlink(res.path);
  }
  if (res.lockfd >= 0) close(res.lockfd);
}

struct cancel_case {
  const char* name;
  void (*make)(void);
  void (*block)(void);
};

static const struct cancel_case cases[] = {
    {"read", mk_pipe, blk_read},
    {"readv", mk_pipe, blk_readv},
    {"write (full pipe)", mk_full_pipe, blk_write},
    {"writev (full pipe)", mk_full_pipe, blk_writev},
    {"recv", mk_pair, blk_recv},
    {"recvfrom", mk_pair, blk_recvfrom},
    {"recvmsg", mk_pair, blk_recvmsg},
    {"recvmmsg", mk_dgram, blk_recvmmsg},
    {"send (full socket)", mk_full_pair, blk_send},
    {"sendto (full socket)", mk_full_pair, blk_sendto},
    {"sendmsg (full socket)", mk_full_pair, blk_sendmsg},
    {"sendmmsg (full datagram socket)", mk_full_dgram, blk_sendmmsg},
    {"accept", mk_listener, blk_accept},
    {"accept4", mk_listener, blk_accept4},
    {"connect (full backlog)", mk_full_backlog, blk_connect},
    {"poll", mk_pipe, blk_poll},
    {"ppoll", mk_pipe, blk_ppoll},
    {"select", mk_pipe, blk_select},
    {"pselect", mk_pipe, blk_pselect},
    {"epoll_wait", mk_epoll, blk_epoll_wait},
    {"epoll_pwait", mk_epoll, blk_epoll_pwait},
    {"epoll_pwait2", mk_epoll, blk_epoll_pwait2},
    {"waitpid", mk_child, blk_waitpid},
    {"wait", mk_child, blk_wait},
    {"waitid", mk_child, blk_waitid},
    {"wait4", mk_child, blk_wait4},
    {"msgrcv", mk_msq, blk_msgrcv},
    {"msgsnd (full queue)", mk_full_msq, blk_msgsnd},
    {"mq_receive", mk_empty_mq, blk_mq_receive},
    {"mq_timedreceive", mk_empty_mq, blk_mq_timedreceive},
    {"mq_send (full queue)", mk_full_mq, blk_mq_send},
    {"open (FIFO without writer)", mk_fifo, blk_open_fifo},
    {"fcntl F_OFD_SETLKW", mk_locked_file, blk_ofd_setlkw},
    {"sigwait", mk_sigwait, blk_sigwait},
    {"sigwaitinfo", mk_sigwait, blk_sigwaitinfo},
    {"sigtimedwait", mk_sigwait, blk_sigtimedwait},
};

static void* cancel_thread(void* arg) {
  const struct cancel_case* c = arg;
  sigset_t s = usr2_set();
  pthread_sigmask(SIG_BLOCK, &s, NULL); /* for the sigwait family */
  pthread_cleanup_push(cleanup, NULL);
  atomic_store(&ready, 1);
  c->block();
  pthread_cleanup_pop(0);
  return (void*)2L; /* the call returned: not cancelled */
}

static void cancel_case(const struct cancel_case* c) {
  for (int pause = 0; pause < 2; ++pause) {
    memset(&res, 0, sizeof res);
    res.fd[0] = res.fd[1] = res.lfd = res.epfd = res.msqid = res.lockfd = -1;
    res.mq = (mqd_t)-1;
    c->make();
    cleaned = 0;
    atomic_store(&ready, 0);
    pthread_t t;
    sync_start(&t, cancel_thread, (void*)c, 64 * 1024);
    while (!atomic_load(&ready)) sched_yield();
    if (pause) io_sleep_ns(PAUSE_NS); /* likely blocked by now; the result is the same */
    SYNC_CHECK(pthread_cancel(t) == 0, "pthread_cancel");
    void* r;
    SYNC_CHECK(pthread_join(t, &r) == 0, "join");
    SYNC_CHECK(r == PTHREAD_CANCELED, "%s: thread not cancelled (returned %p)", c->name, r);
    SYNC_CHECK(cleaned, "%s: cleanup handler did not run", c->name);
    free_res();
  }
  printf("cancel in %s: cleanup ran, joined as PTHREAD_CANCELED\n", c->name);
}

int main(void) {
  io_watchdog(IO_WATCHDOG_S);
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int restart = 0; restart < 2; ++restart)
    for (int op = OP_READ; op <= OP_ACCEPT; ++op) eintr_case((enum op)op, restart);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) cancel_case(&cases[i]);
  return 0;
}
