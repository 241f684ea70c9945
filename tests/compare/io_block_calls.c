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
      struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
      long fd = raw(SYS_open, (long)path, O_RDWR, 0);
      long r = fd < 0 ? -1
               : kind == L_FLOCK ? raw(SYS_flock, fd, LOCK_EX, 0)
               : raw(SYS_fcntl, fd, kind == L_OFD ? F_OFD_SETLK : F_SETLK, (long)&fl);
      if (r != 0) raw(SYS_exit_group, 99, 0, 0);
    }
    char c;
    if (raw(SYS_write, ready[1], (long)"r", 1) != 1 || raw(SYS_read, go[0], (long)&c, 1) != 1)
      raw(SYS_exit_group, 98, 0, 0);
    raw(SYS_exit_group, exit_code, 0, 0);
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
