/* proc_fork_threads: fork() with many threads alive, from the main thread and
 * from another thread (issue 11, acceptance 4).
 *
 * The parent has 1,100 threads: parked on a condvar, in pause(), blocked in
 * pipe reads, one holding a mutex and one a robust mutex; three
 * pthread_atfork handler sets log their calls. Each fork's child checks:
 * it is a single task; the handlers ran once each, prepare in reverse
 * order and child/parent in order; the mutexes held by threads that do not
 * exist in the child, and those its own thread held, answer as under NPTL;
 * then it creates and joins 100 threads that pass bytes through pipes,
 * count under a mutex and sleep, has 2,000 threads alive at once, forks a
 * grandchild from one of them, and ends with exit(), as the parent sees.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <time.h>

#include "proc_common.h"

static char hlog[256];
static void note(const char* s) { strncat(hlog, s, sizeof hlog - strlen(hlog) - 1); }
static void prep_a(void) { note(" prepA"); }
static void prep_b(void) { note(" prepB"); }
static void prep_c(void) { note(" prepC"); }
static void par_a(void) { note(" parA"); }
static void par_b(void) { note(" parB"); }
static void par_c(void) { note(" parC"); }
static void ch_a(void) { note(" chA"); }
static void ch_b(void) { note(" chB"); }
static void ch_c(void) { note(" chC"); }

static pthread_mutex_t held_by_other = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t robust_by_other, robust_by_forker, errorcheck_by_forker;
static pthread_mutex_t holders_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t holders_cond = PTHREAD_COND_INITIALIZER;
static int holders_ready, holders_release;

static void* holder(void* arg) {
  pthread_mutex_lock(arg == NULL ? &held_by_other : &robust_by_other);
  pthread_mutex_lock(&holders_lock);
  holders_ready++;
  pthread_cond_broadcast(&holders_cond);
  while (!holders_release) pthread_cond_wait(&holders_cond, &holders_lock);
  pthread_mutex_unlock(&holders_lock);
  pthread_mutex_unlock(arg == NULL ? &held_by_other : &robust_by_other);
  return NULL;
}

static void init_mutexes(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&robust_by_other, &a);
  pthread_mutex_init(&robust_by_forker, &a);
  pthread_mutexattr_destroy(&a);
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&errorcheck_by_forker, &a);
  pthread_mutexattr_destroy(&a);
}

/* ---- the child's own threads ------------------------------------------- */

enum { kPairs = 50, kMany = 2000 };
static int pipes[kPairs][2];
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counted;

static void* writer(void* arg) {
  int i = (int)(intptr_t)arg;
  for (int k = 0; k < 100; k++) {
    unsigned char b = (unsigned char)(i + k);
    PROC_CHECK(write(pipes[i][1], &b, 1) == 1, "write");
    pthread_mutex_lock(&count_lock);
    counted++;
    pthread_mutex_unlock(&count_lock);
  }
  usleep(1000);
  return NULL;
}

static void* reader(void* arg) {
  int i = (int)(intptr_t)arg;
  long sum = 0;
  for (int k = 0; k < 100; k++) {
    unsigned char b;
    PROC_CHECK(read(pipes[i][0], &b, 1) == 1, "read");
    sum += b;
    pthread_mutex_lock(&count_lock);
    counted++;
    pthread_mutex_unlock(&count_lock);
  }
  struct timespec ts = {0, 1000000};
  nanosleep(&ts, NULL);
  return (void*)sum;
}

static pthread_barrier_t many_barrier;
static void* many_main(void* arg) {
  pthread_barrier_wait(&many_barrier);
  return arg;
}

static void* grandchild_forker(void* arg) {
  hlog[0] = 0;
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    printf("  grandchild handlers:%s tasks %d\n", hlog, proc_task_count());
    fflush(stdout);
    _exit(5);
  }
  printf("  child's parent handlers:%s\n", hlog);
  proc_report_child("  grandchild", p);
  return arg;
}

static void child_work(const char* who) {
  printf("%s child handlers:%s\n", who, hlog);
  printf("  tasks %d\n", proc_task_count());
  printf("  trylock held by a vanished thread: %s\n", strerror(pthread_mutex_trylock(&held_by_other)));
  printf("  trylock robust held by a vanished thread: %s\n",
         strerror(pthread_mutex_trylock(&robust_by_other)));
  struct timespec soon;
  clock_gettime(CLOCK_REALTIME, &soon);
  soon.tv_nsec += 10000000;
  if (soon.tv_nsec >= 1000000000) soon.tv_sec++, soon.tv_nsec -= 1000000000;
  printf("  timedlock held by a vanished thread: %s\n",
         strerror(pthread_mutex_timedlock(&held_by_other, &soon)));
  printf("  trylock robust held before fork: %s\n", strerror(pthread_mutex_trylock(&robust_by_forker)));
  printf("  unlock robust held before fork: %s\n", strerror(pthread_mutex_unlock(&robust_by_forker)));
  printf("  unlock errorcheck held before fork: %s\n",
         strerror(pthread_mutex_unlock(&errorcheck_by_forker)));
  fflush(stdout);

  pthread_t t[2 * kPairs];
  for (int i = 0; i < kPairs; i++) PROC_CHECK(pipe(pipes[i]) == 0, "pipe");
  for (int i = 0; i < kPairs; i++) {
    PROC_CHECK(pthread_create(&t[i], NULL, reader, (void*)(intptr_t)i) == 0, "create");
    PROC_CHECK(pthread_create(&t[kPairs + i], NULL, writer, (void*)(intptr_t)i) == 0, "create");
  }
  long total = 0;
  for (int i = 0; i < 2 * kPairs; i++) {
    void* r;
    pthread_join(t[i], &r);
    if (i < kPairs) total += (long)r;
  }
  printf("  100 threads: bytes sum %ld, counted %ld\n", total, counted);

  static pthread_t many[kMany];
  pthread_barrier_init(&many_barrier, NULL, kMany + 1);
  for (int i = 0; i < kMany; i++)
    PROC_CHECK(pthread_create(&many[i], NULL, many_main, NULL) == 0, "create many");
  pthread_barrier_wait(&many_barrier);
  for (int i = 0; i < kMany; i++) pthread_join(many[i], NULL);
  printf("  %d threads alive at once, joined\n", kMany);
  fflush(stdout);

  pthread_t g;
  pthread_create(&g, NULL, grandchild_forker, NULL);
  pthread_join(g, NULL);
  exit(3);
}

static void fork_and_check(const char* who) {
  pthread_mutex_lock(&robust_by_forker);
  pthread_mutex_lock(&errorcheck_by_forker);
  hlog[0] = 0;
  fflush(stdout);
  pid_t p = fork();
  PROC_CHECK(p >= 0, "fork");
  if (p == 0) child_work(who);
  printf("%s parent handlers:%s\n", who, hlog);
  proc_report_child("  child", p);
  pthread_mutex_unlock(&errorcheck_by_forker);
  pthread_mutex_unlock(&robust_by_forker);
}

static void* other_thread(void* arg) {
  fork_and_check("from another thread:");
  return arg;
}

int main(void) {
  init_mutexes();
  pthread_atfork(prep_a, par_a, ch_a);
  pthread_atfork(prep_b, par_b, ch_b);
  pthread_atfork(prep_c, par_c, ch_c);
  pthread_t h1, h2;
  pthread_create(&h1, NULL, holder, NULL);
  pthread_create(&h2, NULL, holder, (void*)1);
  pthread_mutex_lock(&holders_lock);
  while (holders_ready < 2) pthread_cond_wait(&holders_cond, &holders_lock);
  pthread_mutex_unlock(&holders_lock);
  proc_start_hundred();
  proc_start(1000, proc_park_main);

  fork_and_check("from main:");
  pthread_t o;
  pthread_create(&o, NULL, other_thread, NULL);
  pthread_join(o, NULL);

  pthread_mutex_lock(&holders_lock);
  holders_release = 1;
  pthread_cond_broadcast(&holders_cond);
  pthread_mutex_unlock(&holders_lock);
  pthread_join(h1, NULL);
  pthread_join(h2, NULL);
  return 0;
}
