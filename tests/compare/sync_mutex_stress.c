/* tests/compare/sync_mutex_stress.c — thousands of threads hammer one mutex.
 *
 * Invariants checked, per phase: the plain counter protected by the mutex
 * ends at exactly threads x iterations (a lost update means two threads were
 * inside together), and an atomic "inside" counter, incremented on entry and
 * decremented on exit, is never found non-zero on entry. All threads of a
 * phase are created first and released together from a condvar gate, so they
 * really contend.
 *
 * Phases: 5,000 threads x 1,000 lock/unlock on a default mutex; then
 * 1,000-thread runs on ERRORCHECK, RECURSIVE (taken twice), ADAPTIVE_NP and
 * PRIO_INHERIT mutexes, with trylock+yield loops and with timedlock/clocklock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync_common.h"

enum how { LOCK, TRYLOCK, TIMEDLOCK, CLOCKLOCK, LOCK_TWICE };

struct phase {
  const char* name;
  int type, protocol;
  enum how how;
  int threads, iters;

  pthread_mutex_t m;
  long counter;           /* protected by m */
  atomic_int inside;
  atomic_long overlaps, errors;
  struct sync_gate gate;
};

static int take(struct phase* p) {
  switch (p->how) {
    case LOCK:
      return pthread_mutex_lock(&p->m);
    case LOCK_TWICE: {
      int r = pthread_mutex_lock(&p->m);
      return r ? r : pthread_mutex_lock(&p->m);
    }
    case TRYLOCK: {
      int r;
      while ((r = pthread_mutex_trylock(&p->m)) == EBUSY) sched_yield();
      return r;
    }
    case TIMEDLOCK: {
      struct timespec d = sync_deadline(CLOCK_REALTIME, SYNC_FAR_NS);
      return pthread_mutex_timedlock(&p->m, &d);
    }
    case CLOCKLOCK: {
      struct timespec d = sync_deadline(CLOCK_MONOTONIC, SYNC_FAR_NS);
      return pthread_mutex_clocklock(&p->m, CLOCK_MONOTONIC, &d);
    }
  }
  return EINVAL;
}

static int give(struct phase* p) {
  if (p->how == LOCK_TWICE) {
    int r = pthread_mutex_unlock(&p->m);
    if (r) return r;
  }
  return pthread_mutex_unlock(&p->m);
}

static void* worker(void* arg) {
  struct phase* p = arg;
  sync_gate_arrive(&p->gate);

  for (int i = 0; i < p->iters; ++i) {
    if (take(p) != 0) {
      atomic_fetch_add(&p->errors, 1);
      continue;
    }
    if (atomic_fetch_add(&p->inside, 1) != 0) atomic_fetch_add(&p->overlaps, 1);
    p->counter++;
    atomic_fetch_sub(&p->inside, 1);
    if (give(p) != 0) atomic_fetch_add(&p->errors, 1);
  }
  return NULL;
}

static void run(struct phase* p) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, p->type);
  pthread_mutexattr_setprotocol(&a, p->protocol);
  SYNC_CHECK(pthread_mutex_init(&p->m, &a) == 0, "%s: mutex_init", p->name);
  pthread_mutexattr_destroy(&a);
  sync_gate_init(&p->gate, p->threads);

  pthread_t* ts = calloc(p->threads, sizeof *ts);
  SYNC_CHECK(ts != NULL, "calloc");
  for (int i = 0; i < p->threads; ++i) sync_start(&ts[i], worker, p, 0);

  sync_gate_open(&p->gate, NULL);

  for (int i = 0; i < p->threads; ++i) sync_join(ts[i]);
  free(ts);

  long expect = (long)p->threads * p->iters;
  SYNC_CHECK(atomic_load(&p->errors) == 0, "%s: %ld lock/unlock errors", p->name,
             atomic_load(&p->errors));
  SYNC_CHECK(atomic_load(&p->overlaps) == 0, "%s: %ld overlaps", p->name,
             atomic_load(&p->overlaps));
  SYNC_CHECK(p->counter == expect, "%s: counter %ld, expected %ld", p->name, p->counter, expect);
  SYNC_CHECK(pthread_mutex_trylock(&p->m) == 0, "%s: mutex left locked", p->name);
  pthread_mutex_unlock(&p->m);
  printf("%s: %d threads x %d = %ld, never two inside\n", p->name, p->threads, p->iters,
         p->counter);
  fflush(stdout);
  pthread_mutex_destroy(&p->m);
  sync_gate_destroy(&p->gate);
}

int main(void) {
  static struct phase phases[] = {
      {"default mutex", PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE, LOCK, 5000, 1000},
      {"errorcheck mutex", PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_NONE, LOCK, 1000, 500},
      {"recursive mutex taken twice", PTHREAD_MUTEX_RECURSIVE, PTHREAD_PRIO_NONE, LOCK_TWICE, 1000,
       500},
      {"adaptive mutex", PTHREAD_MUTEX_ADAPTIVE_NP, PTHREAD_PRIO_NONE, LOCK, 1000, 500},
      {"priority-inherit mutex", PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_INHERIT, LOCK, 1000, 50},
      {"trylock with yield", PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE, TRYLOCK, 1000, 200},
      {"timedlock", PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_NONE, TIMEDLOCK, 1000, 300},
      {"clocklock monotonic", PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE, CLOCKLOCK, 1000, 300},
  };
  for (size_t i = 0; i < sizeof phases / sizeof phases[0]; ++i) run(&phases[i]);
  return 0;
}
