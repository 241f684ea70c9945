/* tests/compare/sync_robust.c — robust mutexes whose owner dies: a thread
 * that ends, a child process killed with SIGKILL while its main thread or
 * another thread holds a process-shared robust mutex, and a waiter in a
 * third process.
 *
 * The kernel marks a robust futex FUTEX_OWNER_DIED at task exit only when the
 * futex word holds that task's real tid and the mutex is on the task's
 * registered robust list. So under weft the interesting children are the
 * fork-only ones (still running weft); children that exec this program again
 * with LD_PRELOAD removed from the environment run natively and check that
 * weft's side of a shared mutex interoperates with plain NPTL.
 *
 * The shared mutex lives in a memfd mapped MAP_SHARED (the fd survives exec).
 * Children tell the parent "I hold it" through a pipe; the parent then kills
 * them. No sleeps: every step waits for an event. Locks that NPTL grants at
 * once or at the holder's death are bounded at 20 s (clocklock), so a death
 * that goes unnoticed fails with ETIMEDOUT instead of hanging the run.
 *
 * Exec'd child mode: argv = {self, "--child", mode, memfd, pipe-write-fd}.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sync_common.h"

struct shm {
  pthread_mutex_t m;
};

static int g_memfd = -1;
static struct shm* g_shm;

static const char* err_name(int r) {
  if (r == 0) return "0";
  const char* n = strerrorname_np(r);
  return n ? n : "an unknown error";
}

static void init_robust(pthread_mutex_t* m, int pshared, int type) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutexattr_setpshared(&a, pshared);
  pthread_mutexattr_settype(&a, type);
  SYNC_CHECK(pthread_mutex_init(m, &a) == 0, "mutex_init");
  pthread_mutexattr_destroy(&a);
}

static void map_shm(int fd) {
  void* p = mmap(NULL, sizeof(struct shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  SYNC_CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
  g_shm = p;
}

/* A failed check ends its section (reported on stderr); the other sections
 * still run, and the exit status is 1 if any failed. Failures of the test's
 * own plumbing (fork, pipe, mmap) stop the program with SYNC_CHECK. */
static int g_failures;

static void section_failed(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sync_vreport(fmt, ap);
  va_end(ap);
  g_failures++;
}

#define SECTION_CHECK(cond, ...)   \
  do {                             \
    if (!(cond)) {                 \
      section_failed(__VA_ARGS__); \
      return;                      \
    }                              \
  } while (0)

/* Locks with a 20 s bound on CLOCK_MONOTONIC where NPTL returns at once (or as
 * soon as the holder dies), so that a death that goes unnoticed is reported as
 * ETIMEDOUT instead of hanging the run. */
static int lock_bounded(pthread_mutex_t* m) {
  struct timespec d = sync_deadline(CLOCK_MONOTONIC, 20LL * 1000000000LL);
  return pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &d);
}

/* The parent's view after the owner died: lock must say EOWNERDEAD; then
 * repair and check it is an ordinary mutex again. */
static void expect_ownerdead_and_repair(const char* what, int lock_result) {
  SECTION_CHECK(lock_result == EOWNERDEAD, "%s: lock gave %s", what, err_name(lock_result));
  SECTION_CHECK(pthread_mutex_consistent(&g_shm->m) == 0, "%s: consistent", what);
  SECTION_CHECK(pthread_mutex_unlock(&g_shm->m) == 0, "%s: unlock", what);
  int r = pthread_mutex_trylock(&g_shm->m);
  SECTION_CHECK(r == 0, "%s: relock gave %s", what, err_name(r));
  pthread_mutex_unlock(&g_shm->m);
  printf("%s: EOWNERDEAD, made consistent, usable again\n", what);
  fflush(stdout);
}

/* ---- holding the mutex in a child ----------------------------------------- */

static void signal_held(int wfd) {
  char c = 'h';
  SYNC_CHECK(write(wfd, &c, 1) == 1, "pipe write");
}

static void* hold_in_thread(void* arg) {
  int wfd = (int)(long)arg;
  int r = pthread_mutex_lock(&g_shm->m);
  if (r != 0) _exit(100 + r % 100);
  signal_held(wfd);
  for (;;) pause();
}

/* Locks the shared mutex (in this thread or a new one), reports, then waits
 * to be killed. */
static void hold_until_killed(int in_thread, int wfd) {
  if (in_thread) {
    pthread_t t;
    sync_start(&t, hold_in_thread, (void*)(long)wfd, 0);
    pthread_join(t, NULL);  /* never returns */
    _exit(99);
  }
  int r = pthread_mutex_lock(&g_shm->m);
  if (r != 0) _exit(100 + r % 100);
  signal_held(wfd);
  for (;;) pause();
}

/* What a child does, by mode: "hold-main" / "hold-thread" lock the mutex and
 * wait to be killed; "lock-report" waits for the mutex (until its holder dies),
 * repairs it, and returns the lock result as the exit code. */
static int run_mode(const char* mode, int wfd) {
  if (strcmp(mode, "hold-main") == 0) hold_until_killed(0, wfd);
  if (strcmp(mode, "hold-thread") == 0) hold_until_killed(1, wfd);
  if (strcmp(mode, "lock-report") == 0) {
    int r = lock_bounded(&g_shm->m);
    if (r == EOWNERDEAD) pthread_mutex_consistent(&g_shm->m);
    if (r == 0 || r == EOWNERDEAD) pthread_mutex_unlock(&g_shm->m);
    return r;
  }
  return 97;
}

/* Starts a child that runs `mode` on the shared mutex, by fork only or by
 * fork + exec of this program without LD_PRELOAD. Returns its pid. */
static pid_t spawn(const char* mode, int exec_native, int wfd) {
  if (exec_native) {
    char fdbuf[16], wbuf[16];
    snprintf(fdbuf, sizeof fdbuf, "%d", g_memfd);
    snprintf(wbuf, sizeof wbuf, "%d", wfd);
    char* argv[] = {"sync_robust", "--child", (char*)mode, fdbuf, wbuf, NULL};
    return sync_spawn_native_self(argv);
  }
  fflush(NULL);
  pid_t pid = fork();
  SYNC_CHECK(pid >= 0, "fork: %s", strerror(errno));
  if (pid == 0) _exit(run_mode(mode, wfd));
  return pid;
}

/* The exec'd child: map the inherited memfd and run the mode. */
static int child_main(int argc, char** argv) {
  if (argc < 5) return 96;
  g_memfd = atoi(argv[3]);
  map_shm(g_memfd);
  return run_mode(argv[2], atoi(argv[4]));
}

static int exit_code(pid_t pid) {
  int st = 0;
  SYNC_CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s", strerror(errno));
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* Starts a holder child, waits until it holds the mutex, returns its pid. */
static pid_t start_holder(int in_thread, int exec_native) {
  int p[2];
  SYNC_CHECK(pipe(p) == 0, "pipe");
  pid_t pid = spawn(in_thread ? "hold-thread" : "hold-main", exec_native, p[1]);
  close(p[1]);
  char c;
  ssize_t n = read(p[0], &c, 1);
  close(p[0]);
  if (n != 1) sync_die("holder child exited with %d before locking", exit_code(pid));
  return pid;
}

static void kill_and_reap(pid_t pid) {
  SYNC_CHECK(kill(pid, SIGKILL) == 0, "kill");
  int code = exit_code(pid);
  SYNC_CHECK(code == 1000 + SIGKILL, "holder ended with %d, not SIGKILL", code);
}

/* ---- sections ---------------------------------------------------------------- */

static void* lock_and_return(void* arg) {
  return (void*)(long)pthread_mutex_lock(arg);
}

static void* lock_bounded_and_return(void* arg) {
  return (void*)(long)lock_bounded(arg);
}

static void thread_exit_section(int pshared, const char* what) {
  init_robust(&g_shm->m, pshared, PTHREAD_MUTEX_NORMAL);
  pthread_t t;
  void* res;
  sync_start(&t, lock_and_return, &g_shm->m, 0);
  pthread_join(t, &res);
  SECTION_CHECK(res == NULL, "%s: owner thread's lock failed", what);
  expect_ownerdead_and_repair(what, lock_bounded(&g_shm->m));
}

static void killed_holder_section(int in_thread, int exec_native, const char* what) {
  init_robust(&g_shm->m, PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_ERRORCHECK);
  pid_t pid = start_holder(in_thread, exec_native);
  int r = pthread_mutex_trylock(&g_shm->m);
  SECTION_CHECK(r == EBUSY, "%s: trylock while the child holds it gave %s", what, err_name(r));
  kill_and_reap(pid);
  expect_ownerdead_and_repair(what, lock_bounded(&g_shm->m));
}

/* A thread of this process is (or soon will be) blocked in lock when the
 * holder is killed; the kernel's death handling must hand it EOWNERDEAD. */
static void blocked_waiter_section(int exec_native, const char* what) {
  init_robust(&g_shm->m, PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_NORMAL);
  pid_t pid = start_holder(1, exec_native);
  pthread_t t;
  sync_start(&t, lock_bounded_and_return, &g_shm->m, 0);
  kill_and_reap(pid);
  void* res;
  pthread_join(t, &res);
  /* The waiter thread holds it now (inconsistent) and has exited: relocking
   * here sees EOWNERDEAD again, for this process. */
  SECTION_CHECK((long)res == EOWNERDEAD, "%s: waiter got %s", what, err_name((int)(long)res));
  expect_ownerdead_and_repair(what, lock_bounded(&g_shm->m));
}

/* Three processes: a weft (fork-only) child holds it from a thread, a native
 * (exec'd) child waits for it, the parent kills the holder. */
static void native_waiter_section(void) {
  const char* what = "native waiter process, holder killed";
  init_robust(&g_shm->m, PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_NORMAL);
  pid_t holder = start_holder(1, 0);
  pid_t waiter = spawn("lock-report", 1, -1);
  kill_and_reap(holder);
  int code = exit_code(waiter);
  SECTION_CHECK(code == EOWNERDEAD, "%s: waiter reported %d", what, code);
  int r = pthread_mutex_trylock(&g_shm->m);
  SECTION_CHECK(r == 0, "%s: relock gave %s", what, err_name(r));
  pthread_mutex_unlock(&g_shm->m);
  printf("%s: EOWNERDEAD in the waiter, repaired there\n", what);
  fflush(stdout);
}

/* Not made consistent: every process then gets ENOTRECOVERABLE. */
static void not_recoverable_section(void) {
  const char* what = "unlocked without consistent";
  init_robust(&g_shm->m, PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_NORMAL);
  kill_and_reap(start_holder(0, 0));
  int r = lock_bounded(&g_shm->m);
  SECTION_CHECK(r == EOWNERDEAD, "%s: lock gave %s", what, err_name(r));
  SECTION_CHECK(pthread_mutex_unlock(&g_shm->m) == 0, "%s: unlock", what);
  int fork_child = exit_code(spawn("lock-report", 0, -1));
  int native_child = exit_code(spawn("lock-report", 1, -1));
  r = lock_bounded(&g_shm->m);
  SECTION_CHECK(fork_child == ENOTRECOVERABLE && native_child == ENOTRECOVERABLE &&
                 r == ENOTRECOVERABLE,
             "%s: fork child %d, native child %d, parent %s", what, fork_child, native_child,
             err_name(r));
  printf("%s: ENOTRECOVERABLE in parent, fork child and native child\n", what);
  fflush(stdout);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--child") == 0) return child_main(argc, argv);

  g_memfd = memfd_create("weft-sync-robust", 0);  /* no CLOEXEC: passed to exec'd children */
  SYNC_CHECK(g_memfd >= 0, "memfd_create: %s", strerror(errno));
  SYNC_CHECK(ftruncate(g_memfd, sizeof(struct shm)) == 0, "ftruncate");
  map_shm(g_memfd);

  thread_exit_section(PTHREAD_PROCESS_PRIVATE, "thread exits holding a private robust mutex");
  thread_exit_section(PTHREAD_PROCESS_SHARED, "thread exits holding a shared robust mutex");
  killed_holder_section(0, 0, "fork child killed holding it");
  killed_holder_section(1, 0, "fork child killed while its thread holds it");
  killed_holder_section(0, 1, "native exec'd child killed holding it");
  killed_holder_section(1, 1, "native exec'd child killed while its thread holds it");
  blocked_waiter_section(0, "parent thread waiting, fork child killed");
  blocked_waiter_section(1, "parent thread waiting, native child killed");
  native_waiter_section();
  not_recoverable_section();
  return g_failures ? 1 : 0;
}
