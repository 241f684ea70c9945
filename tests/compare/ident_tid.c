// ident_tid: a thread's id (gettid, syscall(SYS_gettid)) is the process id
// in the main thread, stable across blocking calls, sleeps and yields
// (migrations under weft), unique among live threads; tgkill, tkill
// (syscall) and sched_* / affinity calls with such an id reach that thread,
// and an id of a thread that has exited names nothing (ESRCH).
// Under weft also: no id is a kernel task's (ids of other threads are not
// entries of /proc/self/task, which lists weft's kernel threads: fewer than
// the threads), and gettid in a handler that tgkill ran is the target's.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sync_common.h"

enum { kThreads = 40 };

static pid_t ids[kThreads];
static pthread_t threads[kThreads];
static sem_t ready, release;
static int pipes[kThreads][2];
static _Atomic pid_t handled_in[kThreads];  // gettid() seen by the handler
static atomic_int handled_count;
static atomic_int spinners_stop;

static __thread int my_index = -1;

static void on_usr1(int sig) {
  (void)sig;
  if (my_index >= 0) atomic_store(&handled_in[my_index], gettid());
  atomic_fetch_add(&handled_count, 1);
}

static void* spinner(void* a) {
  (void)a;
  while (!atomic_load(&spinners_stop)) {
    volatile long x = 0;
    for (int i = 0; i < 10000; i++) x += i;
  }
  return NULL;
}

static void check_same(int i, const char* after) {
  pid_t a = gettid(), b = (pid_t)syscall(SYS_gettid);
  SYNC_CHECK(a == ids[i] && b == ids[i], "thread %d: id %d became %d/%d after %s", i, ids[i], a,
             b, after);
}

static void* worker(void* arg) {
  int i = (int)(long)arg;
  my_index = i;
  ids[i] = gettid();
  SYNC_CHECK(ids[i] > 0 && ids[i] != getpid(), "thread %d: id %d", i, ids[i]);
  check_same(i, "start");
  for (int k = 0; k < 5; k++) {
    usleep(200);
    check_same(i, "usleep");
    sched_yield();
    check_same(i, "sched_yield");
    syscall(SYS_nanosleep, &(struct timespec){0, 100000}, NULL);  // held in the kernel
    check_same(i, "a raw nanosleep");
  }
  sem_post(&ready);
  // Blocked in read until main has signalled it; the handler runs here.
  char c;
  ssize_t n;
  do n = read(pipes[i][0], &c, 1);
  while (n < 0 && errno == EINTR);
  SYNC_CHECK(n == 1, "read");
  check_same(i, "read");
  sem_wait(&release);
  check_same(i, "sem_wait");
  return NULL;
}

static int exists_in_task_dir(pid_t id) {
  char path[64];
  struct stat st;
  snprintf(path, sizeof path, "/proc/self/task/%d", id);
  return stat(path, &st) == 0;
}

static void* quick(void* a) {
  *(pid_t*)a = gettid();
  return NULL;
}

static void* to_main(void* a) {
  (void)a;
  SYNC_CHECK(tgkill(getpid(), getpid(), SIGUSR1) == 0, "tgkill to the main thread");
  return NULL;
}

int main(void) {
  struct sigaction sa = {.sa_handler = on_usr1};
  sigaction(SIGUSR1, &sa, NULL);
  pid_t pid = getpid();
  printf("main: gettid==getpid %d, syscall form %d\n", gettid() == pid,
         (pid_t)syscall(SYS_gettid) == pid);
  sem_init(&ready, 0, 0);
  sem_init(&release, 0, 0);
  pthread_t spin[2];
  for (int i = 0; i < 2; i++) sync_start(&spin[i], spinner, NULL, 0);
  for (int i = 0; i < kThreads; i++) {
    SYNC_CHECK(pipe(pipes[i]) == 0, "pipe");
    sync_start(&threads[i], worker, (void*)(long)i, 64 * 1024);
  }
  for (int i = 0; i < kThreads; i++) sem_wait(&ready);
  int unique = 1;
  for (int i = 0; i < kThreads; i++)
    for (int j = i + 1; j < kThreads; j++) unique &= ids[i] != ids[j];
  printf("%d threads: ids stable across sleeps, yields and blocking calls; unique %d\n", kThreads,
         unique);
  printf("main after blocking: gettid==getpid %d\n", gettid() == pid);

  // Signals by id: tgkill, and syscall's tgkill and tkill, a third each.
  for (int i = 0; i < kThreads; i++) {
    int r;
    if (i % 3 == 0)
      r = tgkill(pid, ids[i], SIGUSR1);
    else if (i % 3 == 1)
      r = (int)syscall(SYS_tgkill, pid, ids[i], SIGUSR1);
    else
      r = (int)syscall(SYS_tkill, ids[i], SIGUSR1);
    SYNC_CHECK(r == 0, "signal %d: %s", i, strerror(errno));
  }
  long long deadline = sync_now_ns(CLOCK_MONOTONIC) + 10000000000LL;
  while (atomic_load(&handled_count) < kThreads && sync_now_ns(CLOCK_MONOTONIC) < deadline)
    usleep(1000);
  int right = 0;
  for (int i = 0; i < kThreads; i++) right += atomic_load(&handled_in[i]) == ids[i];
  printf("signals by id: %d handled, %d in their target thread\n", atomic_load(&handled_count),
         right);
  printf("tgkill sig 0 to a live thread: %d\n", tgkill(pid, ids[0], 0));
  int r = tgkill(pid, ids[0], 999);
  printf("tgkill bad signal: %d %s\n", r, strerror(errno));
  r = tgkill(pid, 0, SIGUSR1);
  printf("tgkill id 0: %d %s\n", r, strerror(errno));
  r = (int)syscall(SYS_tkill, -1, SIGUSR1);
  printf("tkill id -1: %d %s\n", r, strerror(errno));

  // Another thread's scheduling and affinity by its id.
  printf("sched_getscheduler(id) %d\n", sched_getscheduler(ids[1]));
  struct sched_param sp = {0};
  printf("sched_setscheduler(id, SCHED_BATCH) %d\n", sched_setscheduler(ids[1], SCHED_BATCH, &sp));
  int policy;
  pthread_getschedparam(threads[1], &policy, &sp);
  printf("that thread's policy is SCHED_BATCH %d; main's SCHED_OTHER %d\n", policy == SCHED_BATCH,
         sched_getscheduler(0) == SCHED_OTHER);
  cpu_set_t all, one, got;
  SYNC_CHECK(sched_getaffinity(0, sizeof all, &all) == 0, "sched_getaffinity");
  int first = 0;
  while (!CPU_ISSET(first, &all)) first++;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  printf("sched_setaffinity(id) %d\n", sched_setaffinity(ids[2], sizeof one, &one));
  pthread_getaffinity_np(threads[2], sizeof got, &got);
  printf("its mask is that CPU %d\n", CPU_EQUAL(&got, &one));
  sched_getaffinity(ids[2], sizeof got, &got);
  printf("sched_getaffinity(id) agrees %d\n", CPU_EQUAL(&got, &one));
  sched_getaffinity(0, sizeof got, &got);
  printf("main's mask unchanged %d\n", CPU_EQUAL(&got, &all));

  // The main thread by its id, from another thread.
  atomic_store(&handled_count, 0);
  my_index = -1;
  pthread_t t;
  sync_start(&t, to_main, NULL, 0);
  sync_join(t);
  deadline = sync_now_ns(CLOCK_MONOTONIC) + 10000000000LL;
  while (atomic_load(&handled_count) < 1 && sync_now_ns(CLOCK_MONOTONIC) < deadline) usleep(1000);
  printf("tgkill(pid, pid) from a thread: handled %d\n", atomic_load(&handled_count));
  printf("main's id in /proc/self/task %d\n", exists_in_task_dir(pid));

  if (sync_under_weft()) {
    for (int i = 0; i < kThreads; i++)
      SYNC_CHECK(!exists_in_task_dir(ids[i]), "thread %d's id %d is a kernel task", i, ids[i]);
    int tasks = sync_kernel_tasks();
    SYNC_CHECK(tasks > 0 && tasks < kThreads, "%d kernel tasks for %d threads", tasks, kThreads);
  }

  for (int i = 0; i < kThreads; i++) SYNC_CHECK(write(pipes[i][1], "x", 1) == 1, "write");
  for (int i = 0; i < kThreads; i++) sem_post(&release);
  for (int i = 0; i < kThreads; i++) sync_join(threads[i]);
  atomic_store(&spinners_stop, 1);
  for (int i = 0; i < 2; i++) sync_join(spin[i]);

  // A thread that has exited: its id names nothing.
  pid_t gone;
  sync_start(&t, quick, &gone, 0);
  sync_join(t);
  r = tgkill(pid, gone, 0);
  printf("tgkill to an exited thread: %d %s\n", r, strerror(errno));
  r = sched_getscheduler(gone);
  printf("sched_getscheduler of an exited thread: %d %s\n", r, strerror(errno));
  return 0;
}
