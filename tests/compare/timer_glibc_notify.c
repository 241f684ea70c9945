/* timer_glibc_notify: the timers weft leaves to glibc still work beside
 * weft's SIGEV_THREAD ones: SIGEV_SIGNAL (a handler gets SI_TIMER and the
 * sigev_value), no sigevent at all (SIGALRM), SIGEV_NONE (timer_gettime
 * counts down to zero, nothing is delivered), and SIGEV_THREAD on a CPU-time
 * clock (which has no timerfd: glibc's own helper thread runs the callback).
 * Their ids are kernel timer ids (>= 0) and glibc answers for them while a
 * SIGEV_THREAD timer of weft's lives. */
#define _GNU_SOURCE
#include "timer_common.h"

static volatile sig_atomic_t usr1_hits, usr1_code_ok, alrm_hits;

static void on_usr1(int sig, siginfo_t* si, void* ctx) {
  if (si->si_code == SI_TIMER && si->si_value.sival_int == 7) usr1_code_ok = 1;
  usr1_hits++;
}

static void on_alrm(int sig, siginfo_t* si, void* ctx) {
  if (si->si_code == SI_TIMER) alrm_hits++;
}

/* Waits (yielding) until *flag >= want or the deadline; returns *flag. */
static int wait_flag(volatile sig_atomic_t* flag, int want) {
  long long end = sync_now_ns(CLOCK_MONOTONIC) + TM_PATIENCE;
  while (*flag < want && sync_now_ns(CLOCK_MONOTONIC) < end) {
    struct timespec ms = {0, TM_MS};
    nanosleep(&ms, NULL);
  }
  return *flag;
}

static struct tm_count weft_calls = TM_COUNT_INIT, cpu_calls = TM_COUNT_INIT;
static void weft_cb(union sigval v) { tm_bump(&weft_calls); }
static void cpu_cb(union sigval v) { tm_bump(&cpu_calls); }

int main(void) {
  /* A SIGEV_THREAD timer of weft's lives throughout. */
  timer_t thread_timer = tm_thread_timer(CLOCK_MONOTONIC, weft_cb, NULL, NULL);
  tm_arm(thread_timer, 0, 100 * TM_SEC, 0);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_sigaction = on_alrm;
  sigaction(SIGALRM, &sa, NULL);

  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  ev.sigev_value.sival_int = 7;
  timer_t sig_timer;
  SYNC_CHECK(timer_create(CLOCK_MONOTONIC, &ev, &sig_timer) == 0, "SIGEV_SIGNAL timer_create");
  SYNC_CHECK((intptr_t)sig_timer >= 0, "SIGEV_SIGNAL id is not a kernel id");
  tm_arm(sig_timer, 0, 5 * TM_MS, 5 * TM_MS);
  SYNC_CHECK(wait_flag(&usr1_hits, 3) >= 3, "SIGEV_SIGNAL: %d signals", (int)usr1_hits);
  SYNC_CHECK(timer_delete(sig_timer) == 0, "timer_delete");
  printf("SIGEV_SIGNAL: handler ran with SI_TIMER and the value: %d\n", (int)usr1_code_ok);

  timer_t alrm_timer;
  SYNC_CHECK(timer_create(CLOCK_REALTIME, NULL, &alrm_timer) == 0, "timer_create(NULL)");
  tm_arm(alrm_timer, 0, 5 * TM_MS, 0);
  SYNC_CHECK(wait_flag(&alrm_hits, 1) == 1, "no SIGALRM");
  SYNC_CHECK(timer_delete(alrm_timer) == 0, "timer_delete");
  printf("no sigevent: SIGALRM\n");

  ev.sigev_notify = SIGEV_NONE;
  timer_t none_timer;
  SYNC_CHECK(timer_create(CLOCK_MONOTONIC, &ev, &none_timer) == 0, "SIGEV_NONE timer_create");
  SYNC_CHECK((intptr_t)none_timer >= 0, "SIGEV_NONE id is not a kernel id");
  tm_arm(none_timer, 0, 20 * TM_MS, 0);
  struct itimerspec cur;
  SYNC_CHECK(timer_gettime(none_timer, &cur) == 0 && tm_ns(cur.it_value) > 0, "not counting");
  long long end = sync_now_ns(CLOCK_MONOTONIC) + TM_PATIENCE;
  do {
    struct timespec ms = {0, TM_MS};
    nanosleep(&ms, NULL);
    SYNC_CHECK(timer_gettime(none_timer, &cur) == 0, "timer_gettime");
  } while (tm_ns(cur.it_value) > 0 && sync_now_ns(CLOCK_MONOTONIC) < end);
  printf("SIGEV_NONE: counts down to %lld, overrun %d\n", tm_ns(cur.it_value),
         timer_getoverrun(none_timer));
  SYNC_CHECK(timer_delete(none_timer) == 0, "timer_delete");

  /* 10 ms of the process's CPU time. */
  timer_t cpu_timer = tm_thread_timer(CLOCK_PROCESS_CPUTIME_ID, cpu_cb, NULL, NULL);
  tm_arm(cpu_timer, 0, 10 * TM_MS, 0);
  end = sync_now_ns(CLOCK_MONOTONIC) + TM_PATIENCE;
  volatile unsigned long spin = 0;
  while (tm_wait(&cpu_calls, 1, 0) < 1 && sync_now_ns(CLOCK_MONOTONIC) < end) spin++;
  SYNC_CHECK(tm_get(&cpu_calls) == 1, "CPU-time SIGEV_THREAD callback");
  SYNC_CHECK(timer_delete(cpu_timer) == 0, "timer_delete");
  printf("SIGEV_THREAD on CLOCK_PROCESS_CPUTIME_ID: callback ran\n");

  SYNC_CHECK(timer_gettime(thread_timer, &cur) == 0 && tm_ns(cur.it_value) > 0, "weft timer");
  SYNC_CHECK(timer_delete(thread_timer) == 0 && tm_get(&weft_calls) == 0, "weft timer");
  printf("SIGEV_THREAD timer beside them: intact\n");
  return 0;
}
