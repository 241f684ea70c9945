/* tests/compare/cancel_state.c — cancelability state and type, and what a
 * cancelled thread runs (issue 11, acceptance 3).
 *
 * - pthread_setcancelstate/setcanceltype: old values, EINVAL;
 * - disabled cancellation is deferred until enabled: a disabled thread
 *   goes through cancellation points (a semaphore it is blocked in when
 *   cancelled, a sleep); enabling with the deferred type does not act, the
 *   next cancellation point does; enabling with the asynchronous type acts
 *   inside pthread_setcancelstate; switching a thread with a pending
 *   request to the asynchronous type acts inside pthread_setcanceltype;
 * - a thread that never enables again returns normally; the waits of a
 *   disabled thread, and a deferred thread's waits that are no
 *   cancellation points, are not cut short by the request;
 * - cancelling oneself, deferred and asynchronous; cancelling twice, or a
 *   thread that has returned;
 * - the cleanup handlers run last-pushed first, then the key destructors;
 *   a cancellation point inside a cleanup handler does not act again, for
 *   cancellation and for pthread_exit with a request pending.
 * Each thread logs its steps; the main thread prints the log after join.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sync_common.h"

#define PAUSE_NS (20 * 1000000LL)
#define WAIT_NS (100 * 1000000LL)

static char log_buf[1024];
static void note(const char* s) {
  if (log_buf[0]) strcat(log_buf, ", ");
  strcat(log_buf, s);
}

static sem_t started, go, never;

static void pause_a_little(void) {
  struct timespec t = sync_ts(PAUSE_NS);
  while (nanosleep(&t, &t) != 0) {
  }
}

static void wait_go(void) {
  while (sem_wait(&go) != 0) {
  }
}

/* Runs fn in a thread; cancels it (unless it cancels itself) once it has
 * started, after a pause that lets it block; lets it go on, joins and
 * prints the log and result. */
static void run_checked(const char* name, void* (*fn)(void*), int cancel, int result_set);
static void run(const char* name, void* (*fn)(void*), int cancel) { run_checked(name, fn, cancel, 1); }
/* result_set 0: glibc 2.36 itself leaves the thread's result unset (join
 * reports what its reused descriptor held), weft sets PTHREAD_CANCELED:
 * checked under weft only. */
static void run_checked(const char* name, void* (*fn)(void*), int cancel, int result_set) {
  log_buf[0] = 0;
  pthread_t t;
  sync_start(&t, fn, NULL, 256 * 1024);
  while (sem_wait(&started) != 0) {
  }
  pause_a_little();
  if (cancel) SYNC_CHECK(pthread_cancel(t) == 0, "pthread_cancel");
  sem_post(&go);
  void* r;
  SYNC_CHECK(pthread_join(t, &r) == 0, "join");
  if (!result_set) {
    SYNC_CHECK(!sync_under_weft() || r == PTHREAD_CANCELED, "%s: result %p", name, r);
    printf("%s: [%s] -> joined\n", name, log_buf);
  } else if (r == PTHREAD_CANCELED)
    printf("%s: [%s] -> PTHREAD_CANCELED\n", name, log_buf);
  else
    printf("%s: [%s] -> returned %ld\n", name, log_buf, (long)r);
}

static void* args_thread(void* a) {
  int old = -1;
  char s[128];
  int e1 = pthread_setcancelstate(5, &old);
  int e2 = pthread_setcanceltype(5, &old);
  snprintf(s, sizeof s, "bad state %d, bad type %d", e1, e2);
  note(s);
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
  snprintf(s, sizeof s, "state was %s", old == PTHREAD_CANCEL_ENABLE ? "ENABLE" : "DISABLE");
  note(s);
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
  snprintf(s, sizeof s, "then %s", old == PTHREAD_CANCEL_ENABLE ? "ENABLE" : "DISABLE");
  note(s);
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
  snprintf(s, sizeof s, "type was %s", old == PTHREAD_CANCEL_DEFERRED ? "DEFERRED" : "ASYNCHRONOUS");
  note(s);
  pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old);
  snprintf(s, sizeof s, "then %s", old == PTHREAD_CANCEL_DEFERRED ? "DEFERRED" : "ASYNCHRONOUS");
  note(s);
  sem_post(&started);
  wait_go();
  note("cancelled while disabled");
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
  note("enabled");
  pthread_testcancel();
  note("NOT REACHED");
  return NULL;
}

/* Disabled, deferred: blocked in sem_wait when cancelled, goes on through
 * cancellation points, enables, and is cancelled at the next one. */
static void* disabled_deferred(void* a) {
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  sem_post(&started);
  wait_go();
  note("sem_wait returned");
  note(usleep(1000) == 0 ? "usleep returned" : "usleep failed");
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
  note("enabled");
  usleep(1000);
  note("NOT REACHED");
  return NULL;
}

/* Disabled, asynchronous: enabling acts at once. */
static void* disabled_async(void* a) {
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
  sem_post(&started);
  /* sem_wait is no async-safe function, but cancellation is disabled. */
  wait_go();
  note("going to enable");
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
  note("NOT REACHED");
  return NULL;
}

/* A pending request acts when the type becomes asynchronous. */
static void* pending_then_async(void* a) {
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  sem_post(&started);
  wait_go();
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
  note("enabled, deferred");
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
  note("NOT REACHED");
  return NULL;
}

/* Never enabled again: returns normally. */
static void* never_enabled(void* a) {
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  sem_post(&started);
  wait_go();
  usleep(1000);
  pthread_testcancel();
  note("returning 9");
  return (void*)9L;
}

static void* self_deferred(void* a) {
  sem_post(&started);
  wait_go();
  char s[64];
  snprintf(s, sizeof s, "cancel self %d", pthread_cancel(pthread_self()));
  note(s);
  note("still running");
  pthread_testcancel();
  note("NOT REACHED");
  return NULL;
}

static void* self_async(void* a) {
  sem_post(&started);
  wait_go();
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
  note("async");
  pthread_cancel(pthread_self());
  note("NOT REACHED");
  return NULL;
}

static pthread_key_t key;
static void key_destructor(void* v) { note("key destructor"); }
static void cleanup_outer(void* a) { note("cleanup outer"); }
static void cleanup_inner(void* a) {
  note("cleanup inner: usleep");
  usleep(1000); /* a cancellation point: must not act again */
  note("cleanup inner done");
}
static void* order_thread(void* a) {
  pthread_setspecific(key, (void*)1);
  pthread_cleanup_push(cleanup_outer, NULL);
  pthread_cleanup_push(cleanup_inner, NULL);
  sem_post(&started);
  while (sem_wait(&never) == 0 || errno == EINTR) {
  }
  note("NOT REACHED");
  pthread_cleanup_pop(0);
  pthread_cleanup_pop(0);
  return NULL;
}

/* pthread_exit with a request pending: its cleanup handler's cancellation
 * point does not turn the exit into a cancellation. */
static void* exit_with_pending(void* a) {
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  sem_post(&started);
  wait_go();
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
  pthread_cleanup_push(cleanup_inner, NULL);
  note("pthread_exit(5)");
  pthread_exit((void*)5L);
  pthread_cleanup_pop(0);
  return NULL;
}

/* Cancellation disabled: its waits are not cut short by the request (a
 * timed sleep, semaphore and poll each run their full time). */
static void* disabled_waits(void* a) {
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  int p[2];
  SYNC_CHECK(pipe(p) == 0, "pipe");
  sem_post(&started);
  char s[160];
  struct timespec t = sync_ts(WAIT_NS);
  int r1 = nanosleep(&t, NULL);
  struct timespec dl = sync_deadline(CLOCK_REALTIME, WAIT_NS);
  int r2 = sem_timedwait(&never, &dl) == 0 ? 0 : errno;
  struct pollfd pf = {.fd = p[0], .events = POLLIN};
  int r3 = poll(&pf, 1, (int)(WAIT_NS / 1000000));
  snprintf(s, sizeof s, "nanosleep %d, sem_timedwait %s, poll %d", r1,
           r2 == ETIMEDOUT ? "ETIMEDOUT" : strerror(r2), r3);
  note(s);
  wait_go();
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
  note("enabled");
  pthread_testcancel();
  note("NOT REACHED");
  return NULL;
}

/* Deferred: waits that are no cancellation points (made through
 * syscall()) are not cut short either. */
static void* deferred_raw_waits(void* a) {
  int p[2];
  SYNC_CHECK(pipe(p) == 0, "pipe");
  unsigned word = 0;
  sem_post(&started);
  char s[160];
  struct timespec t = sync_ts(WAIT_NS);
  long r1 = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &t, NULL, 0);
  int e1 = errno;
  struct pollfd pf = {.fd = p[0], .events = POLLIN};
  long r2 = syscall(SYS_poll, &pf, 1, (int)(WAIT_NS / 1000000));
  snprintf(s, sizeof s, "futex %ld (%s), poll %ld", r1, e1 == ETIMEDOUT ? "ETIMEDOUT" : strerror(e1),
           r2);
  note(s);
  wait_go();
  note("sem_wait returned");
  return NULL;
}

static void* returns_3(void* a) {
  sem_post(&started);
  return (void*)3L;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  alarm(60);
  sem_init(&started, 0, 0);
  sem_init(&go, 0, 0);
  sem_init(&never, 0, 0);
  pthread_key_create(&key, key_destructor);
  run("arguments", args_thread, 1);
  run("disabled, deferred", disabled_deferred, 1);
  run_checked("disabled, asynchronous", disabled_async, 1, 0);
  run("pending, then asynchronous", pending_then_async, 1);
  run("never enabled", never_enabled, 1);
  run("cancel self, deferred", self_deferred, 0);
  run("cancel self, asynchronous", self_async, 0);
  run("cleanup order", order_thread, 1);
  run("pthread_exit with a request pending", exit_with_pending, 1);
  run("disabled: waits run their full time", disabled_waits, 1);
  run("deferred: waits that are no cancellation points run their full time", deferred_raw_waits, 1);

  /* Cancelled (most likely) after it returned, with no cancellation point
   * on its way out either way. */
  pthread_t t;
  sync_start(&t, returns_3, NULL, 64 * 1024);
  while (sem_wait(&started) != 0) {
  }
  pause_a_little();
  void* r;
  int c1 = pthread_cancel(t);
  int c2 = pthread_cancel(t);
  SYNC_CHECK(pthread_join(t, &r) == 0, "join");
  printf("cancel twice a thread that returns: %d %d, joined %ld\n", c1, c2, (long)r);
  return 0;
}
