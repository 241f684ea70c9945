/* tests/compare/io_fd_churn.c — descriptor numbers reused while other
 * threads wait (issue 10, acceptance 7): no stale wake-up, no lost wake-up,
 * no data on the wrong descriptor; and the close-while-parked behaviour.
 *
 * Part 1 (natively and under weft): CHANNELS channels, each a churner thread
 * and a waiter thread, run rounds side by side for DURATION_NS (the output
 * does not depend on how many), so descriptor numbers are closed and reused
 * constantly across channels. A round, on a fresh pipe or socketpair `a`
 * (alternating):
 *  1. the churner hands a's reading end (number N) to the waiter, which waits
 *     on it (read, or poll then read, alternating) and must get tag 1;
 *  2. the churner keeps a dup of a's reading end, makes a new pipe `b`,
 *     dup2s b's reading end over N, hands N to the waiter again, writes a
 *     decoy into `a` and then tag 2 into `b`: the waiter must get exactly tag
 *     2 (a wake-up left over from `a`, the description N used to name, must
 *     not deliver the decoy nor make poll report data that is not there:
 *     after poll says POLLIN, FIONREAD must be > 0), and the decoy must
 *     still be in `a` (read back through the dup);
 *  3. everything is closed.
 * A descriptor is never closed or replaced while a thread waits on it, so
 * the native result is defined; a lost wake-up hangs and the watchdog ends
 * the run.
 *
 * Part 2 (only under weft; prints nothing): the behaviour weft documents for
 * a thread parked in read on a descriptor that another thread closes, or
 * dup2s over: the read fails with EBADF (natively it would go on waiting on
 * the old file, so this cannot be compared).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sys/ioctl.h>

#include "io_common.h"

#define CHANNELS 16
/* Each channel runs rounds for DURATION_NS, and at least MIN_ROUNDS. */
#define DURATION_NS (3 * 1000000000LL)
#define MIN_ROUNDS 50

struct channel {
  long id;
  sem_t to_waiter, to_churner;
  int fd;        /* the number the waiter waits on next */
  int use_poll;  /* wait in poll before reading */
  char want[32]; /* the tag the waiter must read */
  int failed;
  pthread_t churner, waiter;
};

static struct channel chans[CHANNELS];

static void* waiter_main(void* arg) {
  struct channel* c = arg;
  for (;;) {
    sem_wait(&c->to_waiter);
    if (c->fd < 0) return NULL;
    if (c->use_poll) {
      struct pollfd p = {.fd = c->fd, .events = POLLIN};
      int n;
      while ((n = poll(&p, 1, -1)) < 0 && errno == EINTR) {
      }
      int avail = -1;
      if (n != 1 || p.revents != POLLIN || ioctl(c->fd, FIONREAD, &avail) != 0 || avail <= 0) {
        fprintf(stderr, "FAIL: channel %ld: poll n=%d revents=0x%x FIONREAD=%d\n", c->id, n,
                p.revents, avail);
        c->failed = 1;
      }
    }
    char buf[64];
    ssize_t r;
    while ((r = read(c->fd, buf, sizeof buf)) < 0 && errno == EINTR) {
    }
    size_t len = strlen(c->want);
    if (r != (ssize_t)len || memcmp(buf, c->want, len) != 0) {
      fprintf(stderr, "FAIL: channel %ld: read %zd bytes '%.*s', wanted '%s'\n", c->id, r,
              r > 0 ? (int)r : 0, buf, c->want);
      c->failed = 1;
    }
    sem_post(&c->to_churner);
  }
}

/* Has the waiter wait on `fd` for `tag`; `feed` writes the data. */
static void hand_over(struct channel* c, int fd, const char* tag) {
  c->fd = fd;
  snprintf(c->want, sizeof c->want, "%s", tag);
  sem_post(&c->to_waiter);
}

static void make_pair(int socket, int fd[2]) {
  int r = socket ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd) : pipe2(fd, O_CLOEXEC);
  SYNC_CHECK(r == 0, "pipe/socketpair: %s", strerror(errno));
}

static void* churner_main(void* arg) {
  struct channel* c = arg;
  long long end = sync_now_ns(CLOCK_MONOTONIC) + DURATION_NS;
  for (int round = 0; (round < MIN_ROUNDS || sync_now_ns(CLOCK_MONOTONIC) < end) && !c->failed;
       ++round) {
    int a[2], b[2];
    char tag[32];
    make_pair(round & 1, a);
    c->use_poll = (round >> 1) & 1;

    snprintf(tag, sizeof tag, "c%ld r%d t1", c->id, round);
    hand_over(c, a[0], tag);
    SYNC_CHECK(io_write_all(a[1], tag, strlen(tag)) == 0, "write tag 1: %s", strerror(errno));
    sem_wait(&c->to_churner);

    int keep = dup(a[0]);
    SYNC_CHECK(keep >= 0, "dup: %s", strerror(errno));
    make_pair(0, b);
    SYNC_CHECK(dup2(b[0], a[0]) == a[0], "dup2: %s", strerror(errno));
    close(b[0]);
    snprintf(tag, sizeof tag, "c%ld r%d t2", c->id, round);
    hand_over(c, a[0], tag);
    static const char decoy[] = "decoy";
    SYNC_CHECK(io_write_all(a[1], decoy, 5) == 0, "write decoy: %s", strerror(errno));
    SYNC_CHECK(io_write_all(b[1], tag, strlen(tag)) == 0, "write tag 2: %s", strerror(errno));
    sem_wait(&c->to_churner);
    char back[16];
    ssize_t r = read(keep, back, sizeof back);
    SYNC_CHECK(r == 5 && memcmp(back, decoy, 5) == 0, "channel %ld: decoy not in its pipe (%zd)",
               c->id, r);
    close(keep);
    close(a[0]);
    close(a[1]);
    close(b[1]);
  }
  hand_over(c, -1, "");
  return NULL;
}

static int parked_fd;
static atomic_int about_to_read;

static void* parked_reader(void* arg) {
  char c;
  atomic_store(&about_to_read, 1);
  ssize_t r = read(parked_fd, &c, 1);
  return (void*)(long)(r < 0 ? errno : 0);
}

/* Part 2: `replace` closes (0) or dup2s over (1) the number a thread is
 * parked on; the read must fail with EBADF. */
static void close_while_parked(int replace) {
  int p[2], q[2];
  make_pair(0, p);
  make_pair(0, q);
  parked_fd = p[0];
  atomic_store(&about_to_read, 0);
  pthread_t t;
  sync_start(&t, parked_reader, NULL, 64 * 1024);
  while (!atomic_load(&about_to_read)) sched_yield();
  io_sleep_ns(50 * 1000000LL); /* time to park: the read does nothing else */
  if (replace) SYNC_CHECK(dup2(q[0], p[0]) == p[0], "dup2");
  else close(p[0]);
  void* e;
  SYNC_CHECK(pthread_join(t, &e) == 0, "join");
  SYNC_CHECK((long)e == EBADF, "read parked on a descriptor that was %s: errno %ld, not EBADF",
             replace ? "dup2'ed over" : "closed", (long)e);
  if (replace) close(p[0]);
  close(p[1]);
  close(q[0]);
  close(q[1]);
}

int main(void) {
  io_watchdog(IO_WATCHDOG_S);
  for (long i = 0; i < CHANNELS; ++i) {
    struct channel* c = &chans[i];
    c->id = i;
    sem_init(&c->to_waiter, 0, 0);
    sem_init(&c->to_churner, 0, 0);
    sync_start(&c->waiter, waiter_main, c, 64 * 1024);
    sync_start(&c->churner, churner_main, c, 64 * 1024);
  }
  int failed = 0;
  for (int i = 0; i < CHANNELS; ++i) {
    sync_join(chans[i].churner);
    sync_join(chans[i].waiter);
    failed |= chans[i].failed;
  }
  SYNC_CHECK(!failed, "a waiter read the wrong data or saw a stale wake-up");
  printf("fd churn: every waiter got exactly its own tags on reused numbers\n");

  if (sync_under_weft()) {
    close_while_parked(0);
    close_while_parked(1);
  }
  return 0;
}
