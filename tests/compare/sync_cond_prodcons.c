/* tests/compare/sync_cond_prodcons.c — producers and consumers over a bounded
 * buffer guarded by one mutex and two condition variables.
 *
 * Every item is a unique number; each consumer marks the items it takes in a
 * shared table. At the end every item must be marked exactly once (nothing
 * lost, nothing duplicated) and the sums must match. Waiters mix
 * pthread_cond_wait, pthread_cond_timedwait (CLOCK_REALTIME) and
 * pthread_cond_clockwait (CLOCK_MONOTONIC) with short deadlines, so timeouts
 * race with signals; a timeout only sends the waiter round its loop.
 *
 * Phase 1: 500 producers + 500 consumers (1,000 threads), 500,000 items,
 * pthread_cond_signal. Phase 2: 100 + 100 threads, 50,000 items, waking with
 * pthread_cond_broadcast.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync_common.h"

#define CAPACITY 64

struct phase {
  const char* name;
  int producers, consumers, per_producer;
  int use_broadcast;

  pthread_mutex_t m;
  pthread_cond_t not_empty, not_full;
  int buf[CAPACITY];
  int head, count;
  int done;               /* producers finished: consumers drain and leave */

  atomic_uchar* seen;     /* per item: how many times it was consumed */
  atomic_llong consumed_sum;
  atomic_long consumed, timeouts, errors;
};

struct role {
  struct phase* p;
  int index;
};

/* Waits on `c` in one of three ways chosen by `how`; returns 0, ETIMEDOUT or
 * an unexpected error. */
static int wait_some_way(pthread_cond_t* c, pthread_mutex_t* m, int how) {
  switch (how % 3) {
    case 0:
      return pthread_cond_wait(c, m);
    case 1: {
      struct timespec d = sync_deadline(CLOCK_REALTIME, 2000000);
      return pthread_cond_timedwait(c, m, &d);
    }
    default: {
      struct timespec d = sync_deadline(CLOCK_MONOTONIC, 2000000);
      return pthread_cond_clockwait(c, m, CLOCK_MONOTONIC, &d);
    }
  }
}

static void wake(struct phase* p, pthread_cond_t* c) {
  if (p->use_broadcast)
    pthread_cond_broadcast(c);
  else
    pthread_cond_signal(c);
}

static void note_wait(struct phase* p, int r) {
  if (r == ETIMEDOUT)
    atomic_fetch_add(&p->timeouts, 1);
  else if (r != 0)
    atomic_fetch_add(&p->errors, 1);
}

static void* producer(void* arg) {
  struct role* r = arg;
  struct phase* p = r->p;
  for (int k = 0; k < p->per_producer; ++k) {
    int item = r->index * p->per_producer + k;
    pthread_mutex_lock(&p->m);
    while (p->count == CAPACITY) note_wait(p, wait_some_way(&p->not_full, &p->m, r->index + k));
    p->buf[(p->head + p->count) % CAPACITY] = item;
    p->count++;
    wake(p, &p->not_empty);
    pthread_mutex_unlock(&p->m);
  }
  return NULL;
}

static void* consumer(void* arg) {
  struct role* r = arg;
  struct phase* p = r->p;
  int turn = r->index;
  for (;;) {
    pthread_mutex_lock(&p->m);
    while (p->count == 0 && !p->done) note_wait(p, wait_some_way(&p->not_empty, &p->m, turn++));
    if (p->count == 0) { /* done and drained */
      pthread_mutex_unlock(&p->m);
      return NULL;
    }
    int item = p->buf[p->head];
    p->head = (p->head + 1) % CAPACITY;
    p->count--;
    wake(p, &p->not_full);
    pthread_mutex_unlock(&p->m);

    atomic_fetch_add(&p->seen[item], 1);
    atomic_fetch_add(&p->consumed_sum, item);
    atomic_fetch_add(&p->consumed, 1);
  }
}

static void run(struct phase* p) {
  long total = (long)p->producers * p->per_producer;
  p->seen = calloc(total, sizeof *p->seen);
  SYNC_CHECK(p->seen != NULL, "calloc");
  pthread_mutex_init(&p->m, NULL);
  pthread_cond_init(&p->not_empty, NULL);
  pthread_cond_init(&p->not_full, NULL);

  int n = p->producers + p->consumers;
  pthread_t* ts = calloc(n, sizeof *ts);
  struct role* roles = calloc(n, sizeof *roles);
  SYNC_CHECK(ts && roles, "calloc");
  for (int i = 0; i < p->consumers; ++i) {
    roles[i] = (struct role){p, i};
    sync_start(&ts[i], consumer, &roles[i], 0);
  }
  for (int i = 0; i < p->producers; ++i) {
    roles[p->consumers + i] = (struct role){p, i};
    sync_start(&ts[p->consumers + i], producer, &roles[p->consumers + i], 0);
  }
  for (int i = p->consumers; i < n; ++i) sync_join(ts[i]);
  pthread_mutex_lock(&p->m);
  p->done = 1;
  pthread_cond_broadcast(&p->not_empty);
  pthread_mutex_unlock(&p->m);
  for (int i = 0; i < p->consumers; ++i) sync_join(ts[i]);

  long lost = 0, dup = 0;
  for (long i = 0; i < total; ++i) {
    unsigned char s = atomic_load(&p->seen[i]);
    if (s == 0) lost++;
    if (s > 1) dup++;
  }
  long long want_sum = (long long)total * (total - 1) / 2;
  SYNC_CHECK(atomic_load(&p->errors) == 0, "%s: %ld wait errors", p->name,
             atomic_load(&p->errors));
  SYNC_CHECK(lost == 0 && dup == 0, "%s: %ld lost, %ld duplicated", p->name, lost, dup);
  SYNC_CHECK(atomic_load(&p->consumed) == total, "%s: consumed %ld of %ld", p->name,
             atomic_load(&p->consumed), total);
  SYNC_CHECK(atomic_load(&p->consumed_sum) == want_sum, "%s: checksum %lld, expected %lld",
             p->name, (long long)atomic_load(&p->consumed_sum), want_sum);
  SYNC_CHECK(p->count == 0, "%s: %d items left in the buffer", p->name, p->count);
  printf("%s: %d producers, %d consumers, %ld items, checksum %lld, none lost or duplicated\n",
         p->name, p->producers, p->consumers, total, want_sum);
  fflush(stdout);
  free(ts);
  free(roles);
  free(p->seen);
  pthread_cond_destroy(&p->not_full);
  pthread_cond_destroy(&p->not_empty);
  pthread_mutex_destroy(&p->m);
}

int main(void) {
  static struct phase signal_phase = {"signal", 500, 500, 1000, 0};
  static struct phase broadcast_phase = {"broadcast", 100, 100, 500, 1};
  run(&signal_phase);
  run(&broadcast_phase);
  return 0;
}
