/* tests/compare/io_many_readers.c — threads blocked in read/recv hold no
 * kernel thread and no P (issue 10, acceptance 2).
 *
 * Part 1: two threads blocked in read at WEFT_PROCS=64 do not stop the main
 * thread. A program cannot choose its own WEFT_PROCS, so this part runs in a
 * child: this program again (argv[1] = "--two-readers") with WEFT_PROCS=64
 * added to the environment (natively the variable means nothing and the child
 * runs the same code). The child's main thread, once both readers are
 * blocked, creates and joins threads and sleeps on a timer (work that was
 * stranded on the readers' Ps), then feeds the readers; the parent checks the
 * child's output and exit status.
 *
 * Part 2: 2,000 threads each block in read (on its own pipe) or recv (on its
 * own socketpair). While they block, the process has at most MAX_TASKS kernel
 * threads under weft (sampled for a while). The main thread then writes each
 * one its own bytes, in a scrambled order, and closes the writing ends: each
 * reader must get exactly its bytes and then end of file.
 */
#define _GNU_SOURCE
#include <semaphore.h>
#include <stdatomic.h>

#include "io_common.h"

#define READERS 2000
#define MAX_TASKS 32
#define MAX_LEN 200

struct chan {
  int fd[2];   /* fd[0]: the reader's end, fd[1]: main's */
  int socket;  /* recv on a socketpair rather than read on a pipe */
  int ok;
};

static struct chan chans[READERS];
static sem_t announced;

static size_t len_of(long i) { return 1 + (size_t)(i * 37 % MAX_LEN); }

/* Reads until end of file; the byte count, or -errno. */
static long read_to_eof(const struct chan* c, unsigned char* buf, size_t cap) {
  size_t got = 0;
  for (;;) {
    ssize_t r = c->socket ? recv(c->fd[0], buf + got, cap - got, 0)
                          : read(c->fd[0], buf + got, cap - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -errno;
    if (r == 0) return (long)got;
    got += (size_t)r;
    if (got == cap) return (long)got;  /* more than expected: a failure */
  }
}

static void* reader(void* arg) {
  long i = (long)arg;
  struct chan* c = &chans[i];
  unsigned char buf[MAX_LEN + 1];
  sem_post(&announced);
  long got = read_to_eof(c, buf, sizeof buf);
  c->ok = got == (long)len_of(i) && io_mismatch(buf, (size_t)got, (uint64_t)i, 0) < 0;
  return NULL;
}

static void open_chan(struct chan* c, int socket) {
  c->socket = socket;
  int r = socket ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->fd)
                 : pipe2(c->fd, O_CLOEXEC);
  SYNC_CHECK(r == 0, "%s: %s", socket ? "socketpair" : "pipe2", strerror(errno));
}

static void* noop(void* arg) { return arg; }

/* The child of part 1, run with WEFT_PROCS=64. */
static int two_readers(void) {
  io_watchdog(30);
  sem_init(&announced, 0, 0);
  pthread_t t[2];
  for (long i = 0; i < 2; ++i) {
    open_chan(&chans[i], 0);
    sync_start(&t[i], reader, (void*)i, 64 * 1024);
  }
  for (int i = 0; i < 2; ++i) SYNC_CHECK(sem_wait(&announced) == 0, "sem_wait");
  /* Give the readers time to block; the result does not depend on it. */
  io_sleep_ns(50 * 1000000LL);
  for (int round = 0; round < 50; ++round) {
    pthread_t w;
    sync_start(&w, noop, NULL, 64 * 1024);
    sync_join(w);
  }
  io_sleep_ns(10 * 1000000LL);
  for (long i = 0; i < 2; ++i) {
    unsigned char buf[MAX_LEN];
    io_fill(buf, len_of(i), (uint64_t)i, 0);
    SYNC_CHECK(io_write_all(chans[i].fd[1], buf, len_of(i)) == 0, "write");
    close(chans[i].fd[1]);
  }
  for (int i = 0; i < 2; ++i) {
    sync_join(t[i]);
    SYNC_CHECK(chans[i].ok, "reader %d got wrong data", i);
  }
  printf("two readers blocked: main thread created, joined and slept\n");
  return 0;
}

static void part1(void) {
  char* argv[] = {(char*)"io_many_readers", (char*)"--two-readers", NULL};
  int out;
  pid_t pid = io_spawn_self_env(argv, "WEFT_PROCS=64", &out);
  char buf[256];
  long n = io_read_full(out, buf, sizeof buf - 1);
  close(out);
  io_wait_child_ok(pid, "two readers at WEFT_PROCS=64");
  SYNC_CHECK(n > 0, "two readers: no output");
  buf[n] = '\0';
  SYNC_CHECK(strcmp(buf, "two readers blocked: main thread created, joined and slept\n") == 0,
             "two readers: unexpected output '%s'", buf);
  printf("two readers at WEFT_PROCS=64: the main thread went on\n");
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--two-readers") == 0) return two_readers();
  io_watchdog(IO_WATCHDOG_S);
  setvbuf(stdout, NULL, _IOLBF, 0);
  part1();

  io_raise_nofile(2 * READERS + 64);
  sem_init(&announced, 0, 0);
  pthread_t* t = calloc(READERS, sizeof *t);
  SYNC_CHECK(t != NULL, "calloc");
  for (long i = 0; i < READERS; ++i) {
    open_chan(&chans[i], (int)(i & 1));
    sync_start(&t[i], reader, (void*)i, 64 * 1024);
  }
  for (long i = 0; i < READERS; ++i) SYNC_CHECK(sem_wait(&announced) == 0, "sem_wait");
  io_sample_kernel_tasks(MAX_TASKS, 300 * 1000000LL, "2000 readers blocked");
  printf("readers: all blocked in read or recv\n");

  /* 7919 is prime, so i -> i * 7919 % READERS visits every reader once. */
  for (long k = 0; k < READERS; ++k) {
    long i = k * 7919 % READERS;
    unsigned char buf[MAX_LEN];
    io_fill(buf, len_of(i), (uint64_t)i, 0);
    SYNC_CHECK(io_write_all(chans[i].fd[1], buf, len_of(i)) == 0, "write to %ld: %s", i,
               strerror(errno));
    close(chans[i].fd[1]);
  }
  long good = 0;
  for (long i = 0; i < READERS; ++i) {
    sync_join(t[i]);
    good += chans[i].ok;
    close(chans[i].fd[0]);
  }
  free(t);
  SYNC_CHECK(good == READERS, "%ld of %d readers got exactly their data", good, READERS);
  sync_check_kernel_tasks("after the readers");
  printf("readers: each received exactly its own bytes, then end of file\n");
  return 0;
}
