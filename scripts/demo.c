// scripts/demo.c — how much one live thread costs: `demo [N]` (default 10000).
//
// Model: the main thread creates N threads with default attributes. Each one
// checks in and then blocks on a condition-variable gate, so all N are alive
// at once. When the last has checked in, main samples memory, opens the gate,
// and joins them all. It prints N, the wall time from the first create to
// the last join, that time per thread, and the memory per thread: VmRSS +
// VmPTE from /proc/self/status at the moment all N are alive, minus the same
// sum before the first create (page tables count because every 8 MiB stack
// needs its own page-table page once touched). The kernel's own per-task
// memory (kernel stack, task struct) is not visible there and not counted.
//
// Safety: run natively with a large N, this program would use up the
// machine's pid space and disturb everything else on it. So while creating it
// watches its kernel task count ("Threads:" in /proc/self/status) and stops
// at DEMO_MAX_TASKS (default 12000), which only native threads reach.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_in = PTHREAD_COND_INITIALIZER;  // main waits here
static pthread_cond_t gate = PTHREAD_COND_INITIALIZER;    // threads wait here
static long arrived;
static long expected;  // set before the first create; lowered on failure
static int open_gate;

static void* worker(void* arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  if (++arrived == expected) pthread_cond_signal(&all_in);
  while (!open_gate) pthread_cond_wait(&gate, &lock);
  pthread_mutex_unlock(&lock);
  return NULL;
}

// Reads "Name:   <value>" fields of /proc/self/status (values in kB or a
// count). Returns -1 when a field is missing.
static long status_field(const char* name) {
  FILE* f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  size_t len = strlen(name);
  long value = -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, name, len) == 0 && line[len] == ':') {
      value = strtol(line + len + 1, NULL, 10);
      break;
    }
  }
  fclose(f);
  return value;
}

static long memory_kib(void) {
  return status_field("VmRSS") + status_field("VmPTE");
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void release_and_join(pthread_t* tids, long n) {
  pthread_mutex_lock(&lock);
  open_gate = 1;
  pthread_cond_broadcast(&gate);
  pthread_mutex_unlock(&lock);
  for (long i = 0; i < n; i++) pthread_join(tids[i], NULL);
}

int main(int argc, char** argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
  const char* cap_env = getenv("DEMO_MAX_TASKS");
  long max_tasks = cap_env ? strtol(cap_env, NULL, 10) : 12000;
  if (n < 1) {
    fprintf(stderr, "usage: %s [threads]  (threads >= 1)\n", argv[0]);
    return 2;
  }
  pthread_t* tids = calloc((size_t)n, sizeof *tids);
  if (!tids) {
    fprintf(stderr, "demo: cannot allocate %ld thread ids\n", n);
    return 1;
  }
  expected = n;
  long base_kib = memory_kib();
  double t0 = now_s();

  long created = 0;
  const char* why = NULL;
  int err = 0;
  for (; created < n; created++) {
    // Checking every 1024 creates keeps the overshoot small and the
    // /proc reads rare.
    if (created % 1024 == 0 && status_field("Threads") > max_tasks) {
      why = "kernel task count passed DEMO_MAX_TASKS (threads are native?)";
      break;
    }
    err = pthread_create(&tids[created], NULL, worker, NULL);
    if (err) {
      why = "pthread_create failed";
      break;
    }
  }
  if (why) {
    pthread_mutex_lock(&lock);
    expected = created;  // the threads already made must not wait for more
    pthread_mutex_unlock(&lock);
    release_and_join(tids, created);
    fprintf(stderr, "demo: stopped after %ld of %ld threads: %s%s%s\n", created,
            n, why, err ? ": " : "", err ? strerror(err) : "");
    free(tids);
    return 1;
  }

  pthread_mutex_lock(&lock);
  while (arrived < n) pthread_cond_wait(&all_in, &lock);
  pthread_mutex_unlock(&lock);
  long live_kib = memory_kib();
  long tasks = status_field("Threads");

  release_and_join(tids, n);
  double total = now_s() - t0;
  free(tids);

  printf("threads: %ld\n", n);
  printf("kernel_tasks: %ld\n", tasks);
  printf("total_s: %.3f\n", total);
  printf("us_per_thread: %.2f\n", total * 1e6 / (double)n);
  printf("kib_per_thread: %.2f\n", (double)(live_kib - base_kib) / (double)n);
  return 0;
}
