/* tests/compare/io_max_threads.c — the cap on weft's kernel threads
 * (WEFT_MAX_THREADS, issue 10 §4): reaching it says so once and the work
 * that needs a kernel thread waits; never a crash, never more threads.
 *
 * The program runs itself again with WEFT_MAX_THREADS=4 (ignored natively).
 * There, 12 threads each make a 150 ms sleep with an inline `syscall`
 * instruction, which weft cannot park: each holds a kernel thread, and the
 * monitor wants a new one for the others every time. Under weft the child
 * checks that the process never has more than the 4 kernel threads plus the
 * monitor, the thread spawner and the signal thread, that exactly one
 * "weft:" line about the cap reached its stderr, and every sleep ended. The output is the same
 * natively.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "io_common.h"

#define THREADS 12
#define CAP 4
#define SLEEP_NS (150 * 1000000LL)

static void* raw_sleeper(void* arg) {
  struct timespec t = sync_ts(SLEEP_NS);
  long r = io_raw_syscall3(SYS_nanosleep, (long)&t, 0, 0);
  return (void*)(r == 0 ? 1L : 0L);
}

static void* sample_tasks(void* arg) {
  io_sample_kernel_tasks(CAP + 3, 400 * 1000000LL, "at the cap");
  return NULL;
}

static int child(void) {
  /* weft's warning goes to fd 2: catch it in a pipe. */
  int err[2];
  SYNC_CHECK(pipe2(err, O_CLOEXEC | O_NONBLOCK) == 0, "pipe2");
  int saved = dup(2);
  dup2(err[1], 2);
  pthread_t t[THREADS], sampler;
  for (int i = 0; i < THREADS; i++) sync_start(&t[i], raw_sleeper, NULL, 64 * 1024);
  sync_start(&sampler, sample_tasks, NULL, 64 * 1024);
  int ended = 0;
  for (int i = 0; i < THREADS; i++) {
    void* ok;
    SYNC_CHECK(pthread_join(t[i], &ok) == 0, "join");
    ended += ok != NULL;
  }
  sync_join(sampler);
  dup2(saved, 2);
  char buf[4096];
  ssize_t n = read(err[0], buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = '\0';
  if (sync_under_weft()) {
    int lines = 0;
    for (char* p = buf; (p = strstr(p, "weft: the cap on kernel threads")) != NULL; p++) lines++;
    SYNC_CHECK(lines == 1, "%d warnings about the cap (want 1); stderr: %s", lines, buf);
  }
  printf("%d threads in raw sleeps: %d ended\n", THREADS, ended);
  return 0;
}

int main(int argc, char** argv) {
  io_watchdog(IO_WATCHDOG_S);
  if (argc > 1) return child();
  char* args[] = {argv[0], "child", NULL};
  int out;
  pid_t pid = io_spawn_self_env(args, "WEFT_MAX_THREADS=4", &out);
  char buf[256];
  long n = io_read_full(out, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = '\0';
  io_wait_child_ok(pid, "child with WEFT_MAX_THREADS=4");
  fputs(buf, stdout);
  return 0;
}
