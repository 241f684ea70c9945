/* tests/compare/live_join_detached.c — joining a detached thread gives
 * EINVAL, whether it is still running or has just exited (its stack still
 * cached, as NPTL keeps its latest stacks), and never crashes or hangs.
 *
 * Round 1: each of 10,000 detached threads posts a semaphore as its last
 * act; the main thread waits for it, so the thread is exiting or gone, and
 * joins it. Round 2: the main thread joins each right after creating it
 * (it may not have run yet), then waits for its post. pthread_tryjoin_np
 * and pthread_detach of a just-exited detached thread give EINVAL too.
 * Prints how many calls gave each result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

#include "sync_common.h"

#define THREADS 10000

static sem_t exited;

static void *post_and_exit(void *arg) {
  sem_post(&exited);
  return arg;
}

static pthread_t start_detached(void) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 64 * 1024);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_t t;
  int r = pthread_create(&t, &a, post_and_exit, NULL);
  SYNC_CHECK(r == 0, "pthread_create: %s", strerror(r));
  pthread_attr_destroy(&a);
  return t;
}

static void wait_exited(void) {
  while (sem_wait(&exited) != 0) SYNC_CHECK(errno == EINTR, "sem_wait");
}

/* Counts results: EINVAL, and anything else. */
struct tally {
  long einval, other;
  int first_other;
};

static void count(struct tally *t, int r) {
  if (r == EINVAL) {
    t->einval++;
  } else if (t->other++ == 0) {
    t->first_other = r;
  }
}

static void report(const char *what, const struct tally *t) {
  printf("%s: %ld EINVAL", what, t->einval);
  if (t->other) printf(", %ld other (first %s)", t->other, strerror(t->first_other));
  printf("\n");
}

int main(void) {
  sem_init(&exited, 0, 0);
  struct tally after_exit = {0}, at_once = {0}, tryjoin = {0}, detach = {0};

  for (int i = 0; i < THREADS; i++) {
    pthread_t t = start_detached();
    wait_exited();
    count(&after_exit, pthread_join(t, NULL));
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_t t = start_detached();
    count(&at_once, pthread_join(t, NULL));
    wait_exited();
  }
  /* A thread that posted may still be on its way out: tryjoin answers
   * EBUSY until it is gone, then EINVAL. */
  for (int i = 0; i < 100; i++) {
    pthread_t t = start_detached();
    wait_exited();
    int r;
    while ((r = pthread_tryjoin_np(t, NULL)) == EBUSY) sched_yield();
    count(&tryjoin, r);
    count(&detach, pthread_detach(t));
  }

  report("join after exit", &after_exit);
  report("join at once", &at_once);
  report("tryjoin after exit", &tryjoin);
  report("detach after exit", &detach);
  sem_destroy(&exited);
  return 0;
}
