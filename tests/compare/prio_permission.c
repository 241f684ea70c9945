/* tests/compare/prio_permission.c — who may use SCHED_FIFO and SCHED_RR:
 * the kernel's rules for a task without CAP_SYS_NICE (sched_setscheduler(2),
 * RLIMIT_RTPRIO), through sched_setscheduler, pthread_setschedparam,
 * pthread_setschedprio and pthread_create with PTHREAD_EXPLICIT_SCHED.
 *
 * Run as root, the program takes SCHED_RR 5 and then gives up its
 * privileges (the limit, then setuid to nobody, which drops every
 * capability) before it has a second thread: one task changes its
 * credentials. Not root: one "skipped" line.
 * Each step prints the call and its result (0 or the errno name).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sync_common.h"

static const char* result(int err) {
  switch (err) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    default: return strerror(err);
  }
}

/* Raising the hard limit needs CAP_SYS_RESOURCE, which a container's root
 * may lack: then the steps under a nonzero limit are left out (the same way
 * natively and under weft). */
static int set_limit(int limit) {
  struct rlimit rl = {limit, limit};
  if (setrlimit(RLIMIT_RTPRIO, &rl) != 0) {
    SYNC_CHECK(errno == EPERM, "setrlimit: %s", strerror(errno));
    printf("RLIMIT_RTPRIO %d: not permitted, steps left out\n", limit);
    return 0;
  }
  printf("RLIMIT_RTPRIO %d\n", limit);
  return 1;
}

static void set_self(const char* name, int policy, int prio) {
  struct sched_param p = {.sched_priority = prio};
  int err = sched_setscheduler(0, policy, &p) == 0 ? 0 : errno;
  int got_policy = sched_getscheduler(0);
  sched_getparam(0, &p);
  printf("sched_setscheduler(%s %d): %s, now %d %d\n", name, prio, result(err), got_policy,
         p.sched_priority);
}

static void* report_self(void* arg) {
  int policy;
  struct sched_param p;
  pthread_getschedparam(pthread_self(), &policy, &p);
  printf("  new thread runs with %d %d\n", policy, p.sched_priority);
  return NULL;
}

static void create_explicit(const char* name, int policy, int prio) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  struct sched_param p = {.sched_priority = prio};
  pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
  pthread_attr_setschedpolicy(&a, policy);
  pthread_attr_setschedparam(&a, &p);
  pthread_t t;
  int err = pthread_create(&t, &a, report_self, NULL);
  printf("pthread_create(explicit %s %d): %s\n", name, prio, result(err));
  if (err == 0) pthread_join(t, NULL);
  pthread_attr_destroy(&a);
}

static void* park(void* arg) {
  pthread_barrier_wait(arg);
  pthread_barrier_wait(arg);
  return NULL;
}

static void with_limits(void) {
  set_self("FIFO", SCHED_FIFO, 10);
  set_self("FIFO", SCHED_FIFO, 25);  /* above the limit and its level */
  set_self("FIFO", SCHED_FIFO, 20);
  create_explicit("FIFO", SCHED_FIFO, 15);
  create_explicit("RR", SCHED_RR, 21);
  create_explicit("OTHER", SCHED_OTHER, 0);

  if (!set_limit(3)) return;
  set_self("FIFO", SCHED_FIFO, 5);   /* lower: allowed */
  set_self("RR", SCHED_RR, 5);       /* another policy, same level: the limit is not 0 */
  set_self("RR", SCHED_RR, 6);       /* a raise above the limit */
  create_explicit("RR", SCHED_RR, 4);
  create_explicit("FIFO", SCHED_FIFO, 5);
  create_explicit("FIFO", SCHED_FIFO, 6);
}

/* Main is SCHED_RR 5 here. */
static void without_limit(void) {
  set_self("FIFO", SCHED_FIFO, 5);   /* another policy, limit 0 */
  set_self("RR", SCHED_RR, 2);       /* lower, same policy */
  printf("pthread_setschedprio(2): %s\n", result(pthread_setschedprio(pthread_self(), 2)));
  printf("pthread_setschedprio(3): %s\n", result(pthread_setschedprio(pthread_self(), 3)));

  /* Another thread's: its own level counts, not the caller's. */
  pthread_barrier_t bar;
  pthread_barrier_init(&bar, NULL, 2);
  pthread_t t;
  SYNC_CHECK(pthread_create(&t, NULL, park, &bar) == 0, "pthread_create");
  pthread_barrier_wait(&bar);
  struct sched_param p = {.sched_priority = 1};
  printf("other thread RR 1: %s\n", result(pthread_setschedparam(t, SCHED_RR, &p)));
  p.sched_priority = 2;
  printf("other thread RR 2: %s\n", result(pthread_setschedparam(t, SCHED_RR, &p)));
  p.sched_priority = 0;
  printf("other thread OTHER 0: %s\n", result(pthread_setschedparam(t, SCHED_OTHER, &p)));
  p.sched_priority = 1;
  printf("other thread RR 1 again: %s\n", result(pthread_setschedparam(t, SCHED_RR, &p)));
  pthread_barrier_wait(&bar);
  pthread_join(t, NULL);

  set_self("OTHER", SCHED_OTHER, 0);
  set_self("FIFO", SCHED_FIFO, 1);
  set_self("BATCH", SCHED_BATCH, 0);
  set_self("FIFO", SCHED_FIFO, 100);  /* EINVAL before EPERM */
}

int main(void) {
  struct sched_param p = {.sched_priority = 5};
  if (geteuid() != 0 || sched_setscheduler(0, SCHED_RR, &p) != 0) {
    printf("skipped: not root, or SCHED_RR not permitted\n");
    return 0;
  }
  int limited = set_limit(20);
  SYNC_CHECK(setuid(65534) == 0, "setuid: %s", strerror(errno));
  if (limited) with_limits();
  set_limit(0);
  without_limit();
  return 0;
}
