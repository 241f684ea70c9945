/* tests/compare/life_exit_unwind_c.c — pthread_exit from nested C frames runs
 * the pthread_cleanup_push handlers, innermost first, then the key
 * destructors; join gets the exit value.
 *
 * In C without -fexceptions, pthread_cleanup_push registers a setjmp buffer
 * with __pthread_register_cancel; pthread_exit's forced unwind stops at each
 * registered frame, longjmps into it to run the handler, and continues with
 * __pthread_unwind_next (nptl/unwind.c, cleanup_routine.c). A handler popped
 * with execute=1 runs at the pop; one popped with 0 never runs. Threads yield
 * with the handlers registered, so under weft the unwind may run on another
 * kernel thread than the one that registered them. Also: a thread that
 * returns normally runs none of its popped-with-0 handlers.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "life_common.h"

#define THREADS 8
#define LOG_SIZE 1024

static __thread char *thread_log;
static pthread_key_t key;

static void note(const char *what) {
  if (thread_log[0]) strncat(thread_log, "\n  ", LOG_SIZE - strlen(thread_log) - 1);
  strncat(thread_log, what, LOG_SIZE - strlen(thread_log) - 1);
}

static void cleanup(void *arg) { note((const char *)arg); }
static void key_dtor(void *arg) { (void)arg; note("key destructor"); }

static void level3(void) {
  pthread_cleanup_push(cleanup, "cleanup level3");
  for (int i = 0; i < 10; i++) sched_yield();
  pthread_exit((void *)(intptr_t)55);
  pthread_cleanup_pop(0);
}

static void level2(void) {
  pthread_cleanup_push(cleanup, "cleanup level2 (outer)");
  pthread_cleanup_push(cleanup, "cleanup level2 (inner)");
  level3();
  note("after level3 (must not run)");
  pthread_cleanup_pop(0);
  pthread_cleanup_pop(0);
}

static void level1(void) {
  pthread_cleanup_push(cleanup, "cleanup level1");
  pthread_cleanup_push(cleanup, "cleanup popped with 1");
  sched_yield();
  pthread_cleanup_pop(1);
  pthread_cleanup_push(cleanup, "cleanup popped with 0 (must not run)");
  pthread_cleanup_pop(0);
  level2();
  pthread_cleanup_pop(0);
}

static void *exiting_thread(void *arg) {
  thread_log = arg;
  pthread_setspecific(key, arg);
  level1();
  note("after level1 (must not run)");
  return NULL;
}

static void *returning_thread(void *arg) {
  thread_log = arg;
  pthread_cleanup_push(cleanup, "cleanup of a returning thread (must not run)");
  sched_yield();
  pthread_cleanup_pop(0);
  note("returned normally");
  return (void *)(intptr_t)66;
}

int main(void) {
  LIFE_CHECK(pthread_key_create(&key, key_dtor) == 0, "key_create");
  static char logs[THREADS][LOG_SIZE];
  pthread_t t[THREADS];
  for (long i = 0; i < THREADS; i++)
    sync_start(&t[i], i % 2 ? returning_thread : exiting_thread, logs[i], 0);
  int bad_values = 0;
  for (int i = 0; i < THREADS; i++) {
    void *value = NULL;
    LIFE_CHECK(pthread_join(t[i], &value) == 0, "join");
    bad_values += value != (void *)(intptr_t)(i % 2 ? 66 : 55);
  }
  printf("exiting thread:\n  %s\n", logs[0]);
  printf("returning thread:\n  %s\n", logs[1]);
  int differing = 0;
  for (int i = 2; i < THREADS; i++) differing += strcmp(logs[i], logs[i % 2]) != 0;
  printf("threads with a different log: %d\n", differing);
  printf("joins without the expected value: %d\n", bad_values);
  return 0;
}
