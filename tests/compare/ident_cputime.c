// ident_cputime: per-thread CPU clocks (CLOCK_THREAD_CPUTIME_ID, the clocks
// pthread_getcpuclockid gives, and syscall(SYS_clock_gettime)). A new
// thread's starts near zero; a spinning thread's grows, read by itself and
// by another thread; a thread that sleeps, waits on a semaphore, blocks in
// read, in a raw nanosleep system call or in waitpid gains (almost) none;
// clock_getres answers for them; an exited thread has no clock.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sync_common.h"

#define MS 1000000LL

static long long cpu_of(clockid_t c) {
  struct timespec ts;
  SYNC_CHECK(clock_gettime(c, &ts) == 0, "clock_gettime(%d): %s", (int)c, strerror(errno));
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long self_cpu(void) { return cpu_of(CLOCK_THREAD_CPUTIME_ID); }

static sem_t spinning, spun, spinner_may_exit, wake_sleeper, sleeper_ready;
static atomic_llong spinner_own;  // the spinner's last reading of itself
static long long new_thread_start;
static int pipefd[2];

static void* fresh(void* a) {
  (void)a;
  new_thread_start = self_cpu();
  return NULL;
}

// Spins until its own clock shows 150 ms more (or a wall-clock minute).
static void* spinner(void* a) {
  (void)a;
  long long c0 = self_cpu(), wall_end = sync_now_ns(CLOCK_MONOTONIC) + 60000 * MS;
  sem_post(&spinning);
  long long c;
  do {
    volatile long x = 0;
    for (int i = 0; i < 100000; i++) x += i;
    c = self_cpu();
    atomic_store(&spinner_own, c);
  } while (c - c0 < 150 * MS && sync_now_ns(CLOCK_MONOTONIC) < wall_end);
  SYNC_CHECK(c - c0 >= 150 * MS, "the spinner's clock did not reach 150 ms");
  sem_post(&spun);
  sem_wait(&spinner_may_exit);  // its clock goes with it
  return NULL;
}

static void* sleeper(void* a) {
  (void)a;
  long long c0 = self_cpu();
  sem_post(&sleeper_ready);
  sem_wait(&wake_sleeper);
  long long waited = self_cpu() - c0;
  printf("sleeper: CPU time while waiting on a semaphore < 20 ms: %d\n", waited < 20 * MS);
  return NULL;
}

// Each wait is measured in three rounds and the least counts: a kernel
// thread that the kernel preempts in the few microseconds between two
// readings would add its wait under weft (libweft(7)).
static void* blocker(void* a) {
  (void)a;
  long long least[4] = {1LL << 62, 1LL << 62, 1LL << 62, 1LL << 62};
  for (int round = 0; round < 3; round++) {
    long long c[5];
    char b;
    c[0] = self_cpu();
    SYNC_CHECK(read(pipefd[0], &b, 1) == 1, "read");
    c[1] = self_cpu();
    syscall(SYS_nanosleep, &(struct timespec){0, 50 * MS}, NULL);
    c[2] = self_cpu();
    usleep(50000);
    c[3] = self_cpu();
    pid_t child = fork();
    SYNC_CHECK(child >= 0, "fork");
    if (child == 0) {
      syscall(SYS_nanosleep, &(struct timespec){0, 50 * MS}, NULL);
      _exit(3);
    }
    int st;
    SYNC_CHECK(waitpid(child, &st, 0) == child, "waitpid");
    c[4] = self_cpu();
    for (int i = 0; i < 4; i++)
      if (c[i + 1] - c[i] < least[i]) least[i] = c[i + 1] - c[i];
  }
  printf("blocked in read %d, raw nanosleep %d, usleep %d, waitpid %d: each < 20 ms\n",
         least[0] < 20 * MS, least[1] < 20 * MS, least[2] < 20 * MS, least[3] < 20 * MS);
  return NULL;
}

static void* quick(void* go) {
  sem_wait(go);
  return NULL;
}

int main(void) {
  sem_init(&spinning, 0, 0);
  sem_init(&spun, 0, 0);
  sem_init(&spinner_may_exit, 0, 0);
  sem_init(&wake_sleeper, 0, 0);
  sem_init(&sleeper_ready, 0, 0);

  pthread_t t;
  sync_start(&t, fresh, NULL, 0);
  sync_join(t);
  printf("a new thread's CPU time starts below 50 ms: %d\n",
         new_thread_start >= 0 && new_thread_start < 50 * MS);

  long long least = 1LL << 62;
  for (int round = 0; round < 3; round++) {  // see blocker
    long long m0 = self_cpu();
    usleep(50000);
    if (self_cpu() - m0 < least) least = self_cpu() - m0;
  }
  printf("main: CPU time over a 50 ms sleep < 20 ms: %d\n", least < 20 * MS);

  pthread_t sl, sp;
  sync_start(&sl, sleeper, NULL, 0);
  sem_wait(&sleeper_ready);
  clockid_t sleeper_clock, spinner_clock;
  printf("pthread_getcpuclockid(sleeper) %d\n", pthread_getcpuclockid(sl, &sleeper_clock));
  long long z0 = cpu_of(sleeper_clock);
  sync_start(&sp, spinner, NULL, 0);
  sem_wait(&spinning);
  printf("pthread_getcpuclockid(spinner) %d\n", pthread_getcpuclockid(sp, &spinner_clock));
  long long s0 = cpu_of(spinner_clock);
  sem_wait(&spun);
  long long s1 = cpu_of(spinner_clock), z1 = cpu_of(sleeper_clock);
  long long own = atomic_load(&spinner_own);
  printf("spinner's clock read by main: grew >= 100 ms %d, >= its own last reading %d\n",
         s1 - s0 >= 100 * MS, s1 >= own);
  printf("sleeper's clock read by main meanwhile: grew < 20 ms %d\n", z1 - z0 < 20 * MS);
  sem_post(&spinner_may_exit);
  sync_join(sp);
  sem_post(&wake_sleeper);
  sync_join(sl);

  struct timespec res;
  clockid_t main_clock;
  pthread_getcpuclockid(pthread_self(), &main_clock);
  int r = clock_getres(CLOCK_THREAD_CPUTIME_ID, &res);
  printf("clock_getres(CLOCK_THREAD_CPUTIME_ID) %d, fine %d\n", r,
         res.tv_sec == 0 && res.tv_nsec > 0);
  r = clock_getres(main_clock, &res);
  printf("clock_getres(main's clock) %d, fine %d\n", r, res.tv_sec == 0 && res.tv_nsec > 0);
  long long a = self_cpu(), b = cpu_of(main_clock);
  struct timespec ts;
  long rs = syscall(SYS_clock_gettime, CLOCK_THREAD_CPUTIME_ID, &ts);
  long long c = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, d = self_cpu();
  printf("main's clock three ways in order: %d %d\n", rs == 0, a <= b && b <= c && c <= d);

  SYNC_CHECK(pipe(pipefd) == 0, "pipe");
  sync_start(&t, blocker, NULL, 0);
  for (int round = 0; round < 3; round++) {
    usleep(50000);
    SYNC_CHECK(write(pipefd[1], "x", 1) == 1, "write");
  }
  sync_join(t);

  // An exited thread (not joined yet) has no clock: ESRCH, as NPTL once the
  // kernel has cleared its tid, and the clock id it had names nothing.
  sem_t go;
  sem_init(&go, 0, 0);
  sync_start(&t, quick, &go, 0);
  clockid_t gone_clock, unused;
  printf("pthread_getcpuclockid of a live thread: %d\n", pthread_getcpuclockid(t, &gone_clock));
  sem_post(&go);
  long long deadline = sync_now_ns(CLOCK_MONOTONIC) + 10000 * MS;
  while (pthread_getcpuclockid(t, &unused) == 0 && sync_now_ns(CLOCK_MONOTONIC) < deadline)
    usleep(1000);
  printf("pthread_getcpuclockid of an exited thread: %s\n",
         strerror(pthread_getcpuclockid(t, &unused)));
  errno = 0;
  r = clock_gettime(gone_clock, &ts);
  printf("clock_gettime on its clock: %d %s\n", r, strerror(errno));
  sync_join(t);
  return 0;
}
