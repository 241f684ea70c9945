/* tests/compare/life_thrd_exit.c — C11 thrd_exit.
 *
 * thrd_exit from nested calls ends the thread with that result (thrd_join
 * gets it) and runs its tss destructors; a destructor that re-arms its value
 * runs TSS_DTOR_ITERATIONS times in all. glibc's C11 calls reach NPTL through
 * hidden __pthread_* entry points, so they are a separate path from the
 * pthread ones. Finally the main thread calls thrd_exit while a detached
 * thread still runs: that thread is released by main's tss destructor (the
 * last code main runs), prints, and its end ends the process with status 0.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <threads.h>

#include "life_common.h"

#define THREADS 8

static tss_t value_key, rearm_key;
static atomic_int dtor_calls[THREADS];
static atomic_int rearm_calls[THREADS];
static int results[THREADS];

static mtx_t mu;
static cnd_t cv;
static int main_gone;

static void value_dtor(void *v) { atomic_fetch_add(&dtor_calls[(intptr_t)v - 1], 1); }

static void rearm_dtor(void *v) {
  atomic_fetch_add(&rearm_calls[(intptr_t)v - 1], 1);
  tss_set(rearm_key, v);
}

static _Noreturn __attribute__((noinline)) void inner_exit(int result) {
  thrd_yield();
  thrd_exit(result);
}

static _Noreturn __attribute__((noinline)) void outer_exit(int result) {
  volatile char frame[32]; /* a real frame to unwind */
  frame[0] = (char)result;
  inner_exit(frame[0] == (char)result ? result : -1000);
}

static int c11_thread(void *arg) {
  intptr_t i = (intptr_t)arg;
  tss_set(value_key, (void *)(i + 1));
  if (i % 2) tss_set(rearm_key, (void *)(i + 1));
  thrd_yield();
  outer_exit((int)(i * 10 - 3));
}

static void main_dtor(void *v) {
  (void)v;
  printf("main: tss destructor\n");
  mtx_lock(&mu);
  main_gone = 1;
  cnd_broadcast(&cv);
  mtx_unlock(&mu);
}

static int detached_thread(void *arg) {
  (void)arg;
  mtx_lock(&mu);
  while (!main_gone) cnd_wait(&cv, &mu);
  mtx_unlock(&mu);
  printf("detached thread: running after main's thrd_exit\n");
  return 0;
}

int main(void) {
  LIFE_CHECK(tss_create(&value_key, value_dtor) == thrd_success, "tss_create");
  LIFE_CHECK(tss_create(&rearm_key, rearm_dtor) == thrd_success, "tss_create");
  LIFE_CHECK(mtx_init(&mu, mtx_plain) == thrd_success, "mtx_init");
  LIFE_CHECK(cnd_init(&cv) == thrd_success, "cnd_init");
  thrd_t t[THREADS];
  for (intptr_t i = 0; i < THREADS; i++)
    LIFE_CHECK(thrd_create(&t[i], c11_thread, (void *)i) == thrd_success, "thrd_create");
  for (int i = 0; i < THREADS; i++)
    LIFE_CHECK(thrd_join(t[i], &results[i]) == thrd_success, "thrd_join");
  for (int i = 0; i < THREADS; i++)
    printf("thread %d: result %d, destructor calls %d, re-arming destructor calls %d\n", i,
           results[i], atomic_load(&dtor_calls[i]), atomic_load(&rearm_calls[i]));

  tss_t main_key;
  LIFE_CHECK(tss_create(&main_key, main_dtor) == thrd_success, "tss_create");
  tss_set(main_key, &main_key);
  thrd_t d;
  LIFE_CHECK(thrd_create(&d, detached_thread, NULL) == thrd_success, "thrd_create");
  LIFE_CHECK(thrd_detach(d) == thrd_success, "thrd_detach");
  printf("main: thrd_exit\n");
  thrd_exit(5);
}
