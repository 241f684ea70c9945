/* tests/obs/obs_parked.c — the program the observability tests look at
 * (tests/obs/run_obs.py): N threads (argv[1], default 1000) that each park
 * on a condition variable in obs_parked_worker until main lets them go. Once
 * all of them wait, main calls obs_all_parked() (a debugger's breakpoint),
 * then sleeps argv[2] milliseconds (default 0) so that schedtrace lines come
 * while the threads are parked, then releases and joins them; all that
 * argv[3] times (rounds, default 1). Prints "done N ROUNDS".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t parked_cv = PTHREAD_COND_INITIALIZER;  /* workers -> main */
static pthread_cond_t release_cv = PTHREAD_COND_INITIALIZER; /* main -> workers */
static long nparked;
static long generation;

/* A function of the program's own, in every parked thread's backtrace. */
__attribute__((noinline)) void* obs_parked_worker(void* arg) {
  pthread_mutex_lock(&lock);
  long my_generation = generation;
  if (++nparked == (long)arg) pthread_cond_signal(&parked_cv);
  while (generation == my_generation) pthread_cond_wait(&release_cv, &lock);
  pthread_mutex_unlock(&lock);
  return NULL;
}

/* The debugger stops here, with every worker parked. */
__attribute__((noinline)) void obs_all_parked(void) { __asm__ volatile("" ::: "memory"); }

static void one_round(long n, long sleep_ms, pthread_t* t, const pthread_attr_t* attr) {
  nparked = 0;
  for (long i = 0; i < n; i++)
    if (pthread_create(&t[i], attr, obs_parked_worker, (void*)n) != 0) {
      fprintf(stderr, "FAIL: pthread_create\n");
      exit(1);
    }
  pthread_mutex_lock(&lock);
  while (nparked < n) pthread_cond_wait(&parked_cv, &lock);
  pthread_mutex_unlock(&lock);
  obs_all_parked();
  if (sleep_ms > 0) {
    struct timespec ts = {sleep_ms / 1000, sleep_ms % 1000 * 1000000L};
    nanosleep(&ts, NULL);
  }
  pthread_mutex_lock(&lock);
  generation++;
  pthread_cond_broadcast(&release_cv);
  pthread_mutex_unlock(&lock);
  for (long i = 0; i < n; i++) pthread_join(t[i], NULL);
}

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  long sleep_ms = argc > 2 ? atol(argv[2]) : 0;
  long rounds = argc > 3 ? atol(argv[3]) : 1;
  pthread_t* t = malloc(sizeof *t * (size_t)n);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  for (long r = 0; r < rounds; r++) one_round(n, sleep_ms, t, &attr);
  printf("done %ld %ld\n", n, rounds);
  return 0;
}
