/* tests/compare/io_nonblock_shared.c — weft never changes O_NONBLOCK of a
 * file description another process can see (issue 10, acceptance 6).
 *
 * Two blocking pipes are shared with a child process that does not run weft
 * (this program exec'd again without LD_PRELOAD; argv[1] = "--child"):
 * READERS threads of this process block reading pipe `in` (which the child
 * writes), WRITERS threads block writing more than a pipe holds into pipe
 * `out` (which the child reads). While they are blocked the child reads
 * fcntl(F_GETFL) of all four ends over and over for CHECK_NS; if weft set
 * O_NONBLOCK on a description even for an instant, the child may see it. The
 * child then feeds each reader one byte, and drains `out` with blocking
 * reads: an EAGAIN there would also mean the description became
 * non-blocking. It reports on a third pipe; the parent checks the report,
 * its own view of the flags, and what its threads read and wrote.
 */
#define _GNU_SOURCE
#include <stdatomic.h>

#include "io_common.h"

#define READERS 4
#define WRITERS 4
#define CHUNK (96 * 1024) /* per writer: more than the 64 KiB a pipe holds */
#define CHECK_NS (300 * 1000000LL)

static int in[2], out[2];
static atomic_int reader_sum;

static void* reader(void* arg) {
  unsigned char c;
  ssize_t r;
  while ((r = read(in[0], &c, 1)) < 0 && errno == EINTR) {
  }
  if (r == 1) atomic_fetch_add(&reader_sum, c);
  return (void*)(long)(r == 1);
}

static void* writer(void* arg) {
  long w = (long)arg;
  unsigned char* buf = malloc(CHUNK);
  memset(buf, (int)('A' + w), CHUNK);
  int e = io_write_all(out[1], buf, CHUNK);
  free(buf);
  return (void*)(long)(e == 0);
}

static int child(char** argv) {
  int fds[4] = {atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5])};
  int report = atoi(argv[6]);
  long checks = 0, nonblock_seen = 0, bad_flags = 0;
  long long end = sync_now_ns(CLOCK_MONOTONIC) + CHECK_NS;
  while (sync_now_ns(CLOCK_MONOTONIC) < end) {
    for (int i = 0; i < 4; ++i) {
      int fl = fcntl(fds[i], F_GETFL);
      if (fl < 0) bad_flags++;
      else if (fl & O_NONBLOCK) nonblock_seen++;
      checks++;
    }
  }
  for (int i = 0; i < READERS; ++i) {
    unsigned char c = (unsigned char)('a' + i);
    if (write(fds[1], &c, 1) != 1) bad_flags++;
  }
  long counts[WRITERS] = {0}, eagain = 0, stray = 0;
  unsigned char buf[4096];
  for (long total = 0; total < (long)WRITERS * CHUNK;) {
    ssize_t r = read(fds[2], buf, sizeof buf);
    if (r < 0 && errno == EAGAIN) {
      eagain++;
      continue;
    }
    if (r <= 0) break;
    for (ssize_t k = 0; k < r; ++k) {
      if (buf[k] >= 'A' && buf[k] < 'A' + WRITERS) counts[buf[k] - 'A']++;
      else stray++;
    }
    total += r;
  }
  int counts_ok = stray == 0;
  for (int w = 0; w < WRITERS; ++w) counts_ok &= counts[w] == CHUNK;
  char msg[128];
  int n = snprintf(msg, sizeof msg, "%ld %ld %ld %ld %d", checks, nonblock_seen, bad_flags,
                   eagain, counts_ok);
  return write(report, msg, (size_t)n) == n ? 0 : 1;
}

static void check_own_flags(const char* when) {
  int ends[4] = {in[0], in[1], out[0], out[1]};
  for (int i = 0; i < 4; ++i) {
    int fl = fcntl(ends[i], F_GETFL);
    SYNC_CHECK(fl >= 0 && !(fl & O_NONBLOCK), "%s: F_GETFL of fd %d = 0x%x", when, ends[i], fl);
  }
}

int main(int argc, char** argv) {
  if (argc == 7 && strcmp(argv[1], "--child") == 0) return child(argv);
  io_watchdog(IO_WATCHDOG_S);
  int report[2];
  SYNC_CHECK(pipe(in) == 0 && pipe(out) == 0 && pipe(report) == 0, "pipe: %s", strerror(errno));

  pthread_t r[READERS], w[WRITERS];
  for (long i = 0; i < READERS; ++i) sync_start(&r[i], reader, (void*)i, 64 * 1024);
  for (long i = 0; i < WRITERS; ++i) sync_start(&w[i], writer, (void*)i, 64 * 1024);
  check_own_flags("threads started");

  char a[5][16];
  int nums[5] = {in[0], in[1], out[0], out[1], report[1]};
  for (int i = 0; i < 5; ++i) snprintf(a[i], sizeof a[i], "%d", nums[i]);
  char* cargv[] = {argv[0], (char*)"--child", a[0], a[1], a[2], a[3], a[4], NULL};
  pid_t pid = sync_spawn_native_self(cargv);
  close(report[1]);
  check_own_flags("while the child checks");

  char msg[128];
  long n = io_read_full(report[0], msg, sizeof msg - 1);
  io_wait_child_ok(pid, "flag checker");
  SYNC_CHECK(n > 0, "no report from the child");
  msg[n] = '\0';
  long checks, nonblock_seen, bad_flags, eagain;
  int counts_ok;
  SYNC_CHECK(sscanf(msg, "%ld %ld %ld %ld %d", &checks, &nonblock_seen, &bad_flags, &eagain,
                    &counts_ok) == 5,
             "bad report '%s'", msg);
  SYNC_CHECK(checks > 0 && bad_flags == 0, "child: %ld checks, %ld failed", checks, bad_flags);
  SYNC_CHECK(nonblock_seen == 0, "child saw O_NONBLOCK %ld times in %ld checks", nonblock_seen,
             checks);
  printf("child process: O_NONBLOCK stayed clear on both shared pipes while threads blocked\n");
  SYNC_CHECK(eagain == 0, "child's blocking read of the shared pipe got EAGAIN %ld times", eagain);
  SYNC_CHECK(counts_ok, "child did not read exactly every writer's bytes");
  printf("child process: blocking reads got every byte the writers wrote\n");

  for (int i = 0; i < READERS; ++i) {
    void* ok;
    SYNC_CHECK(pthread_join(r[i], &ok) == 0 && ok == (void*)1L, "reader %d", i);
  }
  for (int i = 0; i < WRITERS; ++i) {
    void* ok;
    SYNC_CHECK(pthread_join(w[i], &ok) == 0 && ok == (void*)1L, "writer %d", i);
  }
  SYNC_CHECK(atomic_load(&reader_sum) == 'a' + 'b' + 'c' + 'd', "readers got the wrong bytes");
  printf("readers: each got one of the child's bytes\n");
  check_own_flags("at the end");
  return 0;
}
