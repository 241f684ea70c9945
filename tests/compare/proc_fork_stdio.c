/* proc_fork_stdio: fork by a thread that holds stdout's lock (flockfile)
 * while another thread waits for that lock in printf and a third holds the
 * lock of another stream (issue 11, acceptance 4). In the child glibc has
 * reset every stream lock: it prints to both streams and exits through
 * exit(), which flushes them. In the parent the waiting printf goes on once
 * the forker lets go of stdout.
 */
#define _GNU_SOURCE
#include <sched.h>

#include "proc_common.h"

static FILE* other;
static int waiter_started, other_locked;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int release_other;

static void* waiter(void* arg) {
  __atomic_store_n(&waiter_started, 1, __ATOMIC_RELEASE);
  printf("waiter printed after the forker let go\n");
  return arg;
}

static void* other_holder(void* arg) {
  flockfile(other);
  pthread_mutex_lock(&m);
  other_locked = 1;
  pthread_cond_broadcast(&c);
  while (!release_other) pthread_cond_wait(&c, &m);
  pthread_mutex_unlock(&m);
  funlockfile(other);
  return arg;
}

static void* forker(void* arg) {
  flockfile(stdout);
  pthread_t w;
  pthread_create(&w, NULL, waiter, NULL);
  /* Give the waiter a chance to block on the lock (not needed for the
   * result, only to exercise the case). */
  for (int i = 0; i < 1000 && !__atomic_load_n(&waiter_started, __ATOMIC_ACQUIRE); i++) sched_yield();
  for (int i = 0; i < 100; i++) sched_yield();
  pid_t p = fork();
  PROC_CHECK(p >= 0, "fork");
  if (p == 0) {
    printf("child: stdout usable\n");
    fprintf(other, "child wrote the other stream\n");
    exit(0);
  }
  proc_report_child("forker: child", p);
  funlockfile(stdout);
  pthread_join(w, NULL);
  return arg;
}

int main(void) {
  other = fdopen(dup(1), "w");
  PROC_CHECK(other != NULL, "fdopen");
  setvbuf(other, NULL, _IOFBF, 4096);
  proc_start_hundred();
  pthread_t h, f;
  pthread_create(&h, NULL, other_holder, NULL);
  pthread_mutex_lock(&m);
  while (!other_locked) pthread_cond_wait(&c, &m);
  pthread_mutex_unlock(&m);
  fflush(stdout);
  pthread_create(&f, NULL, forker, NULL);
  pthread_join(f, NULL);
  pthread_mutex_lock(&m);
  release_other = 1;
  pthread_cond_broadcast(&c);
  pthread_mutex_unlock(&m);
  pthread_join(h, NULL);
  printf("end\n");
  return 0;
}
