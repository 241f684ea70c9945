/* tests/compare/life_tls_migrate.c — `__thread` variables and errno keep
 * their per-thread values while many threads loop on sched_yield.
 *
 * The trap: the compiler computes the address of a `__thread` variable (the
 * thread pointer plus an offset) and of errno (__errno_location is declared
 * const) once and reuses it across calls. Under weft a thread may resume on
 * another kernel thread after each sched_yield; if its thread pointer were the
 * kernel thread's, the cached addresses would name another thread's variables.
 * Each of THREADS threads stamps its own values, yields ROUNDS times and after
 * every yield checks the values through freshly computed and cached addresses
 * alike, plus pthread_self(). The threads start together (a gate) so that the
 * yields interleave.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "life_common.h"

#define THREADS 64
#define ROUNDS 3000

static __thread long tls_counter = 7;     /* .tdata: starts at 7 in every thread */
static __thread char tls_name[32];        /* .tbss: starts zeroed */
static __thread const void *tls_self_addr; /* where this thread saw tls_counter */

static struct sync_gate gate;
static atomic_long bad_initial, bad_after_yield;

/* Not inlined, so that it recomputes the address on each call. */
__attribute__((noinline)) static long *counter_addr(void) { return &tls_counter; }

static void *worker(void *arg) {
  long id = (long)arg;
  int zero = 1;
  for (size_t i = 0; i < sizeof tls_name; i++) zero &= tls_name[i] == 0;
  if (tls_counter != 7 || !zero || tls_self_addr != NULL) atomic_fetch_add(&bad_initial, 1);

  long *cached = &tls_counter;
  int *cached_errno = &errno;
  tls_self_addr = cached;
  snprintf(tls_name, sizeof tls_name, "worker-%ld", id);
  char expect_name[32];
  snprintf(expect_name, sizeof expect_name, "worker-%ld", id);
  pthread_t self = pthread_self();
  const int my_errno = 1000 + (int)id;
  tls_counter = id * 1000000;

  sync_gate_arrive(&gate);
  long bad = 0;
  for (int r = 0; r < ROUNDS; r++) {
    errno = my_errno;
    sched_yield();
    bad += errno != my_errno;
    bad += *cached_errno != my_errno;
    bad += cached_errno != &errno;
    bad += tls_counter != id * 1000000 + r;
    bad += *cached != tls_counter;
    bad += counter_addr() != cached;
    bad += tls_self_addr != cached;
    bad += strcmp(tls_name, expect_name) != 0;
    bad += !pthread_equal(self, pthread_self());
    tls_counter++;
  }
  atomic_fetch_add(&bad_after_yield, bad);
  return NULL;
}

int main(void) {
  sync_gate_init(&gate, THREADS);
  pthread_t t[THREADS];
  for (long i = 0; i < THREADS; i++) sync_start(&t[i], worker, (void *)i, 0);
  sync_gate_open(&gate, NULL);
  for (int i = 0; i < THREADS; i++) sync_join(t[i]);
  sync_gate_destroy(&gate);

  printf("%d threads x %d yields\n", THREADS, ROUNDS);
  printf("threads starting with wrong TLS: %ld\n", atomic_load(&bad_initial));
  printf("TLS/errno/self mismatches after yields: %ld\n", atomic_load(&bad_after_yield));
  /* The main thread's own copy was never touched by the workers. */
  printf("main's tls_counter: %ld\n", tls_counter);
  return 0;
}
