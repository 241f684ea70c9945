/* tests/compare/life_many_alive.c — 10,000 threads alive at once, each waiting
 * by sched_yield (runnable, not blocked) until an atomic flag is set.
 *
 * Each thread checks that the stack range pthread_getattr_np reports for it
 * holds the address of one of its locals, then announces itself. When all
 * have, the main thread checks — under weft only (WEFT_TEST_UNDER_WEFT) —
 * that the process has at most SYNC_MAX_KERNEL_TASKS kernel threads
 * (/proc/self/task), then sets the flag and joins them all. Threads use the
 * default attributes (8 MiB stacks, as most programs' threads do).
 * Natively 10,000 kernel threads spin on 2 cores: a few seconds.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "life_common.h"

#define THREADS 10000

static atomic_int started, go, bad_stack, getattr_failed;

static void *waiter(void *arg) {
  (void)arg;
  int local = 0;
  pthread_attr_t a;
  if (pthread_getattr_np(pthread_self(), &a) != 0) {
    atomic_fetch_add(&getattr_failed, 1);
  } else {
    void *lo = NULL;
    size_t size = 0;
    pthread_attr_getstack(&a, &lo, &size);
    uintptr_t p = (uintptr_t)&local, b = (uintptr_t)lo;
    if (p < b || p >= b + size) atomic_fetch_add(&bad_stack, 1);
    pthread_attr_destroy(&a);
  }
  atomic_fetch_add(&started, 1);
  while (!atomic_load(&go)) sched_yield();
  return NULL;
}

int main(void) {
  pthread_t *t = malloc(THREADS * sizeof *t);
  LIFE_CHECK(t != NULL, "malloc");
  for (int i = 0; i < THREADS; i++) sync_start(&t[i], waiter, NULL, 0);
  while (atomic_load(&started) < THREADS) sched_yield();
  sync_check_kernel_tasks("10,000 threads alive");
  atomic_store(&go, 1);
  for (int i = 0; i < THREADS; i++) sync_join(t[i]);
  free(t);
  printf("%d threads alive at once\n", THREADS);
  printf("pthread_getattr_np failures: %d\n", atomic_load(&getattr_failed));
  printf("threads whose reported stack misses their locals: %d\n", atomic_load(&bad_stack));
  return 0;
}
