// io_cancel_blocked: pthread_cancel of threads blocked in poll, select,
// epoll_wait, waitpid, sigwait, sigtimedwait, fcntl(F_SETLKW) and the open
// of a FIFO: each runs its cleanup handler and joins as PTHREAD_CANCELED.
// Whether the target is already blocked when cancelled does not change the
// result (deferred cancellation acts at the call either way); the short
// pause before each cancel only makes the blocked case the usual one. A
// call that missed the request would block forever and the run time out.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/syscall.h>

#include "sync_common.h"

// The forked children make raw system calls only: they stand for another
// process that does not run weft (a fork child of a weft process that
// keeps using weft is outside these tests).
static long raw(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

enum { C_POLL, C_SELECT, C_EPOLL, C_WAITPID, C_SIGWAIT, C_SIGTIMEDWAIT, C_FCNTL, C_OPEN_FIFO, C_KINDS };
static const char* name[C_KINDS] = {"poll", "select", "epoll_wait", "waitpid", "sigwait",
                                    "sigtimedwait", "fcntl F_SETLKW", "open FIFO"};

static int pipefd[2], epfd, go[2];
static pid_t child;
static char lock_path[] = "/tmp/weft_io_cancel_XXXXXX";
static char fifo_path[64];
static atomic_int ready;

static void cleanup(void* a) { printf("  cleanup %s\n", name[(long)a]); }

static void* blocked(void* a) {
  long k = (long)a;
  pthread_cleanup_push(cleanup, a);
  struct pollfd p = {pipefd[0], POLLIN, 0};
  fd_set rs;
  FD_ZERO(&rs);
  FD_SET(pipefd[0], &rs);
  struct epoll_event ev;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  int sig, fd = -1;
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
  if (k == C_FCNTL) fd = open(lock_path, O_RDWR);
  atomic_store(&ready, 1);
  switch (k) {
    case C_POLL: poll(&p, 1, -1); break;
    case C_SELECT: select(pipefd[0] + 1, &rs, NULL, NULL, NULL); break;
    case C_EPOLL: epoll_wait(epfd, &ev, 1, -1); break;
    case C_WAITPID: waitpid(child, NULL, 0); break;
    case C_SIGWAIT: sigwait(&set, &sig); break;
    case C_SIGTIMEDWAIT: sigtimedwait(&set, NULL, NULL); break;
    case C_FCNTL: fcntl(fd, F_SETLKW, &fl); break;
    case C_OPEN_FIFO: open(fifo_path, O_RDONLY); break;
  }
  printf("  %s returned\n", name[k]);
  pthread_cleanup_pop(0);
  return NULL;
}

// A child holding a POSIX lock on lock_path until it reads a byte from go.
static void spawn_child(void) {
  int rd[2];
  SYNC_CHECK(pipe(go) == 0 && pipe(rd) == 0, "pipe");
  child = fork();
  SYNC_CHECK(child >= 0, "fork");
  if (child == 0) {
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    long fd = raw(SYS_open, (long)lock_path, O_RDWR, 0);
    char c;
    if (fd < 0 || raw(SYS_fcntl, fd, F_SETLK, (long)&fl) != 0 ||
        raw(SYS_write, rd[1], (long)"r", 1) != 1)
      raw(SYS_exit_group, 99, 0, 0);
    if (raw(SYS_read, go[0], (long)&c, 1) != 1) raw(SYS_exit_group, 98, 0, 0);
    raw(SYS_exit_group, 0, 0, 0);
  }
  char c;
  SYNC_CHECK(read(rd[0], &c, 1) == 1, "child not ready");
}

int main(void) {
  SYNC_CHECK(pipe(pipefd) == 0, "pipe");
  epfd = epoll_create1(0);
  struct epoll_event ev = {EPOLLIN, {.u32 = 1}};
  epoll_ctl(epfd, EPOLL_CTL_ADD, pipefd[0], &ev);
  int fd = mkstemp(lock_path);
  SYNC_CHECK(fd >= 0, "mkstemp");
  close(fd);
  snprintf(fifo_path, sizeof fifo_path, "%s.fifo", lock_path);
  SYNC_CHECK(mkfifo(fifo_path, 0600) == 0, "mkfifo");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  spawn_child();
  for (long k = 0; k < C_KINDS; k++) {
    printf("%s:\n", name[k]);
    atomic_store(&ready, 0);
    pthread_t t;
    sync_start(&t, blocked, (void*)k, 0);
    while (!atomic_load(&ready)) sched_yield();
    struct timespec pause = {0, 20000000};
    nanosleep(&pause, NULL);
    pthread_cancel(t);
    void* res;
    pthread_join(t, &res);
    printf("  joined: %s\n", res == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "not cancelled");
  }
  SYNC_CHECK(write(go[1], "g", 1) == 1, "write");
  int st;
  SYNC_CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child");
  unlink(fifo_path);
  unlink(lock_path);
  return 0;
}
