/* tests/compare/io_stdio_lock.c — glibc's own FILE locks under contention
 * (issue 10, acceptance 5). glibc waits for a FILE lock with an inline futex
 * system call and writes with its internal __write, neither of which weft
 * interposes: a thread waiting for a FILE lock, or writing inside one, holds
 * its kernel thread, and the runtime must notice and move the P on.
 *
 * Part A: HOLDERS threads each take flockfile(stdout) and usleep between the
 * lines of a block while holding it; PRINTERS threads printf single lines
 * meanwhile. stdout (line buffered) points at a temporary file while they
 * run; the main thread then reads the file back and checks that every line
 * is there once, each thread's lines are in order, and no line landed inside
 * a holder's block. Only those verdicts are printed.
 *
 * Part B: one thread (W1) takes the FILE lock of a pipe's FILE and fputs a
 * line longer than the pipe buffer while nobody reads the pipe, so it blocks
 * in write holding the lock; a second (W2) fputs to the same FILE and waits
 * for that lock; only then (after a pause that the result does not depend on)
 * a third thread starts reading the pipe to end of file. Both writes complete
 * and the reader sees the long line, then the short one.
 */
#define _GNU_SOURCE
#include <semaphore.h>

#include "io_common.h"

#define HOLDERS 4
#define HOLDER_BLOCKS 5
#define BLOCK_LINES 3
#define PRINTERS 8
#define PRINTER_LINES 40
#define LONG_LINE (256 * 1024)

static void* holder(void* arg) {
  long h = (long)arg;
  for (int b = 0; b < HOLDER_BLOCKS; ++b) {
    flockfile(stdout);
    for (int l = 0; l < BLOCK_LINES; ++l) {
      printf("H %ld %d %d\n", h, b, l);
      usleep(2000);
    }
    funlockfile(stdout);
  }
  return NULL;
}

static void* printer(void* arg) {
  long p = (long)arg;
  for (int n = 0; n < PRINTER_LINES; ++n) printf("P %ld %d\n", p, n);
  return NULL;
}

/* Checks the lines the threads wrote (the whole file in `text`). */
static void check_part_a(char* text) {
  int next_block[HOLDERS] = {0}, next_printer[PRINTERS] = {0};
  long in_block = -1;  /* holder whose block is being read, or -1 */
  int block_line = 0;
  long lines = 0;
  for (char* line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), ++lines) {
    char kind;
    long who;
    int a, b = 0;
    int f = sscanf(line, "%c %ld %d %d", &kind, &who, &a, &b);
    SYNC_CHECK((kind == 'H' && f == 4 && who >= 0 && who < HOLDERS) ||
                   (kind == 'P' && f == 3 && who >= 0 && who < PRINTERS),
               "part A: garbled line '%s'", line);
    if (in_block >= 0)
      SYNC_CHECK(kind == 'H' && who == in_block, "part A: '%s' inside holder %ld's block", line,
                 in_block);
    if (kind == 'P') {
      SYNC_CHECK(a == next_printer[who]++, "part A: printer line '%s' out of order", line);
      continue;
    }
    SYNC_CHECK(a == next_block[who] && b == block_line, "part A: holder line '%s' out of order",
               line);
    in_block = ++block_line < BLOCK_LINES ? who : -1;
    if (in_block < 0) {
      block_line = 0;
      next_block[who]++;
    }
  }
  SYNC_CHECK(lines == HOLDERS * HOLDER_BLOCKS * BLOCK_LINES + PRINTERS * PRINTER_LINES,
             "part A: %ld lines", lines);
}

static void part_a(void) {
  char path[] = "/tmp/weft-io-stdio-XXXXXX";
  int tmp = mkstemp(path);
  SYNC_CHECK(tmp >= 0, "mkstemp: %s", strerror(errno));
  unlink(path);
  fflush(stdout);
  int saved = dup(1);
  SYNC_CHECK(saved >= 0 && dup2(tmp, 1) == 1, "dup2: %s", strerror(errno));

  pthread_t h[HOLDERS], p[PRINTERS];
  for (long i = 0; i < HOLDERS; ++i) sync_start(&h[i], holder, (void*)i, 64 * 1024);
  for (long i = 0; i < PRINTERS; ++i) sync_start(&p[i], printer, (void*)i, 64 * 1024);
  for (int i = 0; i < HOLDERS; ++i) sync_join(h[i]);
  for (int i = 0; i < PRINTERS; ++i) sync_join(p[i]);
  fflush(stdout);
  SYNC_CHECK(dup2(saved, 1) == 1, "dup2 back: %s", strerror(errno));
  close(saved);

  off_t size = lseek(tmp, 0, SEEK_END);
  char* text = malloc((size_t)size + 1);
  SYNC_CHECK(text && pread(tmp, text, (size_t)size, 0) == size, "read back: %s", strerror(errno));
  text[size] = '\0';
  close(tmp);
  check_part_a(text);
  free(text);
  printf("flockfile holders that sleep: every block whole, every printf line there in order\n");
}

static FILE* pipe_file;
static int pipe_rd;
static sem_t w1_has_lock;
static char* long_line;
static const char short_line[] = "the short line\n";

static void* w1(void* arg) {
  flockfile(pipe_file);
  sem_post(&w1_has_lock);
  int r = fputs(long_line, pipe_file);
  int f = fflush(pipe_file);
  funlockfile(pipe_file);
  return (void*)(long)(r >= 0 && f == 0);
}

static void* w2(void* arg) {
  sem_wait(&w1_has_lock);
  int r = fputs(short_line, pipe_file);
  int f = fflush(pipe_file);
  return (void*)(long)(r >= 0 && f == 0);
}

static void* reader(void* arg) {
  size_t cap = LONG_LINE + sizeof short_line + 16;
  char* buf = malloc(cap);
  long n = io_read_full(pipe_rd, buf, cap);
  long ok = n == (long)(LONG_LINE + sizeof short_line - 1) &&
            memcmp(buf, long_line, LONG_LINE) == 0 &&
            memcmp(buf + LONG_LINE, short_line, sizeof short_line - 1) == 0;
  free(buf);
  return (void*)ok;
}

static void part_b(void) {
  int p[2];
  SYNC_CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe2");
  pipe_rd = p[0];
  pipe_file = fdopen(p[1], "w");
  SYNC_CHECK(pipe_file != NULL, "fdopen");
  long_line = malloc(LONG_LINE + 1);
  for (size_t i = 0; i < LONG_LINE - 1; ++i) long_line[i] = (char)('a' + io_byte(1, i) % 26);
  long_line[LONG_LINE - 1] = '\n';
  long_line[LONG_LINE] = '\0';
  sem_init(&w1_has_lock, 0, 0);

  pthread_t t1, t2, r;
  sync_start(&t1, w1, NULL, 64 * 1024);
  sync_start(&t2, w2, NULL, 64 * 1024);
  /* Let W1 fill the pipe and W2 queue on the lock before anyone reads; the
   * outcome is the same if they have not yet. */
  io_sleep_ns(100 * 1000000LL);
  sync_start(&r, reader, NULL, 64 * 1024);
  void *ok1, *ok2, *okr;
  SYNC_CHECK(pthread_join(t1, &ok1) == 0 && pthread_join(t2, &ok2) == 0, "join writers");
  SYNC_CHECK(ok1 == (void*)1L && ok2 == (void*)1L, "part B: a write failed");
  fclose(pipe_file);
  SYNC_CHECK(pthread_join(r, &okr) == 0, "join reader");
  SYNC_CHECK(okr == (void*)1L, "part B: the reader did not see the long line, then the short one");
  close(pipe_rd);
  free(long_line);
  printf("pipe FILE: the long line blocked in write holding the lock, then both lines arrived "
         "in order\n");
}

int main(void) {
  io_watchdog(IO_WATCHDOG_S);
  setvbuf(stdout, NULL, _IOLBF, 0);
  part_a();
  part_b();
  return 0;
}
