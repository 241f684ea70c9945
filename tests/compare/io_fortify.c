/* tests/compare/io_fortify.c — a program built with -O2 -D_FORTIFY_SOURCE=2
 * (as Debian builds its packages) calls glibc's checking entry points
 * __read_chk, __recv_chk, __recvfrom_chk, __poll_chk and __ppoll_chk instead
 * of read, recv, recvfrom, poll and ppoll; those call glibc-internal
 * functions, so weft must wrap them too (issue 10, acceptance 8).
 *
 * The Makefile builds io_fortify* with those flags and fails the build
 * unless `nm -D` shows the five imports. READERS threads block, a fifth of
 * them in each call, on their own pipe or socketpair (the buffer sizes are
 * known to the compiler and the lengths are not constants, which is what
 * makes it use the _chk forms). While they block the process has at most
 * MAX_TASKS kernel threads under weft; then each receives its own bytes and
 * checks them, and end of file.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <semaphore.h>

#include "io_common.h"

#define READERS 2000
#define MAX_TASKS 32
#define KINDS 5

enum kind { K_READ, K_RECV, K_RECVFROM, K_POLL, K_PPOLL };

struct chan {
  int fd[2];
  int ok;
};

static struct chan chans[READERS];
static sem_t announced;
/* Not constants, so the compiler calls the checking forms. */
static volatile size_t want_len = 48;
static volatile nfds_t one_fd = 1;

static int is_socket(long i) { return i % KINDS == K_RECV || i % KINDS == K_RECVFROM; }

/* Waits for data on fd the way kind `k` does, then reads until end of file
 * through the same kind of call; the total, or -1. */
static long receive(int k, int fd, unsigned char* out, size_t cap) {
  size_t got = 0;
  for (;;) {
    char buf[64];
    ssize_t r;
    if (k == K_POLL || k == K_PPOLL) {
      struct pollfd p[1] = {{.fd = fd, .events = POLLIN}};
      int n = k == K_POLL ? poll(p, one_fd, -1) : ppoll(p, one_fd, NULL, NULL);
      if (n < 0 && errno == EINTR) continue;
      if (n != 1) return -1;
      r = read(fd, buf, want_len);
    } else if (k == K_READ) {
      r = read(fd, buf, want_len);
    } else if (k == K_RECV) {
      r = recv(fd, buf, want_len, 0);
    } else {
      r = recvfrom(fd, buf, want_len, 0, NULL, NULL);
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return (long)got;
    if (got + (size_t)r > cap) return -1;
    memcpy(out + got, buf, (size_t)r);
    got += (size_t)r;
  }
}

static size_t len_of(long i) { return 1 + (size_t)(i * 13 % 40); }

static void* reader(void* arg) {
  long i = (long)arg;
  unsigned char data[64];
  sem_post(&announced);
  long got = receive((int)(i % KINDS), chans[i].fd[0], data, sizeof data);
  chans[i].ok = got == (long)len_of(i) && io_mismatch(data, (size_t)got, (uint64_t)i, 0) < 0;
  return NULL;
}

int main(void) {
  io_watchdog(IO_WATCHDOG_S);
  io_raise_nofile(2 * READERS + 64);
  sem_init(&announced, 0, 0);
  pthread_t* t = calloc(READERS, sizeof *t);
  SYNC_CHECK(t != NULL, "calloc");
  for (long i = 0; i < READERS; ++i) {
    int r = is_socket(i) ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chans[i].fd)
                         : pipe2(chans[i].fd, O_CLOEXEC);
    SYNC_CHECK(r == 0, "pipe/socketpair: %s", strerror(errno));
    sync_start(&t[i], reader, (void*)i, 64 * 1024);
  }
  for (long i = 0; i < READERS; ++i) SYNC_CHECK(sem_wait(&announced) == 0, "sem_wait");
  io_sample_kernel_tasks(MAX_TASKS, 300 * 1000000LL, "readers blocked in the _chk calls");
  printf("fortified readers: all blocked in __read_chk, __recv_chk, __recvfrom_chk, __poll_chk, "
         "__ppoll_chk\n");

  for (long k = 0; k < READERS; ++k) {
    long i = k * 7919 % READERS;
    unsigned char buf[64];
    io_fill(buf, len_of(i), (uint64_t)i, 0);
    SYNC_CHECK(io_write_all(chans[i].fd[1], buf, len_of(i)) == 0, "write: %s", strerror(errno));
    close(chans[i].fd[1]);
  }
  long good = 0;
  for (long i = 0; i < READERS; ++i) {
    sync_join(t[i]);
    good += chans[i].ok;
    close(chans[i].fd[0]);
  }
  free(t);
  SYNC_CHECK(good == READERS, "%ld of %d readers got exactly their bytes", good, READERS);
  printf("fortified readers: each received exactly its own bytes, then end of file\n");
  return 0;
}
