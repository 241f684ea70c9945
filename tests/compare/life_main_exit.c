/* tests/compare/life_main_exit.c — pthread_exit from main while other threads
 * still run: the process lives on until the last thread ends, their output
 * appears, and the process exits with status 0 (NPTL's last exiting thread
 * calls exit(0): nptl/pthread_create.c, sysdeps/nptl/libc_start_call_main.h).
 *
 * The main thread's exit runs its cleanup handler, then its key destructor
 * (the last code it runs), which releases the workers. The workers run one
 * after the other (each joins the previous one), so their lines come in a
 * fixed order; they also create threads and take a mutex after main is gone.
 * atexit handlers run once, at the end, and stdio is flushed then.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "life_common.h"

#define WORKERS 8

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int main_gone;
static pthread_t workers[WORKERS];
static atomic_int atexit_runs;

static void at_exit_handler(void) {
  printf("atexit handler (run %d)\n", atomic_fetch_add(&atexit_runs, 1) + 1);
}

static void main_cleanup(void *arg) {
  (void)arg;
  printf("main: cleanup handler\n");
}

static void main_key_dtor(void *arg) {
  (void)arg;
  printf("main: key destructor\n");
  pthread_mutex_lock(&mu);
  main_gone = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

static void *square(void *arg) {
  intptr_t v = (intptr_t)arg;
  return (void *)(v * v);
}

static void *worker(void *arg) {
  intptr_t i = (intptr_t)arg;
  pthread_mutex_lock(&mu);
  while (!main_gone) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  if (i > 0) sync_join(workers[i - 1]);
  pthread_t t;
  sync_start(&t, square, (void *)i, 0);
  void *sq = NULL;
  LIFE_CHECK(pthread_join(t, &sq) == 0, "join");
  printf("worker %d: running after main exited, its thread computed %ld\n", (int)i, (long)(intptr_t)sq);
  return NULL;
}

int main(void) {
  atexit(at_exit_handler);
  pthread_key_t key;
  LIFE_CHECK(pthread_key_create(&key, main_key_dtor) == 0, "key_create");
  pthread_setspecific(key, &key);
  printf("main: starting %d workers\n", WORKERS);
  for (intptr_t i = 0; i < WORKERS; i++) sync_start(&workers[i], worker, (void *)i, 0);
  pthread_cleanup_push(main_cleanup, NULL);
  pthread_exit(NULL);
  pthread_cleanup_pop(0);
  printf("main: after pthread_exit (must not appear)\n");
  return 1;
}
