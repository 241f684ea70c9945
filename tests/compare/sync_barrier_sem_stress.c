/* tests/compare/sync_barrier_sem_stress.c — pthread barriers and POSIX
 * semaphores with thousands of threads.
 *
 * Barrier: 2,000 threads x 100 rounds; each round exactly one thread gets
 * PTHREAD_BARRIER_SERIAL_THREAD, and no thread leaves a round before all
 * 2,000 have arrived in it (checked by every thread against a per-round
 * arrival count).
 * Semaphore: 2,000 threads x 50 entries through a semaphore of 4 permits,
 * waiting with sem_wait, sem_timedwait (short deadlines, retried on
 * ETIMEDOUT) and sem_clockwait; never more than 4 inside, every entry
 * counted, all permits back at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "sync_common.h"

#define THREADS 2000
#define ROUNDS 100
#define PERMITS 4
#define ENTRIES 50

static pthread_barrier_t barrier;
static atomic_int arrived[ROUNDS], serial[ROUNDS];
static atomic_long early, bad_result;

static void* barrier_worker(void* arg) {
  (void)arg;
  for (int r = 0; r < ROUNDS; ++r) {
    atomic_fetch_add(&arrived[r], 1);
    int res = pthread_barrier_wait(&barrier);
    if (res == PTHREAD_BARRIER_SERIAL_THREAD)
      atomic_fetch_add(&serial[r], 1);
    else if (res != 0)
      atomic_fetch_add(&bad_result, 1);
    if (atomic_load(&arrived[r]) != THREADS) atomic_fetch_add(&early, 1);
  }
  return NULL;
}

static sem_t permits;
static atomic_int inside;
static atomic_long too_many, entries, sem_errors;

static void* sem_worker(void* arg) {
  long i = (long)arg;
  for (int k = 0; k < ENTRIES; ++k) {
    int r;
    switch ((i + k) % 3) {
      case 0:
        r = sem_wait(&permits);
        break;
      case 1:
        do {
          struct timespec d = sync_deadline(CLOCK_REALTIME, 500000);
          r = sem_timedwait(&permits, &d);
        } while (r != 0 && errno == ETIMEDOUT);
        break;
      default:
        do {
          struct timespec d = sync_deadline(CLOCK_MONOTONIC, 500000);
          r = sem_clockwait(&permits, CLOCK_MONOTONIC, &d);
        } while (r != 0 && errno == ETIMEDOUT);
        break;
    }
    if (r != 0) {
      atomic_fetch_add(&sem_errors, 1);
      continue;
    }
    if (atomic_fetch_add(&inside, 1) >= PERMITS) atomic_fetch_add(&too_many, 1);
    atomic_fetch_add(&entries, 1);
    atomic_fetch_sub(&inside, 1);
    if (sem_post(&permits) != 0) atomic_fetch_add(&sem_errors, 1);
  }
  return NULL;
}

static void run_all(void* (*fn)(void*)) {
  static pthread_t ts[THREADS];
  for (long i = 0; i < THREADS; ++i) sync_start(&ts[i], fn, (void*)i, 0);
  for (long i = 0; i < THREADS; ++i) sync_join(ts[i]);
}

int main(void) {
  SYNC_CHECK(pthread_barrier_init(&barrier, NULL, THREADS) == 0, "barrier_init");
  run_all(barrier_worker);
  int one_serial = 0;
  for (int r = 0; r < ROUNDS; ++r) one_serial += atomic_load(&serial[r]) == 1;
  SYNC_CHECK(atomic_load(&bad_result) == 0, "barrier: %ld bad results", atomic_load(&bad_result));
  SYNC_CHECK(atomic_load(&early) == 0, "barrier: %ld early departures", atomic_load(&early));
  SYNC_CHECK(one_serial == ROUNDS, "barrier: %d of %d rounds had one serial thread", one_serial,
             ROUNDS);
  SYNC_CHECK(pthread_barrier_destroy(&barrier) == 0, "barrier_destroy");
  printf("barrier: %d threads x %d rounds, one serial thread per round, none early\n", THREADS,
         ROUNDS);
  fflush(stdout);

  SYNC_CHECK(sem_init(&permits, 0, PERMITS) == 0, "sem_init");
  run_all(sem_worker);
  int v = -1;
  sem_getvalue(&permits, &v);
  SYNC_CHECK(atomic_load(&sem_errors) == 0, "semaphore: %ld errors", atomic_load(&sem_errors));
  SYNC_CHECK(atomic_load(&too_many) == 0, "semaphore: over %d inside %ld times", PERMITS,
             atomic_load(&too_many));
  SYNC_CHECK(atomic_load(&entries) == (long)THREADS * ENTRIES, "semaphore: %ld entries",
             atomic_load(&entries));
  SYNC_CHECK(v == PERMITS, "semaphore: value %d at the end", v);
  printf("semaphore: %d threads x %d entries through %d permits, never more inside\n", THREADS,
         ENTRIES, PERMITS);
  sem_destroy(&permits);
  return 0;
}
