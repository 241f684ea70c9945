/* tests/compare/sync_scale_condwait.c — 10,000 threads blocked in
 * pthread_cond_wait at the same time, then all woken.
 *
 * "All blocked" is exact: each thread counts itself under the mutex before
 * waiting, and pthread_cond_wait releases the mutex only after registering
 * the waiter, so once the main thread holds the mutex and sees the full
 * count, every thread is inside pthread_cond_wait. At that moment, under weft,
 * the process must have at most SYNC_MAX_KERNEL_TASKS kernel threads (the
 * waiters are parked Gs, not kernel threads). Then a broadcast must wake
 * every one (counted), and a second round wakes them one pthread_cond_signal
 * at a time.
 *
 * Natively the size is capped at 5,000 threads (the output does not show it).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "sync_common.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;      /* waiters sleep here */
static pthread_cond_t all_in = PTHREAD_COND_INITIALIZER;  /* main sleeps here */
static long n_threads, waiting, woken, round_no, tokens;
static long errors;

static void* waiter(void* arg) {
  (void)arg;
  pthread_mutex_lock(&m);
  /* Round 1: everyone waits for a broadcast. */
  if (++waiting == n_threads) pthread_cond_signal(&all_in);
  while (round_no == 0)
    if (pthread_cond_wait(&cv, &m) != 0) errors++;
  woken++;
  /* Round 2: wait again; each signal hands out one token. */
  if (++waiting == 2 * n_threads) pthread_cond_signal(&all_in);
  while (tokens == 0)
    if (pthread_cond_wait(&cv, &m) != 0) errors++;
  tokens--;
  woken++;
  if (woken == 2 * n_threads) pthread_cond_signal(&all_in);
  pthread_mutex_unlock(&m);
  return NULL;
}

static void wait_for_waiting(long n) {
  while (waiting < n) pthread_cond_wait(&all_in, &m);
}

int main(void) {
  n_threads = sync_scaled(10000, 5000);
  pthread_t* ts = calloc(n_threads, sizeof *ts);
  SYNC_CHECK(ts != NULL, "calloc");
  for (long i = 0; i < n_threads; ++i) sync_start(&ts[i], waiter, NULL, 0);

  pthread_mutex_lock(&m);
  wait_for_waiting(n_threads);
  sync_check_kernel_tasks("all threads in pthread_cond_wait");
  printf("cond waiters: all blocked in pthread_cond_wait at once\n");
  round_no = 1;
  pthread_cond_broadcast(&cv);
  wait_for_waiting(2 * n_threads);
  SYNC_CHECK(woken == n_threads, "broadcast woke %ld of %ld", woken, n_threads);
  sync_check_kernel_tasks("all threads waiting again");
  printf("cond waiters: one broadcast woke every waiter\n");
  pthread_mutex_unlock(&m);

  /* Round 2: one signal per waiter, one at a time from outside the mutex. */
  for (long i = 0; i < n_threads; ++i) {
    pthread_mutex_lock(&m);
    tokens++;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&m);
  }
  pthread_mutex_lock(&m);
  while (woken < 2 * n_threads) pthread_cond_wait(&all_in, &m);
  pthread_mutex_unlock(&m);
  for (long i = 0; i < n_threads; ++i) sync_join(ts[i]);
  free(ts);
  SYNC_CHECK(errors == 0, "%ld pthread_cond_wait errors", errors);
  SYNC_CHECK(tokens == 0, "%ld tokens left", tokens);
  printf("cond waiters: one signal per waiter woke each exactly once\n");
  return 0;
}
