/* tests/compare/live_keys_max.c — a program gets all PTHREAD_KEYS_MAX
 * thread-specific data keys, as under NPTL: the runtime's own per-thread
 * state (the allocator's thread cache) must not use up any of them.
 *
 * The main thread creates keys until pthread_key_create fails and prints
 * how many it got and the error. Then a few threads at a time each set a
 * value of their own in every key, check that they read back only their
 * own, and exit: every key's destructor runs once per thread with that
 * thread's value. A key deleted and created again is usable again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync_common.h"

#define THREADS 8

static pthread_key_t keys[PTHREAD_KEYS_MAX + 1];
static int nkeys;
static atomic_long destructor_calls, destructor_sum, wrong_values;
static struct sync_gate gate;

/* A thread's value for key i: distinct per thread and key, never NULL. */
static uintptr_t value_of(int thread, int i) { return ((uintptr_t)thread << 16) | (uintptr_t)(i + 1); }

static void destructor(void *v) {
  atomic_fetch_add(&destructor_calls, 1);
  atomic_fetch_add(&destructor_sum, (long)(uintptr_t)v);
}

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  for (int i = 0; i < nkeys; i++)
    if (pthread_getspecific(keys[i]) != NULL) atomic_fetch_add(&wrong_values, 1);
  for (int i = 0; i < nkeys; i++) {
    int r = pthread_setspecific(keys[i], (void *)value_of(id, i));
    SYNC_CHECK(r == 0, "pthread_setspecific: %s", strerror(r));
  }
  /* All threads hold their values at once before any checks its own. */
  sync_gate_arrive(&gate);
  for (int i = 0; i < nkeys; i++)
    if (pthread_getspecific(keys[i]) != (void *)value_of(id, i)) atomic_fetch_add(&wrong_values, 1);
  /* Some memory in each thread (the allocator's thread cache is freed at
   * exit by its own per-thread mechanism). */
  free(malloc(64));
  return NULL;
}

static long expected_sum(void) {
  long sum = 0;
  for (int t = 1; t <= THREADS; t++)
    for (int i = 0; i < nkeys; i++) sum += (long)value_of(t, i);
  return sum;
}

int main(void) {
  int err = 0;
  while (nkeys <= PTHREAD_KEYS_MAX) {
    err = pthread_key_create(&keys[nkeys], destructor);
    if (err) break;
    nkeys++;
  }
  printf("keys created: %d (PTHREAD_KEYS_MAX %d), then %s\n", nkeys, PTHREAD_KEYS_MAX,
         err == EAGAIN ? "EAGAIN" : strerror(err));

  /* A deleted key's slot can be had again. */
  SYNC_CHECK(pthread_key_delete(keys[nkeys - 1]) == 0, "pthread_key_delete");
  err = pthread_key_create(&keys[nkeys - 1], destructor);
  printf("create after delete: %s\n", err ? strerror(err) : "OK");
  SYNC_CHECK(err == 0, "pthread_key_create after delete");

  /* The main thread's values are its own too. */
  SYNC_CHECK(pthread_setspecific(keys[0], &nkeys) == 0, "pthread_setspecific in main");

  sync_gate_init(&gate, THREADS);
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) sync_start(&t[i], worker, (void *)(intptr_t)(i + 1), 64 * 1024);
  sync_gate_open(&gate, NULL);
  for (int i = 0; i < THREADS; i++) sync_join(t[i]);
  sync_gate_destroy(&gate);

  printf("%d threads x %d keys: wrong values %ld, destructor calls %ld, values %s\n", THREADS,
         nkeys, atomic_load(&wrong_values), atomic_load(&destructor_calls),
         atomic_load(&destructor_sum) == expected_sum() ? "all seen" : "WRONG");
  printf("main's value kept: %s\n", pthread_getspecific(keys[0]) == &nkeys ? "yes" : "no");
  for (int i = 0; i < nkeys; i++) pthread_key_delete(keys[i]);
  return 0;
}
