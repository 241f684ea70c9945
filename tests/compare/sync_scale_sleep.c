/* tests/compare/sync_scale_sleep.c — 100,000 threads asleep at the same time
 * in nanosleep / clock_nanosleep, all of which must wake, none early.
 *
 * The threads are created first and held at a condvar gate, then released
 * together; each one takes its start time, announces itself on a semaphore,
 * and sleeps 1 s — by relative nanosleep, relative clock_nanosleep on
 * CLOCK_MONOTONIC, or TIMER_ABSTIME clock_nanosleep to start + 1 s, in turn.
 * Once every thread has announced itself, the main thread checks (under weft)
 * that the process has at most SYNC_MAX_KERNEL_TASKS kernel threads: sleeping
 * Gs sit on timer heaps, not in kernel threads. Every thread then checks it
 * did not wake before its time; the main thread counts the wake-ups.
 *
 * Natively the size is capped at 5,000 threads (the output does not show
 * it). Threads get 64 KiB stacks to bound memory at the full size.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sync_common.h"

#define SLEEP_NS 1000000000LL

static struct sync_gate gate;
static sem_t announced;
static atomic_long woke, early, errors;

static void* sleeper(void* arg) {
  long i = (long)arg;
  sync_gate_arrive(&gate);
  long long start = sync_now_ns(CLOCK_MONOTONIC);
  sem_post(&announced);
  int r;
  struct timespec ts;
  switch (i % 3) {
    case 0:
      ts = sync_ts(SLEEP_NS);
      r = nanosleep(&ts, NULL) == 0 ? 0 : errno;
      break;
    case 1:
      ts = sync_ts(SLEEP_NS);
      r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
      break;
    default:
      ts = sync_ts(start + SLEEP_NS);
      r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
      break;
  }
  if (r != 0) atomic_fetch_add(&errors, 1);
  if (sync_now_ns(CLOCK_MONOTONIC) - start < SLEEP_NS) atomic_fetch_add(&early, 1);
  atomic_fetch_add(&woke, 1);
  return NULL;
}

int main(void) {
  long n = sync_scaled(100000, 5000);
  pthread_t* ts = calloc(n, sizeof *ts);
  SYNC_CHECK(ts != NULL, "calloc");
  sync_gate_init(&gate, n);
  sem_init(&announced, 0, 0);
  for (long i = 0; i < n; ++i) sync_start(&ts[i], sleeper, (void*)i, 64 * 1024);

  sync_gate_open(&gate, NULL);
  for (long i = 0; i < n; ++i) SYNC_CHECK(sem_wait(&announced) == 0, "sem_wait");
  sync_check_kernel_tasks("all threads sleeping");
  printf("sleepers: all started their sleep\n");
  fflush(stdout);

  for (long i = 0; i < n; ++i) sync_join(ts[i]);
  free(ts);
  SYNC_CHECK(atomic_load(&errors) == 0, "%ld sleeps failed", atomic_load(&errors));
  SYNC_CHECK(atomic_load(&early) == 0, "%ld sleepers woke early", atomic_load(&early));
  SYNC_CHECK(atomic_load(&woke) == n, "%ld of %ld woke", atomic_load(&woke), n);
  sync_check_kernel_tasks("after the wake-ups");
  printf("sleepers: every one woke, none before its time\n");
  sem_destroy(&announced);
  sync_gate_destroy(&gate);
  return 0;
}
