/* tests/compare/timer_common.h — helpers of the tests/compare/timer_*
 * programs: notifications that run in threads (timer_create and mq_notify
 * with SIGEV_THREAD), whose callbacks report through counters.
 *
 * Model: as sync_common.h (deterministic output, FAIL on stderr and exit
 * 1). A callback bumps a counter; the main thread waits for a count with a
 * deadline (CLOCK_MONOTONIC), which only a broken run reaches. Checks that
 * something does NOT happen wait a bounded time for it. */
#ifndef WEFT_TESTS_COMPARE_TIMER_COMMON_H
#define WEFT_TESTS_COMPARE_TIMER_COMMON_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>

#include "sync_common.h"

#define TM_MS 1000000LL
#define TM_SEC 1000000000LL
/* How long a wait for something that must happen may take. */
#define TM_PATIENCE (20 * TM_SEC)

struct tm_count {
  pthread_mutex_t m;
  pthread_cond_t c;
  int n;
};
#define TM_COUNT_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0}

/* Adds one; returns the new count. */
static inline int tm_bump(struct tm_count* k) {
  pthread_mutex_lock(&k->m);
  int v = ++k->n;
  pthread_cond_broadcast(&k->c);
  pthread_mutex_unlock(&k->m);
  return v;
}

static inline int tm_get(struct tm_count* k) {
  pthread_mutex_lock(&k->m);
  int v = k->n;
  pthread_mutex_unlock(&k->m);
  return v;
}

static inline void tm_set(struct tm_count* k, int v) {
  pthread_mutex_lock(&k->m);
  k->n = v;
  pthread_cond_broadcast(&k->c);
  pthread_mutex_unlock(&k->m);
}

/* Waits until the count is at least `target` or `ns` have passed; returns
 * the count. */
static inline int tm_wait(struct tm_count* k, int target, long long ns) {
  struct timespec end = sync_deadline(CLOCK_MONOTONIC, ns);
  pthread_mutex_lock(&k->m);
  while (k->n < target &&
         pthread_cond_clockwait(&k->c, &k->m, CLOCK_MONOTONIC, &end) != ETIMEDOUT) {
  }
  int v = k->n;
  pthread_mutex_unlock(&k->m);
  return v;
}

/* Waits for a count that must come. */
static inline void tm_expect(struct tm_count* k, int target, const char* what) {
  int v = tm_wait(k, target, TM_PATIENCE);
  SYNC_CHECK(v >= target, "%s: %d of %d", what, v, target);
}

/* A timer on clock c that runs fn(value) in a new thread at each expiry. */
static inline timer_t tm_thread_timer(clockid_t c, void (*fn)(union sigval), void* ptr,
                                      pthread_attr_t* attr) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = fn;
  ev.sigev_value.sival_ptr = ptr;
  ev.sigev_notify_attributes = attr;
  timer_t t;
  SYNC_CHECK(timer_create(c, &ev, &t) == 0, "timer_create: %s", strerror(errno));
  return t;
}

static inline struct itimerspec tm_spec(long long value_ns, long long interval_ns) {
  struct itimerspec s;
  s.it_value = sync_ts(value_ns);
  s.it_interval = sync_ts(interval_ns);
  return s;
}

static inline void tm_arm(timer_t t, int flags, long long value_ns, long long interval_ns) {
  struct itimerspec s = tm_spec(value_ns, interval_ns);
  SYNC_CHECK(timer_settime(t, flags, &s, NULL) == 0, "timer_settime: %s", strerror(errno));
}

static inline long long tm_ns(struct timespec t) { return t.tv_sec * TM_SEC + t.tv_nsec; }

#endif /* WEFT_TESTS_COMPARE_TIMER_COMMON_H */
