// io_block_calls: calls that can only wait in the kernel leave the other
// threads running. At WEFT_PROCS=1 a thread blocked in waitpid, flock,
// fcntl(F_SETLKW / F_OFD_SETLKW) or lockf(F_LOCK) must not stop the thread
// that makes the other process finish or release its lock: each waiter is
// blocked (it announced itself) before the releasing thread runs, and the
// releaser only acts after it ran some work of its own.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sync_common.h"

enum { L_FLOCK, L_FCNTL, L_OFD, L_LOCKF, L_KINDS };
static const char* lock_name[L_KINDS] = {"flock", "fcntl F_SETLKW", "fcntl F_OFD_SETLKW",
                                         "lockf F_LOCK"};
static char path[] = "/tmp/weft_io_block_XXXXXX";

static atomic_int waiting, released;
static int go[2];  // the child waits for a byte here
static pid_t child;

static int take_lock(int kind, int fd) {
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
  switch (kind) {
    case L_FLOCK: return flock(fd, LOCK_EX);
    case L_FCNTL: return fcntl(fd, F_SETLKW, &fl);
    case L_OFD: return fcntl(fd, F_OFD_SETLKW, &fl);
    default: return lockf(fd, F_LOCK, 0);
  }
}

static void* releaser(void* a) {
  (void)a;
  while (!atomic_load(&waiting)) sched_yield();
  volatile long sum = 0;
  for (long i = 0; i < 1000000; i++) sum += i;  // its own work
  atomic_store(&released, 1);
  SYNC_CHECK(write(go[1], "g", 1) == 1, "write");
  return NULL;
}

static void* child_waiter(void* a) {
  (void)a;
  int st = 0;
  atomic_store(&waiting, 1);
  pid_t r = waitpid(child, &st, 0);
  printf("waitpid: reaped=%d exit=%d released first=%d\n", r == child, WEXITSTATUS(st),
         atomic_load(&released));
  return NULL;
}

static void* lock_waiter(void* a) {
  int kind = (int)(long)a;
  int fd = open(path, O_RDWR);
  SYNC_CHECK(fd >= 0, "open");
  atomic_store(&waiting, 1);
  int r = take_lock(kind, fd);
  printf("%s: r=%d released first=%d\n", lock_name[kind], r, atomic_load(&released));
  close(fd);
  return NULL;
}

// A child that holds `kind`'s lock on path (or none, -1) until it reads a
// byte from go.
static void spawn_child(int kind, int exit_code) {
  int ready[2];
  SYNC_CHECK(pipe(go) == 0 && pipe(ready) == 0, "pipe");
  child = fork();
  SYNC_CHECK(child >= 0, "fork");
  if (child == 0) {
    if (kind >= 0) {
      int fd = open(path, O_RDWR);
      if (fd < 0 || take_lock(kind, fd) != 0) _exit(99);
    }
    char c;
    if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1) _exit(98);
    _exit(exit_code);
  }
  char c;
  SYNC_CHECK(read(ready[0], &c, 1) == 1, "child not ready");
  close(ready[0]);
  close(ready[1]);
}

static void run(void* (*waiter)(void*), void* arg) {
  atomic_store(&waiting, 0);
  atomic_store(&released, 0);
  pthread_t w, r;
  sync_start(&w, waiter, arg, 0);
  sync_start(&r, releaser, NULL, 0);
  sync_join(w);
  sync_join(r);
  close(go[0]);
  close(go[1]);
}

int main(void) {
  int fd = mkstemp(path);
  SYNC_CHECK(fd >= 0, "mkstemp");
  close(fd);
  spawn_child(-1, 7);
  run(child_waiter, NULL);
  for (int k = 0; k < L_KINDS; k++) {
    spawn_child(k, 0);
    run(lock_waiter, (void*)(long)k);
    int st;
    SYNC_CHECK(waitpid(child, &st, 0) == child && WEXITSTATUS(st) == 0, "child failed");
  }
  unlink(path);
  return 0;
}
