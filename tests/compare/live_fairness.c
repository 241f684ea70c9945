/* tests/compare/live_fairness.c — threads that wake each other all the time
 * must not starve the others: not sleepers (timers), not queued threads.
 *
 * A ping-pong pair hands a turn back and forth (mutex + condvar, or two
 * semaphores) as fast as it can, so each wake-up readies the other thread
 * at once. Without time slices a pair could keep a processor to itself
 * forever. Checked, each while the pairs run:
 *   - 1 pair + a CPU-bound third thread + the main thread in usleep(200 ms):
 *     both end within a second (natively ~0.2 s);
 *   - 1, 2 and 4 condvar pairs, and 1, 2 and 4 semaphore pairs, with the
 *     main thread in usleep(200 ms): the sleep ends within a second;
 *   - 64 pairs and a thread that counts 1,000 wake-ups of a 1 ms sleep: the
 *     count reaches 1,000 and every pair makes progress.
 * Bounds are generous (a loaded machine is slow, not starving); the lines
 * printed carry no timings.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "sync_common.h"

#define MAX_PAIRS 64
#define SLEEP_BOUND_NS 1000000000LL

enum kind { CONDVAR, SEMAPHORE };

struct pair {
  enum kind kind;
  pthread_mutex_t m;
  pthread_cond_t c;
  int turn;
  sem_t s[2];
  atomic_long rounds;
  atomic_int stop;
  sem_t warm; /* posted once the pair has made 1,000 rounds */
  pthread_t t[2];
};

struct side {
  struct pair* p;
  int me;
};

static struct pair pairs[MAX_PAIRS];
static struct side sides[MAX_PAIRS][2];

static void hand_over(struct pair* p, int me) {
  if (p->kind == SEMAPHORE) {
    sem_post(&p->s[!me]);
    sem_wait(&p->s[me]);
    return;
  }
  pthread_mutex_lock(&p->m);
  p->turn = !me;
  pthread_cond_signal(&p->c);
  while (p->turn != me && !atomic_load(&p->stop)) pthread_cond_wait(&p->c, &p->m);
  pthread_mutex_unlock(&p->m);
}

static void* ping_pong(void* arg) {
  struct side* s = arg;
  struct pair* p = s->p;
  if (s->me == 1) { /* side 0 starts */
    if (p->kind == SEMAPHORE) {
      sem_wait(&p->s[1]);
    } else {
      pthread_mutex_lock(&p->m);
      while (p->turn != 1 && !atomic_load(&p->stop)) pthread_cond_wait(&p->c, &p->m);
      pthread_mutex_unlock(&p->m);
    }
  }
  while (!atomic_load(&p->stop)) {
    if (atomic_fetch_add(&p->rounds, 1) == 1000) sem_post(&p->warm);
    hand_over(p, s->me);
  }
  /* Let the other side out of its wait. */
  if (p->kind == SEMAPHORE) {
    sem_post(&p->s[!s->me]);
  } else {
    pthread_mutex_lock(&p->m);
    pthread_cond_broadcast(&p->c);
    pthread_mutex_unlock(&p->m);
  }
  return NULL;
}

static void start_pairs(int n, enum kind kind) {
  for (int i = 0; i < n; i++) {
    struct pair* p = &pairs[i];
    p->kind = kind;
    pthread_mutex_init(&p->m, NULL);
    pthread_cond_init(&p->c, NULL);
    p->turn = 0;
    sem_init(&p->s[0], 0, 0);
    sem_init(&p->s[1], 0, 0);
    atomic_store(&p->rounds, 0);
    atomic_store(&p->stop, 0);
    sem_init(&p->warm, 0, 0);
    for (int k = 0; k < 2; k++) {
      sides[i][k].p = p;
      sides[i][k].me = k;
      sync_start(&p->t[k], ping_pong, &sides[i][k], 64 * 1024);
    }
  }
  /* Every pair is ping-ponging before the measurement starts. */
  for (int i = 0; i < n; i++) sem_wait(&pairs[i].warm);
}

/* Stops the pairs; returns how many made no progress after `before`. */
static int stop_pairs(int n, const long* before) {
  int stalled = 0;
  for (int i = 0; i < n; i++)
    if (before && atomic_load(&pairs[i].rounds) <= before[i]) stalled++;
  for (int i = 0; i < n; i++) atomic_store(&pairs[i].stop, 1);
  for (int i = 0; i < n; i++) {
    struct pair* p = &pairs[i];
    if (p->kind == SEMAPHORE) {
      sem_post(&p->s[0]);
      sem_post(&p->s[1]);
    } else {
      pthread_mutex_lock(&p->m);
      pthread_cond_broadcast(&p->c);
      pthread_mutex_unlock(&p->m);
    }
    sync_join(p->t[0]);
    sync_join(p->t[1]);
    sem_destroy(&p->s[0]);
    sem_destroy(&p->s[1]);
    sem_destroy(&p->warm);
    pthread_cond_destroy(&p->c);
    pthread_mutex_destroy(&p->m);
  }
  return stalled;
}

static long long timed_sleep_ns(void) {
  long long t0 = sync_now_ns(CLOCK_MONOTONIC);
  usleep(200 * 1000);
  return sync_now_ns(CLOCK_MONOTONIC) - t0;
}

/* A CPU-bound thread: some milliseconds of arithmetic, then its end time. */
static atomic_llong third_done_ns;
static void* cpu_bound(void* arg) {
  volatile unsigned long x = 1;
  for (long i = 0; i < 20 * 1000 * 1000; i++) x = x * 6364136223846793005ul + 1;
  atomic_store(&third_done_ns, sync_now_ns(CLOCK_MONOTONIC));
  return NULL;
}

static void pair_third_and_sleeper(void) {
  start_pairs(1, CONDVAR);
  long long t0 = sync_now_ns(CLOCK_MONOTONIC);
  pthread_t third;
  sync_start(&third, cpu_bound, NULL, 0);
  long long slept = timed_sleep_ns();
  sync_join(third);
  stop_pairs(1, NULL);
  long long third_ns = atomic_load(&third_done_ns) - t0;
  SYNC_CHECK(slept < SLEEP_BOUND_NS, "usleep(200 ms) beside a pair took %lld ms", slept / 1000000);
  SYNC_CHECK(third_ns < SLEEP_BOUND_NS, "a runnable thread beside a pair took %lld ms",
             third_ns / 1000000);
  printf("1 condvar pair, a CPU-bound thread and a sleeper: both ended within a second\n");
}

static void pairs_and_sleeper(int n, enum kind kind) {
  start_pairs(n, kind);
  long long slept = timed_sleep_ns();
  stop_pairs(n, NULL);
  const char* what = kind == CONDVAR ? "condvar" : "semaphore";
  SYNC_CHECK(slept < SLEEP_BOUND_NS, "usleep(200 ms) beside %d %s pairs took %lld ms", n, what,
             slept / 1000000);
  printf("%d %s pair(s) and a sleeper: the sleep ended within a second\n", n, what);
}

static void* count_ticks(void* arg) {
  int* ticks = arg;
  struct timespec ms = {0, 1000000};
  for (*ticks = 0; *ticks < 1000; ++*ticks) nanosleep(&ms, NULL);
  return NULL;
}

static void many_pairs_and_ticker(void) {
  start_pairs(MAX_PAIRS, CONDVAR);
  long before[MAX_PAIRS];
  for (int i = 0; i < MAX_PAIRS; i++) before[i] = atomic_load(&pairs[i].rounds);
  int ticks = 0;
  pthread_t ticker;
  sync_start(&ticker, count_ticks, &ticks, 0);
  sync_join(ticker);
  int stalled = stop_pairs(MAX_PAIRS, before);
  SYNC_CHECK(stalled == 0, "%d of %d pairs made no progress while the ticker ran", stalled,
             MAX_PAIRS);
  printf("%d pairs and a 1 ms ticker: %d ticks, every pair made progress\n", MAX_PAIRS, ticks);
}

int main(void) {
  pair_third_and_sleeper();
  for (int n = 1; n <= 4; n *= 2) pairs_and_sleeper(n, CONDVAR);
  for (int n = 1; n <= 4; n *= 2) pairs_and_sleeper(n, SEMAPHORE);
  many_pairs_and_ticker();
  return 0;
}
