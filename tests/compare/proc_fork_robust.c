/* proc_fork_robust: robust mutexes across fork(), forked by a thread other
 * than main with other threads alive. The forking thread holds a
 * process-shared robust mutex A while it forks. In the child: a robust
 * mutex that a new thread locked and left on exit gives EOWNERDEAD; the
 * forking thread, first thing, locks another process-shared robust mutex B
 * (with the kernel's new tid: not the one it locked A with) and the child
 * exits holding it, so the parent's lock of B gives EOWNERDEAD; A (held by
 * the parent's thread) is busy. A second child locks A and exits
 * holding it: the parent gets EOWNERDEAD for A.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "proc_common.h"

static pthread_mutex_t priv;
static pthread_mutex_t* shared; /* [0] = A, [1] = B */

static void* lock_and_leave(void* arg) {
  pthread_mutex_lock(&priv);
  return arg;
}

static void* forker(void* arg) {
  pthread_mutex_lock(&shared[0]);
  fflush(stdout);
  pid_t p = fork();
  PROC_CHECK(p >= 0, "fork");
  if (p == 0) {
    pthread_t t;
    pthread_create(&t, NULL, lock_and_leave, NULL);
    pthread_join(t, NULL);
    int r = pthread_mutex_lock(&priv);
    printf("child: lock left by an exited thread: %s\n", strerror(r));
    if (r == EOWNERDEAD) pthread_mutex_consistent(&priv);
    pthread_mutex_unlock(&priv);
    printf("child: lock B: %s\n", strerror(pthread_mutex_lock(&shared[1])));
    printf("child: trylock A (the parent's): %s\n", strerror(pthread_mutex_trylock(&shared[0])));
    fflush(stdout);
    _exit(0); /* holding B */
  }
  proc_report_child("child", p);
  int r = pthread_mutex_lock(&shared[1]);
  printf("parent: lock B: %s\n", strerror(r));
  if (r == EOWNERDEAD) pthread_mutex_consistent(&shared[1]);
  pthread_mutex_unlock(&shared[1]);
  pthread_mutex_unlock(&shared[0]);

  fflush(stdout);
  p = fork();
  PROC_CHECK(p >= 0, "fork");
  if (p == 0) {
    proc_start(5, proc_park_main);
    printf("child 2: lock A: %s\n", strerror(pthread_mutex_lock(&shared[0])));
    fflush(stdout);
    _exit(0); /* holding A */
  }
  proc_report_child("child 2", p);
  r = pthread_mutex_lock(&shared[0]);
  printf("parent: lock A: %s\n", strerror(r));
  if (r == EOWNERDEAD) pthread_mutex_consistent(&shared[0]);
  pthread_mutex_unlock(&shared[0]);
  return arg;
}

int main(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&priv, &a);
  shared = mmap(NULL, 2 * sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  PROC_CHECK(shared != MAP_FAILED, "mmap");
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&shared[0], &a);
  pthread_mutex_init(&shared[1], &a);
  pthread_mutexattr_destroy(&a);
  proc_start_hundred();
  pthread_t t;
  pthread_create(&t, NULL, forker, NULL);
  pthread_join(t, NULL);
  return 0;
}
