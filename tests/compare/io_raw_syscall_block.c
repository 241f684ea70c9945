/* tests/compare/io_raw_syscall_block.c — threads stuck in a raw `read`
 * system call (an inline `syscall` instruction, no libc function: weft cannot
 * interpose it) must not stop the other threads (issue 10, acceptance 1).
 *
 * Four threads each enter a raw read on their own empty pipe. The main thread
 * waits until the kernel shows all four kernel threads inside read(2) on
 * those pipes (/proc/self/task/T/syscall), then creates, runs and joins 200
 * threads; that must take well under a second (checked: < 2 s; printed:
 * nothing about time). Under weft at WEFT_PROCS=1 each reader holds an M in
 * the kernel, so the monitor must see the stuck Ms and hand their P on: the
 * kernel thread count grows (at least the four readers plus a thread running
 * main, and more than before), and once the readers have their byte and are
 * joined it shrinks back to what it was before, plus at most
 * IDLE_M_RESERVE idle Ms kept in reserve, within SHRINK_DEADLINE_NS (idle
 * Ms exit after a while). The counts are checked, never printed.
 */
#define _GNU_SOURCE
#include <semaphore.h>
#include <stdatomic.h>

#include "io_common.h"

#define READERS 4
#define WORKERS 200
#define WORKERS_MAX_NS (2 * 1000000000LL)
/* Idle Ms the runtime may keep once a burst of blocking is over. */
#define IDLE_M_RESERVE 2
#define SHRINK_DEADLINE_NS (5 * 1000000000LL)

static int pipes[READERS][2];
static int read_fds[READERS];
static sem_t entering;
static atomic_int worker_runs;

static void* reader(void* arg) {
  long i = (long)arg;
  char c = 0;
  sem_post(&entering);
  long r = io_raw_syscall3(SYS_read, pipes[i][0], (long)&c, 1);
  return (void*)(r == 1 && c == (char)('a' + i) ? 1L : 0L);
}

static void* worker(void* arg) {
  atomic_fetch_add(&worker_runs, 1);
  return arg;
}

int main(void) {
  io_watchdog(IO_WATCHDOG_S);
  sem_init(&entering, 0, 0);
  for (int i = 0; i < READERS; ++i) {
    SYNC_CHECK(pipe2(pipes[i], O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
    read_fds[i] = pipes[i][0];
  }
  /* The baseline is taken once the runtime has started whatever threads it
   * starts with the first pthread_create. */
  pthread_t warm_up;
  sync_start(&warm_up, worker, NULL, 64 * 1024);
  sync_join(warm_up);
  io_sleep_ns(20 * 1000000LL);
  atomic_store(&worker_runs, 0);
  int before = sync_kernel_tasks();

  pthread_t readers[READERS];
  for (long i = 0; i < READERS; ++i) sync_start(&readers[i], reader, (void*)i, 64 * 1024);
  for (int i = 0; i < READERS; ++i) SYNC_CHECK(sem_wait(&entering) == 0, "sem_wait");
  /* Bounded wait until the kernel shows all four inside read(2). */
  long long end = sync_now_ns(CLOCK_MONOTONIC) + 10 * 1000000000LL;
  int in_read;
  while ((in_read = io_tasks_in_syscall(SYS_read, read_fds, READERS)) < READERS &&
         sync_now_ns(CLOCK_MONOTONIC) < end)
    io_sleep_ns(1000000);
  SYNC_CHECK(in_read == READERS, "%d of %d readers seen in read(2)", in_read, READERS);
  printf("readers: all blocked in a raw read system call\n");

  long long t0 = sync_now_ns(CLOCK_MONOTONIC);
  pthread_t w[WORKERS];
  for (long i = 0; i < WORKERS; ++i) sync_start(&w[i], worker, (void*)i, 64 * 1024);
  for (long i = 0; i < WORKERS; ++i) {
    void* r;
    SYNC_CHECK(pthread_join(w[i], &r) == 0 && r == (void*)i, "join worker %ld", i);
  }
  long long took = sync_now_ns(CLOCK_MONOTONIC) - t0;
  SYNC_CHECK(atomic_load(&worker_runs) == WORKERS, "%d of %d workers ran", atomic_load(&worker_runs),
             WORKERS);
  SYNC_CHECK(took < WORKERS_MAX_NS, "200 threads took %lld ms while readers blocked",
             took / 1000000);
  printf("workers: created, ran and joined while the readers blocked\n");

  int during = sync_kernel_tasks();
  SYNC_CHECK(during >= READERS + 1 && during > before,
             "%d kernel tasks while %d threads block in the kernel (%d before)", during, READERS,
             before);
  SYNC_CHECK(io_tasks_in_syscall(SYS_read, read_fds, READERS) == READERS,
             "a reader left read(2) before it had data");

  for (int i = 0; i < READERS; ++i) {
    char c = (char)('a' + i);
    SYNC_CHECK(write(pipes[i][1], &c, 1) == 1, "write: %s", strerror(errno));
  }
  for (int i = 0; i < READERS; ++i) {
    void* r;
    SYNC_CHECK(pthread_join(readers[i], &r) == 0, "join reader");
    SYNC_CHECK(r == (void*)1L, "reader %d did not read its byte", i);
  }
  printf("readers: each read its own byte\n");

  int after = io_wait_kernel_tasks_at_most(before + IDLE_M_RESERVE, SHRINK_DEADLINE_NS);
  SYNC_CHECK(after <= before + IDLE_M_RESERVE,
             "%d kernel tasks %lld s after the readers finished (%d before, %d reserve)", after,
             SHRINK_DEADLINE_NS / 1000000000LL, before, IDLE_M_RESERVE);
  for (int i = 0; i < READERS; ++i) {
    close(pipes[i][0]);
    close(pipes[i][1]);
  }
  return 0;
}
