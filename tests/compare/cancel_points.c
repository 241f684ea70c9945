/* tests/compare/cancel_points.c — deferred cancellation at every
 * cancellation point (issue 11, acceptance 3).
 *
 * For each POSIX (and glibc) cancellation point a thread that pushed a
 * cleanup handler calls the function and is cancelled, in two ways:
 * - blocked: the call waits on a resource that never becomes ready (an
 *   empty pipe, a full one, a child that holds a lock...); the main thread
 *   cancels it, after a pause that lets it block (deferred cancellation
 *   acts at the call whether it blocked yet or not, so the result does not
 *   depend on the pause);
 * - pending: the thread disables cancellation, is cancelled, enables it
 *   again (deferred: nothing happens) and then calls the function, which
 *   must act on the request at once.
 * Either way the cleanup handler runs and pthread_join gives
 * PTHREAD_CANCELED. A call that missed the request would block forever
 * (the watchdog ends the run) or return (the thread returns 2).
 * Functions that cannot block on Linux (fsync, close, pread, tcdrain...)
 * are tested the pending way only. Not tested: getmsg, getpmsg, putmsg and
 * putpmsg (no STREAMS on Linux), and the functions POSIX allows but does
 * not require to be cancellation points.
 * The condvar waits (private and process-shared) also check that the
 * waiter owns its mutex again when its cleanup handler runs; the joins,
 * that the thread they waited for can still be joined.
 */
#define _GNU_SOURCE
#include <aio.h>
#include <mqueue.h>
#include <poll.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>

#include "io_common.h"

#define PAUSE_NS (20 * 1000000LL)

/* What one case uses; made by the main thread, used by the thread. */
static struct res {
  int fd[2];      /* a pipe or socket pair */
  int lfd;        /* a listening socket; a file */
  int epfd;
  pid_t child;    /* exits when fd[1] closes */
  int msqid;
  mqd_t mq;
  char path[64];  /* a FIFO, a locked file, a queue's name */
  pthread_t target; /* a thread to join, blocked on target_sem */
  int has_target;
  struct sockaddr_un un;
} res;
static sem_t target_sem;
static pthread_mutex_t cm = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static pthread_cond_t cc = PTHREAD_COND_INITIALIZER;
static pthread_cond_t cc_mono;
static pthread_mutex_t cm_shared; /* process-shared, error-checking */
static pthread_cond_t cc_shared;  /* process-shared */
static pthread_mutex_t* cond_mutex;
static int cond_unlock_rc;

static atomic_int ready;
static sem_t go;
static volatile int cleaned;

static void cleanup(void* arg) { cleaned = 1; }

/* ---- resources ---------------------------------------------------------- */

static void fill(int fd, int socket) {
  static char junk[4096];
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  size_t n = socket ? 256 : sizeof junk;
  while ((socket ? send(fd, junk, n, MSG_NOSIGNAL) : write(fd, junk, n)) > 0) {
  }
  SYNC_CHECK(errno == EAGAIN, "fill: %s", strerror(errno));
  while (!socket && write(fd, junk, 1) > 0) {
  }
  fcntl(fd, F_SETFL, fl);
}

static void mk_none(void) {}
static void mk_pipe(void) { SYNC_CHECK(pipe2(res.fd, O_CLOEXEC) == 0, "pipe2"); }
static void mk_full_pipe(void) { mk_pipe(); fill(res.fd[1], 0); }
static void mk_pipe_and_null(void) {
  mk_pipe();
  res.lfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
}
static void mk_pair(void) {
  SYNC_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, res.fd) == 0, "socketpair");
}
static void mk_full_pair(void) { mk_pair(); fill(res.fd[1], 1); }
static void mk_listener(void) { int port; res.lfd = io_tcp_listen(4, &port); }
static void mk_epoll(void) {
  mk_pipe();
  res.epfd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN};
  SYNC_CHECK(epoll_ctl(res.epfd, EPOLL_CTL_ADD, res.fd[0], &ev) == 0, "epoll_ctl");
}
static socklen_t un_len(void) {
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(res.un.sun_path + 1));
}
/* An AF_UNIX listener whose backlog is full: a blocking connect waits. */
static void mk_full_backlog(void) {
  res.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  memset(&res.un, 0, sizeof res.un);
  res.un.sun_family = AF_UNIX;
  snprintf(res.un.sun_path + 1, sizeof res.un.sun_path - 1, "weft-cancel-%d", (int)getpid());
  SYNC_CHECK(bind(res.lfd, (struct sockaddr*)&res.un, un_len()) == 0, "bind: %s", strerror(errno));
  SYNC_CHECK(listen(res.lfd, 0) == 0, "listen");
  for (int i = 0; i < 64; ++i) {
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (connect(s, (struct sockaddr*)&res.un, un_len()) != 0) {
      SYNC_CHECK(errno == EAGAIN, "filling the backlog: %s", strerror(errno));
      close(s);
      return;
    }
    if (res.fd[0] < 0) res.fd[0] = s;
    else if (res.fd[1] < 0) res.fd[1] = s;
    else close(s);
  }
  sync_die("the AF_UNIX backlog never filled");
}
/* A child process (raw system calls only: nothing of the parent's runtime
 * runs in it) that, if lock_fd >= 0, takes a POSIX write lock on it and
 * says so, then waits for end of file on fd[0] and exits. */
static void mk_child_locking(int lock_fd) {
  mk_pipe();
  int said[2];
  SYNC_CHECK(pipe2(said, O_CLOEXEC) == 0, "pipe2");
  fflush(NULL);
  res.child = fork();
  SYNC_CHECK(res.child >= 0, "fork");
  if (res.child == 0) {
    char b = 0;
    io_raw_syscall3(SYS_close, res.fd[1], 0, 0);
    if (lock_fd >= 0) {
      struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
      if (io_raw_syscall3(SYS_fcntl, lock_fd, F_SETLK, (long)&l) != 0) io_raw_syscall3(SYS_exit_group, 3, 0, 0);
    }
    io_raw_syscall3(SYS_write, said[1], (long)&b, 1);
    while (io_raw_syscall3(SYS_read, res.fd[0], (long)&b, 1) > 0) {
    }
    io_raw_syscall3(SYS_exit_group, 0, 0, 0);
  }
  close(said[1]);
  char b;
  SYNC_CHECK(read(said[0], &b, 1) == 1, "the child did not start");
  close(said[0]);
}
static void mk_child(void) { mk_child_locking(-1); }
static void mk_file(void) {
  snprintf(res.path, sizeof res.path, "/tmp/weft-cancel-file-%d", (int)getpid());
  res.lfd = open(res.path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  SYNC_CHECK(res.lfd >= 0, "open: %s", strerror(errno));
  SYNC_CHECK(write(res.lfd, "0123456789abcdef", 16) == 16, "write");
}
static void mk_locked_by_child(void) { mk_file(); mk_child_locking(res.lfd); }
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
  snprintf(res.path, sizeof res.path, "/weft-cancel-%d", (int)getpid());
  struct mq_attr a = {.mq_maxmsg = 1, .mq_msgsize = 16};
  res.mq = mq_open(res.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
  SYNC_CHECK(res.mq != (mqd_t)-1, "mq_open: %s", strerror(errno));
  if (full) SYNC_CHECK(mq_send(res.mq, "x", 1, 0) == 0, "mq_send: %s", strerror(errno));
}
static void mk_empty_mq(void) { mk_mq(0); }
static void mk_full_mq(void) { mk_mq(1); }
static void mk_fifo(void) {
  snprintf(res.path, sizeof res.path, "/tmp/weft-cancel-fifo-%d", (int)getpid());
  unlink(res.path);
  SYNC_CHECK(mkfifo(res.path, 0600) == 0, "mkfifo: %s", strerror(errno));
}
static void* blocked_target(void* a) {
  while (sem_wait(&target_sem) != 0) {
  }
  return (void*)7L;
}
static void mk_target(void) {
  sync_start(&res.target, blocked_target, NULL, 64 * 1024);
  res.has_target = 1;
}

static void free_res(void) {
  if (res.child > 0) {
    if (res.fd[1] >= 0) close(res.fd[1]);
    res.fd[1] = -1;
    io_wait_child_ok(res.child, "child");
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
  if (res.has_target) {
    /* The cancelled join must have left it joinable. */
    sem_post(&target_sem);
    void* r;
    SYNC_CHECK(pthread_join(res.target, &r) == 0 && r == (void*)7L, "the join target was not joinable");
  }
}

/* ---- the calls ---------------------------------------------------------- */

static void close_fd(void* fd) { close((int)(long)fd); }
static sigset_t usr2_set(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  return s;
}

static void c_read(void) { char b; read(res.fd[0], &b, 1); }
static void c_readv(void) { char b; struct iovec v = {&b, 1}; readv(res.fd[0], &v, 1); }
static void c_write(void) { char b[4096] = {0}; write(res.fd[1], b, sizeof b); }
static void c_writev(void) { char b[4096] = {0}; struct iovec v = {b, sizeof b}; writev(res.fd[1], &v, 1); }
static void c_recv(void) { char b; recv(res.fd[0], &b, 1, 0); }
static void c_recvfrom(void) { char b; recvfrom(res.fd[0], &b, 1, 0, NULL, NULL); }
static void c_recvmsg(void) {
  char b;
  struct iovec v = {&b, 1};
  struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
  recvmsg(res.fd[0], &m, 0);
}
static void c_send(void) { char b[256] = {0}; send(res.fd[1], b, sizeof b, MSG_NOSIGNAL); }
static void c_sendto(void) { char b[256] = {0}; sendto(res.fd[1], b, sizeof b, MSG_NOSIGNAL, NULL, 0); }
static void c_sendmsg(void) {
  char b[256] = {0};
  struct iovec v = {b, sizeof b};
  struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
  sendmsg(res.fd[1], &m, MSG_NOSIGNAL);
}
static void c_accept(void) { accept(res.lfd, NULL, NULL); }
static void c_accept4(void) { accept4(res.lfd, NULL, NULL, SOCK_CLOEXEC); }
static void c_connect(void) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  pthread_cleanup_push(close_fd, (void*)(long)s);
  connect(s, (struct sockaddr*)&res.un, un_len());
  pthread_cleanup_pop(1);
}
static void c_poll(void) { struct pollfd p = {.fd = res.fd[0], .events = POLLIN}; poll(&p, 1, -1); }
static void c_ppoll(void) { struct pollfd p = {.fd = res.fd[0], .events = POLLIN}; ppoll(&p, 1, NULL, NULL); }
static void c_select(void) {
  fd_set r;
  FD_ZERO(&r);
  FD_SET(res.fd[0], &r);
  select(res.fd[0] + 1, &r, NULL, NULL, NULL);
}
static void c_pselect(void) {
  fd_set r;
  FD_ZERO(&r);
  FD_SET(res.fd[0], &r);
  pselect(res.fd[0] + 1, &r, NULL, NULL, NULL, NULL);
}
static void c_epoll_wait(void) { struct epoll_event e; epoll_wait(res.epfd, &e, 1, -1); }
static void c_epoll_pwait(void) { struct epoll_event e; epoll_pwait(res.epfd, &e, 1, -1, NULL); }
static void c_nanosleep(void) { struct timespec t = {3600, 0}; nanosleep(&t, NULL); }
static void c_clock_nanosleep(void) {
  struct timespec t = {3600, 0};
  clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL);
}
static void c_sleep(void) { sleep(3600); }
static void c_usleep(void) { usleep(999999); usleep(999999); usleep(999999); }
static void c_pause(void) { pause(); }
static void c_sigsuspend(void) { sigset_t s = usr2_set(); sigsuspend(&s); }
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static void c_sigpause(void) { sigpause(SIGUSR1); }
static void c_sigwait(void) { sigset_t s = usr2_set(); int sig; sigwait(&s, &sig); }
static void c_sigwaitinfo(void) { sigset_t s = usr2_set(); sigwaitinfo(&s, NULL); }
static void c_sigtimedwait(void) {
  sigset_t s = usr2_set();
  struct timespec far = sync_ts(SYNC_FAR_NS);
  sigtimedwait(&s, NULL, &far);
}
static void c_sem_wait(void) { sem_wait(&target_sem); }
static void c_sem_timedwait(void) {
  struct timespec far = sync_deadline(CLOCK_REALTIME, SYNC_FAR_NS);
  sem_timedwait(&target_sem, &far);
}
static void c_sem_clockwait(void) {
  struct timespec far = sync_deadline(CLOCK_MONOTONIC, SYNC_FAR_NS);
  sem_clockwait(&target_sem, CLOCK_MONOTONIC, &far);
}
/* The condvar waiter's own cleanup: whether it holds the mutex (an
 * error-checking mutex unlocks only for its owner). */
static void cond_cleanup(void* a) { cond_unlock_rc = pthread_mutex_unlock(cond_mutex); }
static void c_cond(int kind) {
  pthread_cond_t* c = kind >= 3 ? &cc_shared : &cc;
  cond_mutex = kind >= 3 ? &cm_shared : &cm;
  pthread_mutex_lock(cond_mutex);
  pthread_cleanup_push(cond_cleanup, NULL);
  struct timespec far = sync_deadline(kind == 2 ? CLOCK_MONOTONIC : CLOCK_REALTIME, SYNC_FAR_NS);
  for (;;) {
    if (kind == 0 || kind == 3) pthread_cond_wait(c, cond_mutex);
    else if (kind == 1 || kind == 4) pthread_cond_timedwait(c, cond_mutex, &far);
    else pthread_cond_clockwait(&cc_mono, cond_mutex, CLOCK_MONOTONIC, &far);
  }
  pthread_cleanup_pop(1);
}
static void c_cond_wait(void) { c_cond(0); }
static void c_cond_timedwait(void) { c_cond(1); }
static void c_cond_clockwait(void) { c_cond(2); }
static void c_cond_wait_shared(void) { c_cond(3); }
static void c_cond_timedwait_shared(void) { c_cond(4); }
static void c_join(void) { pthread_join(res.target, NULL); }
static void c_timedjoin(void) {
  struct timespec far = sync_deadline(CLOCK_REALTIME, SYNC_FAR_NS);
  pthread_timedjoin_np(res.target, NULL, &far);
}
static void c_clockjoin(void) {
  struct timespec far = sync_deadline(CLOCK_MONOTONIC, SYNC_FAR_NS);
  pthread_clockjoin_np(res.target, NULL, CLOCK_MONOTONIC, &far);
}
static void c_waitpid(void) { int st; waitpid(res.child, &st, 0); }
static void c_wait(void) { int st; wait(&st); }
static void c_waitid(void) { siginfo_t si; waitid(P_PID, (id_t)res.child, &si, WEXITED); }
static void c_wait3(void) { int st; wait3(&st, 0, NULL); }
static void c_wait4(void) { int st; wait4(res.child, &st, 0, NULL); }
static void c_msgrcv(void) {
  struct { long type; char text[16]; } m;
  msgrcv(res.msqid, &m, sizeof m.text, 0, 0);
}
static void c_msgsnd(void) {
  struct { long type; char text[1024]; } m = {1, {0}};
  msgsnd(res.msqid, &m, sizeof m.text, 0);
}
static void c_mq_receive(void) { char b[16]; mq_receive(res.mq, b, sizeof b, NULL); }
static void c_mq_timedreceive(void) {
  char b[16];
  struct timespec far = sync_deadline(CLOCK_REALTIME, SYNC_FAR_NS);
  mq_timedreceive(res.mq, b, sizeof b, NULL, &far);
}
static void c_mq_send(void) { mq_send(res.mq, "y", 1, 0); }
static void c_mq_timedsend(void) {
  struct timespec far = sync_deadline(CLOCK_REALTIME, SYNC_FAR_NS);
  mq_timedsend(res.mq, "y", 1, 0, &far);
}
static void c_open_fifo(void) {
  int fd = open(res.path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) close(fd);
}
static void c_openat_fifo(void) {
  int fd = openat(AT_FDCWD, res.path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) close(fd);
}
static void c_creat_fifo(void) {
  int fd = creat(res.path, 0600);
  if (fd >= 0) close(fd);
}
static void c_fcntl_setlkw(void) {
  struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
  fcntl(res.lfd, F_SETLKW, &l);
}
static void c_lockf(void) { lseek(res.lfd, 0, SEEK_SET); lockf(res.lfd, F_LOCK, 0); }
static void c_system(void) { system("exec sleep 3600"); }
static void c_splice(void) { splice(res.fd[0], NULL, res.lfd, NULL, 1, 0); }
static void c_aio_suspend(void) {
  /* One request per run: glibc's helper finishes an earlier one (end of
   * file once its pipe is closed) while a later one is made. */
  static char b[2];
  static struct aiocb cbs[2];
  static int used;
  struct aiocb* cb = &cbs[used];
  cb->aio_fildes = res.fd[0];
  cb->aio_buf = &b[used++];
  cb->aio_nbytes = 1;
  SYNC_CHECK(aio_read(cb) == 0, "aio_read: %s", strerror(errno));
  const struct aiocb* list[1] = {cb};
  aio_suspend(list, 1, NULL);
}
/* Calls that do not block: the pending way only. */
static void c_testcancel(void) { pthread_testcancel(); }
static void c_open(void) {
  int fd = open(res.path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) close(fd);
}
static void c_close(void) {
  int fd = dup(res.lfd);
  pthread_cleanup_push(close_fd, (void*)(long)fd);
  close(fd);
  pthread_cleanup_pop(0);
}
static void c_pread(void) { char b[4]; pread(res.lfd, b, sizeof b, 0); }
static void c_pwrite(void) { pwrite(res.lfd, "x", 1, 0); }
static void c_preadv(void) { char b[4]; struct iovec v = {b, sizeof b}; preadv(res.lfd, &v, 1, 0); }
static void c_pwritev(void) { struct iovec v = {"x", 1}; pwritev(res.lfd, &v, 1, 0); }
static void c_fsync(void) { fsync(res.lfd); }
static void c_fdatasync(void) { fdatasync(res.lfd); }
static void c_msync(void) {
  void* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, res.lfd, 0);
  SYNC_CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
  msync(p, 4096, MS_SYNC);
  munmap(p, 4096);
}
static void c_tcdrain(void) { tcdrain(res.lfd); }

struct point {
  const char* name;
  void (*make)(void);
  void (*call)(void);
  int blocks;  /* 0: the pending way only */
};

static const struct point points[] = {
    {"read", mk_pipe, c_read, 1},
    {"readv", mk_pipe, c_readv, 1},
    {"write (full pipe)", mk_full_pipe, c_write, 1},
    {"writev (full pipe)", mk_full_pipe, c_writev, 1},
    {"recv", mk_pair, c_recv, 1},
    {"recvfrom", mk_pair, c_recvfrom, 1},
    {"recvmsg", mk_pair, c_recvmsg, 1},
    {"send (full socket)", mk_full_pair, c_send, 1},
    {"sendto (full socket)", mk_full_pair, c_sendto, 1},
    {"sendmsg (full socket)", mk_full_pair, c_sendmsg, 1},
    {"accept", mk_listener, c_accept, 1},
    {"accept4", mk_listener, c_accept4, 1},
    {"connect (full backlog)", mk_full_backlog, c_connect, 1},
    {"poll", mk_pipe, c_poll, 1},
    {"ppoll", mk_pipe, c_ppoll, 1},
    {"select", mk_pipe, c_select, 1},
    {"pselect", mk_pipe, c_pselect, 1},
    {"epoll_wait", mk_epoll, c_epoll_wait, 1},
    {"epoll_pwait", mk_epoll, c_epoll_pwait, 1},
    {"nanosleep", mk_none, c_nanosleep, 1},
    {"clock_nanosleep", mk_none, c_clock_nanosleep, 1},
    {"sleep", mk_none, c_sleep, 1},
    {"usleep", mk_none, c_usleep, 1},
    {"pause", mk_none, c_pause, 1},
    {"sigsuspend", mk_none, c_sigsuspend, 1},
    {"sigpause", mk_none, c_sigpause, 1},
    {"sigwait", mk_none, c_sigwait, 1},
    {"sigwaitinfo", mk_none, c_sigwaitinfo, 1},
    {"sigtimedwait", mk_none, c_sigtimedwait, 1},
    {"sem_wait", mk_none, c_sem_wait, 1},
    {"sem_timedwait", mk_none, c_sem_timedwait, 1},
    {"sem_clockwait", mk_none, c_sem_clockwait, 1},
    {"pthread_cond_wait", mk_none, c_cond_wait, 1},
    {"pthread_cond_timedwait", mk_none, c_cond_timedwait, 1},
    {"pthread_cond_clockwait", mk_none, c_cond_clockwait, 1},
    {"pthread_cond_wait (process-shared)", mk_none, c_cond_wait_shared, 1},
    {"pthread_cond_timedwait (process-shared)", mk_none, c_cond_timedwait_shared, 1},
    {"pthread_join", mk_target, c_join, 1},
    {"pthread_timedjoin_np", mk_target, c_timedjoin, 1},
    {"pthread_clockjoin_np", mk_target, c_clockjoin, 1},
    {"waitpid", mk_child, c_waitpid, 1},
    {"wait", mk_child, c_wait, 1},
    {"waitid", mk_child, c_waitid, 1},
    {"wait3", mk_child, c_wait3, 1},
    {"wait4", mk_child, c_wait4, 1},
    {"msgrcv", mk_msq, c_msgrcv, 1},
    {"msgsnd (full queue)", mk_full_msq, c_msgsnd, 1},
    {"mq_receive", mk_empty_mq, c_mq_receive, 1},
    {"mq_timedreceive", mk_empty_mq, c_mq_timedreceive, 1},
    {"mq_send (full queue)", mk_full_mq, c_mq_send, 1},
    {"mq_timedsend (full queue)", mk_full_mq, c_mq_timedsend, 1},
    {"open (FIFO without writer)", mk_fifo, c_open_fifo, 1},
    {"openat (FIFO without writer)", mk_fifo, c_openat_fifo, 1},
    {"creat (FIFO without reader)", mk_fifo, c_creat_fifo, 1},
    {"fcntl F_SETLKW (lock held by a child)", mk_locked_by_child, c_fcntl_setlkw, 1},
    {"lockf F_LOCK (lock held by a child)", mk_locked_by_child, c_lockf, 1},
    {"system", mk_none, c_system, 1},
    {"splice (empty pipe)", mk_pipe_and_null, c_splice, 1},
    {"aio_suspend", mk_pipe, c_aio_suspend, 1},
    {"pthread_testcancel", mk_none, c_testcancel, 0},
    {"open (file)", mk_file, c_open, 0},
    {"close", mk_file, c_close, 0},
    {"pread", mk_file, c_pread, 0},
    {"pwrite", mk_file, c_pwrite, 0},
    {"preadv", mk_file, c_preadv, 0},
    {"pwritev", mk_file, c_pwritev, 0},
    {"fsync", mk_file, c_fsync, 0},
    {"fdatasync", mk_file, c_fdatasync, 0},
    {"msync", mk_file, c_msync, 0},
    {"tcdrain", mk_file, c_tcdrain, 0},
};

/* ---- the runner --------------------------------------------------------- */

static void* blocked_thread(void* arg) {
  const struct point* p = arg;
  pthread_cleanup_push(cleanup, NULL);
  atomic_store(&ready, 1);
  p->call();
  pthread_cleanup_pop(0);
  return (void*)2L;
}

static void* pending_thread(void* arg) {
  const struct point* p = arg;
  int old;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
  SYNC_CHECK(old == PTHREAD_CANCEL_ENABLE, "cancellation was not enabled");
  atomic_store(&ready, 1);
  while (sem_wait(&go) != 0) {
  }
  /* Deferred: enabling does not act on the request; the call must. */
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
  pthread_cleanup_push(cleanup, NULL);
  p->call();
  pthread_cleanup_pop(0);
  return (void*)2L;
}

static void run(const struct point* p, int pending) {
  memset(&res, 0, sizeof res);
  res.fd[0] = res.fd[1] = res.lfd = res.epfd = res.msqid = -1;
  res.mq = (mqd_t)-1;
  p->make();
  cleaned = 0;
  cond_unlock_rc = -1;
  atomic_store(&ready, 0);
  pthread_t t;
  sync_start(&t, pending ? pending_thread : blocked_thread, (void*)p, 256 * 1024);
  while (!atomic_load(&ready)) sched_yield();
  if (!pending) io_sleep_ns(PAUSE_NS); /* likely blocked by now; the result is the same */
  SYNC_CHECK(pthread_cancel(t) == 0, "pthread_cancel");
  if (pending) sem_post(&go);
  void* r;
  SYNC_CHECK(pthread_join(t, &r) == 0, "join");
  const char* how = pending ? "pending" : "blocked";
  SYNC_CHECK(r == PTHREAD_CANCELED, "%s (%s): not cancelled (returned %p)", p->name, how, r);
  SYNC_CHECK(cleaned, "%s (%s): the cleanup handler did not run", p->name, how);
  if (p->call == c_cond_wait || p->call == c_cond_timedwait || p->call == c_cond_clockwait ||
      p->call == c_cond_wait_shared || p->call == c_cond_timedwait_shared)
    SYNC_CHECK(cond_unlock_rc == 0, "%s (%s): the waiter did not own its mutex in its cleanup (%d)",
               p->name, how, cond_unlock_rc);
  free_res();
}

/* With arguments: only the cases of those names (for debugging). */
int main(int argc, char** argv) {
  io_watchdog(IO_WATCHDOG_S);
  setvbuf(stdout, NULL, _IOLBF, 0);
  sem_init(&go, 0, 0);
  sem_init(&target_sem, 0, 0);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&cc_mono, &ca);
  pthread_condattr_init(&ca);
  pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
  pthread_cond_init(&cc_shared, &ca);
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&cm_shared, &ma);
  /* For the sigwait family (new threads inherit the mask); pause and the
   * sigsuspend family wait for signals nobody sends. */
  sigset_t s = usr2_set();
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  for (size_t i = 0; i < sizeof points / sizeof points[0]; ++i) {
    const struct point* p = &points[i];
    int wanted = argc < 2;
    for (int a = 1; a < argc; ++a) wanted |= strcmp(argv[a], p->name) == 0;
    if (!wanted) continue;
    if (p->blocks) run(p, 0);
    run(p, 1);
    printf("%s: cleanup ran, PTHREAD_CANCELED (%s)\n", p->name, p->blocks ? "blocked, pending" : "pending");
  }
  if (argc < 2)
    printf("cond destroy %d %d %d\n", pthread_cond_destroy(&cc), pthread_cond_destroy(&cc_mono),
           pthread_cond_destroy(&cc_shared));
  return 0;
}
