/* tests/compare/proc_common.h — helpers shared by the tests/compare/proc_*
 * programs (fork, exec, spawning, credentials).
 *
 * Each program prints only lines that are the same natively and under weft
 * and exits 0; a broken invariant prints "FAIL: ..." on stderr and exits 1.
 * Work that must not disturb the test process (dropping root, exec) runs in
 * a child, whose end the parent prints. Threads that must stay alive park
 * in one of three ways: on a condition variable (a weft wait), in pause()
 * (a system call that holds a kernel thread under weft, so the process has
 * several), or in a blocking pipe read (weft's netpoller).
 */
#ifndef WEFT_TESTS_COMPARE_PROC_COMMON_H
#define WEFT_TESTS_COMPARE_PROC_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static inline void proc_die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("FAIL: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  fflush(stdout);
  _exit(1);
}

#define PROC_CHECK(cond, ...) \
  do {                        \
    if (!(cond)) proc_die(__VA_ARGS__); \
  } while (0)

/* ---- threads kept alive -------------------------------------------------- */

static pthread_mutex_t proc_park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t proc_park_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t proc_parked_cond = PTHREAD_COND_INITIALIZER;
static int proc_release, proc_parked;
static int proc_pipe[2] = {-1, -1};

static void* proc_park_main(void* arg) {
  pthread_mutex_lock(&proc_park_lock);
  proc_parked++;
  pthread_cond_broadcast(&proc_parked_cond);
  while (!proc_release) pthread_cond_wait(&proc_park_cond, &proc_park_lock);
  pthread_mutex_unlock(&proc_park_lock);
  return arg;
}

static void* proc_pause_main(void* arg) {
  pthread_mutex_lock(&proc_park_lock);
  proc_parked++;
  pthread_cond_broadcast(&proc_parked_cond);
  pthread_mutex_unlock(&proc_park_lock);
  for (;;) pause();
  return arg;
}

static void* proc_read_main(void* arg) {
  pthread_mutex_lock(&proc_park_lock);
  proc_parked++;
  pthread_cond_broadcast(&proc_parked_cond);
  pthread_mutex_unlock(&proc_park_lock);
  char c;
  while (read(proc_pipe[0], &c, 1) < 0 && errno == EINTR) {
  }
  return arg;
}

/* Starts n threads of the given kind (detached) and waits until they all
 * have started: condvar ones are then parked or about to be. */
static inline void proc_start(int n, void* (*fn)(void*)) {
  if (fn == proc_read_main && proc_pipe[0] < 0) PROC_CHECK(pipe(proc_pipe) == 0, "pipe");
  pthread_mutex_lock(&proc_park_lock);
  int want = proc_parked + n;
  pthread_mutex_unlock(&proc_park_lock);
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  for (int i = 0; i < n; i++) {
    pthread_t t;
    int err = pthread_create(&t, &a, fn, NULL);
    PROC_CHECK(err == 0, "pthread_create: %s", strerror(err));
  }
  pthread_attr_destroy(&a);
  pthread_mutex_lock(&proc_park_lock);
  while (proc_parked < want) pthread_cond_wait(&proc_parked_cond, &proc_park_lock);
  pthread_mutex_unlock(&proc_park_lock);
}

/* The usual mix of 100 live threads: 80 parked on a condvar, 10 in pause(),
 * 10 blocked reading a pipe. */
static inline void proc_start_hundred(void) {
  proc_start(80, proc_park_main);
  proc_start(10, proc_pause_main);
  proc_start(10, proc_read_main);
}

/* ---- children -------------------------------------------------------------- */

/* Waits for pid and prints "<what>: exit N" or "<what>: signal N". */
static inline void proc_report_child(const char* what, pid_t pid) {
  int st;
  pid_t r;
  while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {
  }
  PROC_CHECK(r == pid, "waitpid: %s", strerror(errno));
  if (WIFEXITED(st))
    printf("%s: exit %d\n", what, WEXITSTATUS(st));
  else
    printf("%s: signal %d\n", what, WTERMSIG(st));
  fflush(stdout);
}

/* Entries of /proc/self/task: the kernel tasks of this process. */
static inline int proc_task_count(void) {
  DIR* d = opendir("/proc/self/task");
  PROC_CHECK(d != NULL, "opendir /proc/self/task");
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

#endif
