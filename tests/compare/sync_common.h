/* tests/compare/sync_common.h — helpers shared by the tests/compare/sync_*
 * programs (C and C++).
 *
 * Model: a compare program prints only lines that are identical natively and
 * under weft (no thread counts that differ, no timings) and exits 0; a broken
 * invariant prints a message to stderr and exits 1. Checks that only make
 * sense under weft (kernel task counts) run when WEFT_TEST_UNDER_WEFT is set
 * and print nothing on success. Sizes that would exceed what a native run may
 * use (10,000 live threads on the test machine) are capped natively by
 * sync_scaled(), and the output never mentions the size.
 */
#ifndef WEFT_TESTS_COMPARE_SYNC_COMMON_H
#define WEFT_TESTS_COMPARE_SYNC_COMMON_H

#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Kernel threads allowed in the process while thousands of threads block
 * under weft (a few Ms per P plus helpers). */
#define SYNC_MAX_KERNEL_TASKS 32

/* Prints "FAIL: <message>" as one line on stderr. */
static inline void sync_vreport(const char* fmt, va_list ap) {
  fputs("FAIL: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

static inline void sync_die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sync_vreport(fmt, ap);
  va_end(ap);
  fflush(stdout);
  exit(1);
}

#define SYNC_CHECK(cond, ...) \
  do {                        \
    if (!(cond)) sync_die(__VA_ARGS__); \
  } while (0)

static inline int sync_under_weft(void) {
  const char* v = getenv("WEFT_TEST_UNDER_WEFT");
  return v && *v && strcmp(v, "0") != 0;
}

/* The number of threads to use: `full` under weft, at most `native_cap` in a
 * native run. */
static inline long sync_scaled(long full, long native_cap) {
  return sync_under_weft() || full <= native_cap ? full : native_cap;
}

/* Entries of /proc/self/task: the kernel threads of this process. */
static inline int sync_kernel_tasks(void) {
  DIR* d = opendir("/proc/self/task");
  if (!d) return -1;
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

/* Under weft: fails when the process has more kernel threads than allowed. */
static inline void sync_check_kernel_tasks(const char* when) {
  if (!sync_under_weft()) return;
  int n = sync_kernel_tasks();
  SYNC_CHECK(n > 0 && n <= SYNC_MAX_KERNEL_TASKS, "%s: %d kernel tasks (limit %d)", when, n,
             SYNC_MAX_KERNEL_TASKS);
}

/* Creates a thread with a small stack (these programs create thousands). */
static inline void sync_start(pthread_t* t, void* (*fn)(void*), void* arg, size_t stack) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  if (stack) pthread_attr_setstacksize(&a, stack);
  int r = pthread_create(t, &a, fn, arg);
  pthread_attr_destroy(&a);
  SYNC_CHECK(r == 0, "pthread_create: %s", strerror(r));
}

static inline void sync_join(pthread_t t) {
  int r = pthread_join(t, NULL);
  SYNC_CHECK(r == 0, "pthread_join: %s", strerror(r));
}

static inline long long sync_now_ns(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static inline struct timespec sync_ts(long long ns) {
  struct timespec t;
  t.tv_sec = ns / 1000000000LL;
  t.tv_nsec = ns % 1000000000LL;
  return t;
}

/* An absolute deadline `ns` from now on clock `c`. */
static inline struct timespec sync_deadline(clockid_t c, long long ns) {
  return sync_ts(sync_now_ns(c) + ns);
}

/* A deadline an hour away: timed waits that end only by being woken. */
#define SYNC_FAR_NS (3600LL * 1000000000LL)

/* Runs this program again in a child process, natively: fork + execve of
 * /proc/self/exe with `argv` and the environment minus LD_PRELOAD (so the
 * child never loads weft, even when this process runs under it). Returns the
 * child's pid. */
static inline pid_t sync_spawn_native_self(char* const argv[]) {
  extern char** environ;
  size_t n = 0;
  while (environ[n]) n++;
  char** env = (char**)calloc(n + 1, sizeof *env);
  SYNC_CHECK(env != NULL, "calloc");
  size_t k = 0;
  for (size_t i = 0; i < n; ++i)
    if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0) env[k++] = environ[i];
  env[k] = NULL;
  fflush(NULL);
  pid_t pid = fork();
  SYNC_CHECK(pid >= 0, "fork");
  if (pid == 0) {
    execve("/proc/self/exe", argv, env);
    _exit(98);
  }
  free(env);
  return pid;
}

/* A start gate: threads arrive and block until the main thread, once all
 * `expected` have arrived, opens it. Makes the threads of a phase contend
 * instead of running one after another as they are created. */
struct sync_gate {
  pthread_mutex_t m;
  pthread_cond_t c;
  long expected, arrived;
  int open;
};

static inline void sync_gate_init(struct sync_gate* g, long expected) {
  pthread_mutex_init(&g->m, NULL);
  pthread_cond_init(&g->c, NULL);
  g->expected = expected;
  g->arrived = 0;
  g->open = 0;
}

static inline void sync_gate_arrive(struct sync_gate* g) {
  pthread_mutex_lock(&g->m);
  if (++g->arrived == g->expected) pthread_cond_broadcast(&g->c);
  while (!g->open) pthread_cond_wait(&g->c, &g->m);
  pthread_mutex_unlock(&g->m);
}

/* Waits until every thread has arrived (all are then blocked in
 * pthread_cond_wait), runs `while_all_blocked` (may be NULL), then opens. */
static inline void sync_gate_open(struct sync_gate* g, void (*while_all_blocked)(void)) {
  pthread_mutex_lock(&g->m);
  while (g->arrived < g->expected) pthread_cond_wait(&g->c, &g->m);
  if (while_all_blocked) while_all_blocked();
  g->open = 1;
  pthread_cond_broadcast(&g->c);
  pthread_mutex_unlock(&g->m);
}

static inline void sync_gate_destroy(struct sync_gate* g) {
  pthread_cond_destroy(&g->c);
  pthread_mutex_destroy(&g->m);
}

#endif /* WEFT_TESTS_COMPARE_SYNC_COMMON_H */
