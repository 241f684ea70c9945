/* tests/compare/preempt_state.c — a preempted thread resumes exactly where
 * it was (issue 12, acceptance 3 and 4). For a few seconds, threads that
 * never block compute checked results in x87 long double, SSE2 double, AVX
 * vectors (where the CPU has them) and general registers, or keep an errno
 * value of their own, while being preempted around each other and around
 * threads that loop in read on a pipe, nanosleep and poll: every result
 * must match the one computed before the threads started, errno must stay
 * each thread's own, and the looping threads must never see EINTR. Then a
 * SIGURG handler of the program's own (weft's default preemption signal)
 * must still get each of the program's deliveries, once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <immintrin.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "sync_common.h"

#define RUN_NS (3 * 1000000000LL)
#define ROUND 200000

static atomic_int stop;
static atomic_long wrong, rounds, eintrs;

static long double x87_round(long double seed) {
  long double a = seed;
  for (int i = 0; i < ROUND; i++) a = a * 1.0000001L + 0.25L / (i + 1);
  return a;
}

static double sse_round(double seed) {
  double a = seed;
  for (int i = 0; i < ROUND; i++) a = a * 1.0000001 + 0.5 / (i + 1);
  return a;
}

__attribute__((target("avx2"))) static double avx_round(double seed) {
  __m256d a = _mm256_set_pd(seed, seed + 1, seed + 2, seed + 3);
  __m256d m = _mm256_set1_pd(1.0000001), c = _mm256_set1_pd(0.125);
  for (int i = 0; i < ROUND; i++) a = _mm256_add_pd(_mm256_mul_pd(a, m), c);
  double out[4];
  _mm256_storeu_pd(out, a);
  return out[0] + out[1] + out[2] + out[3];
}

static unsigned long int_round(unsigned long seed) {
  unsigned long a = seed;
  for (int i = 0; i < ROUND; i++) a = a * 6364136223846793005ul + (unsigned long)i;
  return a;
}

static int have_avx2;

struct expect {
  long double x87;
  double sse, avx;
  unsigned long gp;
};
static struct expect expected[8];

static void compute(int k, struct expect* e) {
  e->x87 = x87_round(k + 1.5L);
  e->sse = sse_round(k + 2.5);
  e->avx = have_avx2 ? avx_round(k + 3.5) : 0;
  e->gp = int_round((unsigned long)k + 7);
}

static void* computer(void* arg) {
  int k = (int)(long)arg;
  while (!atomic_load(&stop)) {
    struct expect got;
    compute(k, &got);
    if (got.x87 != expected[k].x87 || got.sse != expected[k].sse || got.avx != expected[k].avx ||
        got.gp != expected[k].gp)
      atomic_fetch_add(&wrong, 1);
    atomic_fetch_add(&rounds, 1);
  }
  return NULL;
}

static void* errno_keeper(void* arg) {
  int mine = 1000 + (int)(long)arg;
  while (!atomic_load(&stop)) {
    errno = mine;
    for (volatile int i = 0; i < ROUND; i++) {
    }
    if (errno != mine) atomic_fetch_add(&wrong, 1);
  }
  return NULL;
}

static int feed[2];

static void* reader(void* arg) {
  char c;
  for (;;) {
    ssize_t r = read(feed[0], &c, 1);
    if (r < 0 && errno == EINTR) atomic_fetch_add(&eintrs, 1);
    if (r == 1 && c == 'q') return NULL;
  }
}

static void* sleeper(void* arg) {
  struct timespec t = {0, 2 * 1000000};
  int p[2];
  SYNC_CHECK(pipe(p) == 0, "pipe");
  while (!atomic_load(&stop)) {
    if (nanosleep(&t, NULL) != 0 && errno == EINTR) atomic_fetch_add(&eintrs, 1);
    struct pollfd pf = {p[0], POLLIN, 0};
    if (poll(&pf, 1, 2) < 0 && errno == EINTR) atomic_fetch_add(&eintrs, 1);
  }
  close(p[0]);
  close(p[1]);
  return NULL;
}

static atomic_int handled;
static void on_urg(int sig) { atomic_fetch_add(&handled, 1); }

int main(void) {
  have_avx2 = __builtin_cpu_supports("avx2");
  for (int k = 0; k < 8; k++) compute(k, &expected[k]);
  SYNC_CHECK(pipe(feed) == 0, "pipe");
  pthread_t t[8 + 4 + 1 + 2];
  int n = 0;
  for (long k = 0; k < 8; k++) sync_start(&t[n++], computer, (void*)k, 0);
  for (long k = 0; k < 4; k++) sync_start(&t[n++], errno_keeper, (void*)k, 0);
  sync_start(&t[n++], reader, NULL, 0);
  for (int k = 0; k < 2; k++) sync_start(&t[n++], sleeper, NULL, 0);
  long long end = sync_now_ns(CLOCK_MONOTONIC) + RUN_NS;
  while (sync_now_ns(CLOCK_MONOTONIC) < end) {
    struct timespec t5 = {0, 5 * 1000000};
    nanosleep(&t5, NULL);
    SYNC_CHECK(write(feed[1], "x", 1) == 1, "write");
  }
  atomic_store(&stop, 1);
  SYNC_CHECK(write(feed[1], "q", 1) == 1, "write");
  for (int i = 0; i < n; i++) sync_join(t[i]);
  SYNC_CHECK(atomic_load(&rounds) > 0, "no round computed");
  SYNC_CHECK(atomic_load(&wrong) == 0, "%ld wrong results (registers or errno not preserved)",
             atomic_load(&wrong));
  SYNC_CHECK(atomic_load(&eintrs) == 0, "%ld spurious EINTR", atomic_load(&eintrs));
  printf("x87, SSE, AVX, integer and errno state kept across preemption; no spurious EINTR\n");

  struct sigaction sa = {0};
  sa.sa_handler = on_urg;
  sigemptyset(&sa.sa_mask);
  SYNC_CHECK(sigaction(SIGURG, &sa, NULL) == 0, "sigaction");
  for (int i = 0; i < 5; i++) raise(SIGURG);
  kill(getpid(), SIGURG);
  pthread_kill(pthread_self(), SIGURG);
  /* A process-directed signal may land on another kernel thread: give the
   * handler a bounded while to have run. */
  for (int i = 0; i < 2000 && atomic_load(&handled) < 7; i++) {
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  struct sigaction back;
  SYNC_CHECK(sigaction(SIGURG, NULL, &back) == 0 && back.sa_handler == on_urg,
             "sigaction does not report the program's handler");
  printf("the program's SIGURG handler ran %d times for 7 deliveries\n", atomic_load(&handled));
  return 0;
}
