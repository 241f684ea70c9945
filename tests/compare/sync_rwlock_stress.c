/* tests/compare/sync_rwlock_stress.c — readers and writers on one rwlock, for
 * each rwlock kind; the threads check the invariants themselves.
 *
 * Writers set every slot of a table to a new version number and count the
 * writes (a plain counter: only exclusive access keeps it exact). Inside
 * their critical sections readers check that all slots are equal and that no
 * writer is inside; writers check that nobody else is inside. Readers and
 * writers rotate through the blocking, try (with yield), timed (CLOCK_REALTIME)
 * and clock (CLOCK_MONOTONIC) variants; for the kinds that allow it, readers
 * sometimes take the read lock twice.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "sync_common.h"

#define SLOTS 32
#define READERS 400
#define WRITERS 40
#define READER_ITERS 3000
#define WRITER_ITERS 500

struct shared {
  int kind;
  pthread_rwlock_t l;
  long slots[SLOTS];
  long writes;
  atomic_int readers_in, writers_in;
  atomic_long torn, overlap, errors;
  struct sync_gate gate;
};

static int read_lock(struct shared* s, int how) {
  struct timespec d;
  int r;
  switch (how % 4) {
    case 0:
      return pthread_rwlock_rdlock(&s->l);
    case 1:
      while ((r = pthread_rwlock_tryrdlock(&s->l)) == EBUSY) sched_yield();
      return r;
    case 2:
      d = sync_deadline(CLOCK_REALTIME, SYNC_FAR_NS);
      return pthread_rwlock_timedrdlock(&s->l, &d);
    default:
      d = sync_deadline(CLOCK_MONOTONIC, SYNC_FAR_NS);
      return pthread_rwlock_clockrdlock(&s->l, CLOCK_MONOTONIC, &d);
  }
}

static int write_lock(struct shared* s, int how) {
  struct timespec d;
  int r;
  switch (how % 4) {
    case 0:
      return pthread_rwlock_wrlock(&s->l);
    case 1:
      while ((r = pthread_rwlock_trywrlock(&s->l)) == EBUSY) sched_yield();
      return r;
    case 2:
      d = sync_deadline(CLOCK_REALTIME, SYNC_FAR_NS);
      return pthread_rwlock_timedwrlock(&s->l, &d);
    default:
      d = sync_deadline(CLOCK_MONOTONIC, SYNC_FAR_NS);
      return pthread_rwlock_clockwrlock(&s->l, CLOCK_MONOTONIC, &d);
  }
}

struct role {
  struct shared* s;
  int index;
};

static void* reader(void* arg) {
  struct role* r = arg;
  struct shared* s = r->s;
  int nested_ok = s->kind != PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
  sync_gate_arrive(&s->gate);
  for (int k = 0; k < READER_ITERS; ++k) {
    if (read_lock(s, r->index + k) != 0) {
      atomic_fetch_add(&s->errors, 1);
      continue;
    }
    int twice = nested_ok && (k % 7 == 0);
    if (twice && pthread_rwlock_rdlock(&s->l) != 0) atomic_fetch_add(&s->errors, 1);
    atomic_fetch_add(&s->readers_in, 1);
    if (atomic_load(&s->writers_in) != 0) atomic_fetch_add(&s->overlap, 1);
    long v = s->slots[0];
    for (int i = 1; i < SLOTS; ++i)
      if (s->slots[i] != v) atomic_fetch_add(&s->torn, 1);
    atomic_fetch_sub(&s->readers_in, 1);
    if (twice) pthread_rwlock_unlock(&s->l);
    if (pthread_rwlock_unlock(&s->l) != 0) atomic_fetch_add(&s->errors, 1);
  }
  return NULL;
}

static void* writer(void* arg) {
  struct role* r = arg;
  struct shared* s = r->s;
  sync_gate_arrive(&s->gate);
  for (int k = 0; k < WRITER_ITERS; ++k) {
    if (write_lock(s, r->index + k) != 0) {
      atomic_fetch_add(&s->errors, 1);
      continue;
    }
    if (atomic_fetch_add(&s->writers_in, 1) != 0 || atomic_load(&s->readers_in) != 0)
      atomic_fetch_add(&s->overlap, 1);
    long v = ++s->writes;
    for (int i = 0; i < SLOTS; ++i) s->slots[i] = v;
    atomic_fetch_sub(&s->writers_in, 1);
    if (pthread_rwlock_unlock(&s->l) != 0) atomic_fetch_add(&s->errors, 1);
  }
  return NULL;
}

static void run(const char* name, int kind) {
  static struct shared s;
  static struct role roles[READERS + WRITERS];
  static pthread_t ts[READERS + WRITERS];
  s = (struct shared){.kind = kind};
  pthread_rwlockattr_t a;
  pthread_rwlockattr_init(&a);
  pthread_rwlockattr_setkind_np(&a, kind);
  SYNC_CHECK(pthread_rwlock_init(&s.l, &a) == 0, "rwlock_init");
  pthread_rwlockattr_destroy(&a);
  sync_gate_init(&s.gate, READERS + WRITERS);

  for (int i = 0; i < READERS + WRITERS; ++i) {
    roles[i] = (struct role){&s, i};
    sync_start(&ts[i], i < READERS ? reader : writer, &roles[i], 0);
  }
  sync_gate_open(&s.gate, NULL);
  for (int i = 0; i < READERS + WRITERS; ++i) sync_join(ts[i]);
  sync_gate_destroy(&s.gate);

  SYNC_CHECK(atomic_load(&s.errors) == 0, "%s: %ld lock errors", name, atomic_load(&s.errors));
  SYNC_CHECK(atomic_load(&s.torn) == 0, "%s: readers saw %ld torn tables", name,
             atomic_load(&s.torn));
  SYNC_CHECK(atomic_load(&s.overlap) == 0, "%s: %ld exclusion violations", name,
             atomic_load(&s.overlap));
  SYNC_CHECK(s.writes == (long)WRITERS * WRITER_ITERS, "%s: %ld writes, expected %ld", name,
             s.writes, (long)WRITERS * WRITER_ITERS);
  SYNC_CHECK(pthread_rwlock_trywrlock(&s.l) == 0, "%s: lock left held", name);
  pthread_rwlock_unlock(&s.l);
  pthread_rwlock_destroy(&s.l);
  printf("%s: %d readers x %d, %d writers x %d, %ld writes, invariants held\n", name, READERS,
         READER_ITERS, WRITERS, WRITER_ITERS, s.writes);
  fflush(stdout);
}

int main(void) {
  run("prefer reader", PTHREAD_RWLOCK_PREFER_READER_NP);
  run("prefer writer", PTHREAD_RWLOCK_PREFER_WRITER_NP);
  run("prefer writer nonrecursive", PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  return 0;
}
