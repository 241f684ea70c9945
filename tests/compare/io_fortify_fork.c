// io_fortify_fork: the other ways into the same calls. Built with
// _FORTIFY_SOURCE=2, so read and recv into arrays of known size become
// __read_chk and __recv_chk (200 threads park in them, on few kernel threads
// under weft); syscall(SYS_read / SYS_write / SYS_close) parks and closes
// like the functions; and a child made by fork() while threads were parked
// neither shares nor disturbs the parent's netpoller: it closes the fd a
// parent's thread waits on and reads its own pipe, and the parent's thread
// still gets its data. (Not yet: a child thread that parks needs the
// scheduler's fork support, which does not reset the parent's idle Ms; so
// the child's data is there before the fork.)
#undef _FORTIFY_SOURCE
#define _FORTIFY_SOURCE 2
#define _GNU_SOURCE
#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "sync_common.h"

#define N 200
static int fds[N][2];

static void* chk_reader(void* a) {
  long i = (long)a;
  char buf[16];
  volatile size_t unknown = sizeof(long) + (size_t)(i & 1);  // not provably <= 16: the _chk form
  size_t want = unknown;
  ssize_t r = (i & 1) ? recv(fds[i][0], buf, want - 1, 0) : read(fds[i][0], buf, want);
  long v;
  memcpy(&v, buf, sizeof v);
  SYNC_CHECK(r == sizeof v && v == i + 1000, "chk reader %ld: %zd", i, r);
  return NULL;
}

static void fortified(void) {
  pthread_t t[N];
  for (long i = 0; i < N; i++) {
    SYNC_CHECK(((i & 1) ? socketpair(AF_UNIX, SOCK_STREAM, 0, fds[i]) : pipe(fds[i])) == 0, "fds");
    sync_start(&t[i], chk_reader, (void*)i, 64 * 1024);
  }
  sync_check_kernel_tasks("200 fortified readers");
  for (long i = 0; i < N; i++) {
    long v = i + 1000;
    SYNC_CHECK(write(fds[i][1], &v, sizeof v) == sizeof v, "write");
  }
  for (int i = 0; i < N; i++) {
    sync_join(t[i]);
    close(fds[i][0]);
    close(fds[i][1]);
  }
  printf("%d threads in __read_chk/__recv_chk: each got its data\n", N);
}

static int sp[2];
static void* raw_reader(void* a) {
  (void)a;
  long v = 0;
  long r = syscall(SYS_read, sp[0], &v, sizeof v);
  SYNC_CHECK(r == sizeof v && v == 42, "syscall read %ld", r);
  r = syscall(SYS_write, sp[0], &v, sizeof v);
  SYNC_CHECK(r == sizeof v, "syscall write %ld", r);
  return NULL;
}

static void via_syscall(void) {
  SYNC_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair");
  pthread_t t;
  sync_start(&t, raw_reader, NULL, 0);
  long v = 42;
  SYNC_CHECK(write(sp[1], &v, sizeof v) == sizeof v, "write");
  v = 0;
  SYNC_CHECK(read(sp[1], &v, sizeof v) == sizeof v && v == 42, "echo");
  sync_join(t);
  SYNC_CHECK(syscall(SYS_close, sp[0]) == 0 && syscall(SYS_close, sp[1]) == 0, "syscall close");
  errno = 0;
  SYNC_CHECK(syscall(SYS_close, sp[0]) == -1 && errno == EBADF, "second close");
  printf("syscall(SYS_read/SYS_write/SYS_close): as the functions\n");
}

static int parked[2];
static void* parked_reader(void* a) {
  (void)a;
  char c;
  SYNC_CHECK(read(parked[0], &c, 1) == 1 && c == 'p', "parent's parked reader");
  return NULL;
}

static void forked(void) {
  int to_child[2];
  SYNC_CHECK(pipe(parked) == 0 && pipe(to_child) == 0, "pipe");
  pthread_t t;
  sync_start(&t, parked_reader, NULL, 0);
  for (int i = 0; i < 10; i++) sched_yield();
  SYNC_CHECK(write(to_child[1], "c", 1) == 1, "write to child");
  fflush(stdout);
  pid_t pid = fork();
  SYNC_CHECK(pid >= 0, "fork");
  if (pid == 0) {
    // Closing the fd the parent's thread waits on must not touch the
    // parent's registration (the child shares the file, not the waiting).
    close(parked[0]);
    char c = 0;
    ssize_t r = read(to_child[0], &c, 1);
    _exit(r == 1 && c == 'c' ? 0 : 3);
  }
  int st;
  SYNC_CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
  SYNC_CHECK(write(parked[1], "p", 1) == 1, "write");
  sync_join(t);
  close(parked[0]);
  close(parked[1]);
  close(to_child[0]);
  close(to_child[1]);
  printf("fork while a thread waits: the child reads its pipe, the parent's thread its own\n");
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  fortified();
  via_syscall();
  forked();
  return 0;
}
