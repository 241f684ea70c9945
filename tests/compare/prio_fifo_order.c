/* tests/compare/prio_fifo_order.c — SCHED_FIFO threads run in priority
 * order: natively on one CPU (the process pins itself to its first allowed
 * CPU, so the kernel's order is deterministic), under weft on one P (a run
 * with another WEFT_PROCS re-executes itself with WEFT_PROCS=1: on N Ps the
 * N highest threads run at once, as on N CPUs).
 *
 * Checked, each as a log of events printed by the main thread:
 * - threads of priorities 10, 5 and 20 created together run highest first,
 *   and so do three released together by a condition broadcast;
 * - new threads created at one lower priority run last-created first (NPTL
 *   starts a thread at its creator's priority and then lowers it, which puts
 *   it at the head of its new level), inherited ones in creation order;
 * - a priority-20 thread woken by its timer while a priority-5 one spins runs
 *   before the spinner's 50 ms are up; one woken by the spinner's sem_post
 *   runs before sem_post returns;
 * - sched_yield among three priority-10 threads alternates them in order;
 * - lowering one's own priority below a runnable thread's lets that run.
 * Assumption until weft preempts asynchronously: the spinner calls
 * sched_yield now and then (a no-op natively: nothing else at its level).
 *
 * Safety natively: the main thread has the highest priority (30) and every
 * spin is bounded by 50 ms of wall clock, so no real-time thread can hold the
 * CPU for long (the kernel's real-time throttling caps them too). Without
 * permission for SCHED_FIFO (not root) both runs print the same "skipped"
 * line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sync_common.h"

#define MAIN_PRIO 30
#define SPIN_LIMIT_NS (50 * 1000 * 1000L)

static char events[256][32];
static atomic_int nevents;

static void event(const char* fmt, ...) {
  int i = atomic_fetch_add(&nevents, 1);
  if (i >= 256) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(events[i], sizeof events[i], fmt, ap);
  va_end(ap);
}

static void print_events(const char* title) {
  int n = atomic_exchange(&nevents, 0);
  printf("%s:", title);
  for (int i = 0; i < n && i < 256; i++) printf(" %s", events[i]);
  printf("\n");
}

static long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static pthread_t spawn(int policy, int prio, void* (*fn)(void*), void* arg) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  if (policy >= 0) {
    struct sched_param p = {.sched_priority = prio};
    pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&a, policy);
    pthread_attr_setschedparam(&a, &p);
  }
  pthread_t t;
  int err = pthread_create(&t, &a, fn, arg);
  SYNC_CHECK(err == 0, "pthread_create: %s", strerror(err));
  pthread_attr_destroy(&a);
  return t;
}

static void join_all(pthread_t* t, int n) {
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
}

/* ---- priorities made runnable together ---------------------------------- */

static void* log_prio(void* arg) {
  event("p%d", (int)(long)arg);
  return NULL;
}

static void created_together(void) {
  int prios[3] = {10, 5, 20};
  pthread_t t[3];
  for (int i = 0; i < 3; i++) t[i] = spawn(SCHED_FIFO, prios[i], log_prio, (void*)(long)prios[i]);
  join_all(t, 3);
  print_events("created 10 5 20");
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER, go_cv = PTHREAD_COND_INITIALIZER;
static int nready, go;

static void* wait_then_log(void* arg) {
  pthread_mutex_lock(&mu);
  nready++;
  pthread_cond_signal(&ready_cv);
  while (!go) pthread_cond_wait(&go_cv, &mu);
  pthread_mutex_unlock(&mu);
  event("p%d", (int)(long)arg);
  return NULL;
}

static void broadcast_together(void) {
  int prios[3] = {5, 20, 10};
  pthread_t t[3];
  for (int i = 0; i < 3; i++)
    t[i] = spawn(SCHED_FIFO, prios[i], wait_then_log, (void*)(long)prios[i]);
  pthread_mutex_lock(&mu);
  while (nready < 3) pthread_cond_wait(&ready_cv, &mu);
  go = 1;
  pthread_cond_broadcast(&go_cv);
  pthread_mutex_unlock(&mu);
  join_all(t, 3);
  print_events("broadcast to 5 20 10");
}

static void* log_letter(void* arg) {
  event("%c", (int)(long)arg);
  return NULL;
}

static void same_level_creation(void) {
  pthread_t t[3];
  for (int i = 0; i < 3; i++) t[i] = spawn(SCHED_FIFO, 10, log_letter, (void*)(long)('A' + i));
  join_all(t, 3);
  print_events("explicit 10 from 30, created A B C");

  struct sched_param p = {.sched_priority = 10};
  SYNC_CHECK(pthread_setschedparam(pthread_self(), SCHED_FIFO, &p) == 0, "lower main");
  for (int i = 0; i < 3; i++) t[i] = spawn(-1, 0, log_letter, (void*)(long)('A' + i));
  event("M");
  join_all(t, 3);
  p.sched_priority = MAIN_PRIO;
  SYNC_CHECK(pthread_setschedparam(pthread_self(), SCHED_FIFO, &p) == 0, "raise main");
  print_events("inherited 10, created A B C");
}

/* ---- a higher priority made runnable while a lower one runs ------------- */

static atomic_int high_ran;

static void* high_after_sleep(void* arg) {
  struct timespec d = {0, 5 * 1000 * 1000};
  nanosleep(&d, NULL);
  atomic_store(&high_ran, 1);
  event("high%d", 20);
  return NULL;
}

static void* spinner(void* arg) {
  event("spin%d", 5);
  long end = now_ns() + SPIN_LIMIT_NS;
  while (!atomic_load(&high_ran) && now_ns() < end) sched_yield();
  event(atomic_load(&high_ran) ? "spinner-saw-high" : "spinner-timed-out");
  return NULL;
}

static void timer_preempts_spinner(void) {
  pthread_t t[2];
  t[0] = spawn(SCHED_FIFO, 20, high_after_sleep, NULL);
  t[1] = spawn(SCHED_FIFO, 5, spinner, NULL);
  join_all(t, 2);
  print_events("sleeper 20, spinner 5");
}

static sem_t wake_high;

static void* high_waits(void* arg) {
  sem_wait(&wake_high);
  event("high%d", 20);
  return NULL;
}

static void* low_posts(void* arg) {
  event("low5-before-post");
  sem_post(&wake_high);
  event("low5-after-post");
  return NULL;
}

static void wake_preempts_waker(void) {
  sem_init(&wake_high, 0, 0);
  pthread_t t[2];
  t[0] = spawn(SCHED_FIFO, 20, high_waits, NULL);
  t[1] = spawn(SCHED_FIFO, 5, low_posts, NULL);
  join_all(t, 2);
  sem_destroy(&wake_high);
  print_events("waiter 20, poster 5");
}

/* ---- sched_yield among equals, and lowering oneself --------------------- */

static void* yield_rounds(void* arg) {
  for (int round = 0; round < 3; round++) {
    event("%c%d", (int)(long)arg, round);
    sched_yield();
  }
  return NULL;
}

static void yield_alternates(void) {
  pthread_t t[3];
  /* Created at MAIN_PRIO, then lowered to 10 one after the other by
   * pthread_setschedparam (each to the head of level 10): queued C B A. */
  struct sched_param p = {.sched_priority = 10};
  for (int i = 0; i < 3; i++) t[i] = spawn(-1, 0, yield_rounds, (void*)(long)('A' + i));
  for (int i = 0; i < 3; i++) SYNC_CHECK(pthread_setschedparam(t[i], SCHED_FIFO, &p) == 0, "set");
  join_all(t, 3);
  print_events("three lowered to 10 yielding");
}

static void* log_runs(void* arg) {
  event("%s-runs", (const char*)arg);
  return NULL;
}

static void lowering_self(void) {
  pthread_t t = spawn(SCHED_FIFO, 15, log_runs, (void*)"p15");
  event("main%d", MAIN_PRIO);
  SYNC_CHECK(pthread_setschedprio(pthread_self(), 12) == 0, "setschedprio");
  event("main%d", 12);
  struct sched_param p = {.sched_priority = MAIN_PRIO};
  SYNC_CHECK(sched_setparam(0, &p) == 0, "sched_setparam: %s", strerror(errno));
  pthread_join(t, NULL);
  print_events("main 30 lowers itself to 12, p15 waits");
}

/* ---- set-up -------------------------------------------------------------- */

static void pin_to_one_cpu(void) {
  cpu_set_t set;
  SYNC_CHECK(sched_getaffinity(0, sizeof set, &set) == 0, "sched_getaffinity");
  int cpu = 0;
  while (!CPU_ISSET(cpu, &set)) cpu++;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  SYNC_CHECK(sched_setaffinity(0, sizeof set, &set) == 0, "sched_setaffinity");
}

int main(int argc, char** argv) {
  const char* procs = getenv("WEFT_PROCS");
  if (sync_under_weft() && (!procs || strcmp(procs, "1") != 0)) {
    setenv("WEFT_PROCS", "1", 1);
    execv("/proc/self/exe", argv);
    sync_die("execv: %s", strerror(errno));
  }
  pin_to_one_cpu();
  struct sched_param p = {.sched_priority = MAIN_PRIO};
  if (sched_setscheduler(0, SCHED_FIFO, &p) != 0) {
    SYNC_CHECK(errno == EPERM, "sched_setscheduler: %s", strerror(errno));
    printf("skipped: SCHED_FIFO not permitted\n");
    return 0;
  }
  SYNC_CHECK(sched_getscheduler(0) == SCHED_FIFO, "sched_getscheduler");
  created_together();
  broadcast_together();
  same_level_creation();
  timer_preempts_spinner();
  wake_preempts_waker();
  yield_alternates();
  lowering_self();
  return 0;
}
