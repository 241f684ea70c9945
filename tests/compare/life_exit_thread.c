/* tests/compare/life_exit_thread.c — exit() from a thread that is not main,
 * while the other threads are blocked or spinning: the atexit handlers run
 * once, stdio is flushed, and the process ends with exit(0). (Were exit to
 * end only the calling thread, main's join would return and the program fail.)
 *
 * The other threads sit in pthread_cond_wait, pthread_mutex_lock (of a mutex
 * the exiting thread holds), sem_wait, pthread_join of a thread that never
 * ends, nanosleep of an hour, and a sched_yield loop; the main thread is in
 * pthread_join of the exiting thread. (A thread blocked in a plain system
 * call such as read() is left to the tests of blocking system calls.) Each announces
 * itself just before blocking; the exiting thread waits for all announcements
 * (a thread may not quite be blocked yet, which changes nothing the program
 * prints).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "life_common.h"

enum { COND, MUTEX, SEM, JOIN, SLEEP, SPIN, KINDS };

static pthread_mutex_t cond_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static sem_t sem;
static pthread_t threads[KINDS];
static atomic_int announced, spin_forever = 1;
static atomic_int atexit_runs;

static void at_exit_handler(void) {
  printf("atexit handler (run %d)\n", atomic_fetch_add(&atexit_runs, 1) + 1);
}

static void *blocker(void *arg) {
  int kind = (int)(intptr_t)arg;
  if (kind == COND) pthread_mutex_lock(&cond_mu);
  atomic_fetch_add(&announced, 1);
  switch (kind) {
    case COND:
      for (;;) pthread_cond_wait(&never, &cond_mu);
    case MUTEX:
      pthread_mutex_lock(&held);
      break;
    case SEM:
      sem_wait(&sem);
      break;
    case JOIN:
      pthread_join(threads[COND], NULL);
      break;
    case SLEEP: {
      struct timespec hour = {3600, 0};
      nanosleep(&hour, NULL);
      break;
    }
    case SPIN:
      while (atomic_load(&spin_forever)) sched_yield();
      break;
  }
  life_die("thread kind %d woke up", kind);
  return NULL;
}

static void *exiter(void *arg) {
  (void)arg;
  pthread_mutex_lock(&held);
  for (int i = 0; i < KINDS; i++) sync_start(&threads[i], blocker, (void *)(intptr_t)i, 0);
  while (atomic_load(&announced) < KINDS) sched_yield();
  printf("exiting from a thread with %d others blocked\n", KINDS + 1);
  exit(0);
}

int main(void) {
  atexit(at_exit_handler);
  LIFE_CHECK(sem_init(&sem, 0, 0) == 0, "sem_init");
  printf("main: starting\n");
  pthread_t t;
  sync_start(&t, exiter, NULL, 0);
  pthread_join(t, NULL);
  life_die("main: join of the exiting thread returned");
  return 1;
}
