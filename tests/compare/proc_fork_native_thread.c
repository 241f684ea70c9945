/* proc_fork_native_thread: fork() from a thread that glibc starts itself —
 * the callback thread of a SIGEV_THREAD timer — while 100 other threads are
 * alive. The child's only thread then creates and joins 100 threads, one
 * after another and all at once, and reports; the callback waits for it and
 * the main thread for the callback.
 */
#define _GNU_SOURCE
#include <semaphore.h>
#include <signal.h>
#include <time.h>

#include "proc_common.h"

static sem_t done;
static void* ident(void* arg) { return arg; }

static void callback(union sigval v) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    long sum = 0;
    for (long i = 0; i < 100; i++) {
      pthread_t t;
      void* r;
      PROC_CHECK(pthread_create(&t, NULL, ident, (void*)i) == 0, "create");
      pthread_join(t, &r);
      sum += (long)r;
    }
    pthread_t t[100];
    for (long i = 0; i < 100; i++) PROC_CHECK(pthread_create(&t[i], NULL, ident, (void*)i) == 0, "create");
    for (int i = 0; i < 100; i++) {
      void* r;
      pthread_join(t[i], &r);
      sum += (long)r;
    }
    printf("child of the timer's thread: sum %ld\n", sum);
    fflush(stdout);
    _exit(0);
  }
  proc_report_child("child", p);
  sem_post(&done);
}

int main(void) {
  proc_start_hundred();
  sem_init(&done, 0, 0);
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = callback;
  timer_t tm;
  PROC_CHECK(timer_create(CLOCK_MONOTONIC, &ev, &tm) == 0, "timer_create");
  struct itimerspec its = {{0, 0}, {0, 1000000}};
  PROC_CHECK(timer_settime(tm, 0, &its, NULL) == 0, "timer_settime");
  while (sem_wait(&done) != 0) {
  }
  printf("callback done\n");
  return 0;
}
