// Issue 11, signals in a program that never creates a thread: an alarm's
// handler interrupts sleep (the seconds left), nanosleep, sem_wait, pause
// and sigsuspend of the only thread, as natively (weft parks that thread
// in these calls, so the handler must still run on it and end the wait).
#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile int hits;
static void on_alarm(int sig) { hits++; }

static void soon(void) {
  struct itimerval it = {{0, 0}, {0, 200000}};  // 0.2 s
  setitimer(ITIMER_REAL, &it, NULL);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);

  alarm(1);
  unsigned left = sleep(10);
  printf("sleep(10) after an alarm(1): more than 5 s left: %d, %d handler run(s)\n", left > 5 && left < 10, hits);

  soon();
  struct timespec ts = {10, 0}, rem;
  int r = nanosleep(&ts, &rem);
  printf("nanosleep: r=%d %s, more than 5 s left: %d, handlers %d\n", r, strerror(errno),
         rem.tv_sec > 5, hits);

  sem_t s;
  sem_init(&s, 0, 0);
  soon();
  r = sem_wait(&s);
  printf("sem_wait: r=%d %s, handlers %d\n", r, strerror(errno), hits);

  soon();
  r = pause();
  printf("pause: r=%d %s, handlers %d\n", r, strerror(errno), hits);

  sigset_t block, none;
  sigemptyset(&block);
  sigaddset(&block, SIGALRM);
  sigprocmask(SIG_BLOCK, &block, NULL);
  soon();
  sigemptyset(&none);
  r = sigsuspend(&none);
  printf("sigsuspend: r=%d %s, handlers %d\n", r, strerror(errno), hits);
  soon();
  int sig = 0;
  sigwait(&block, &sig);
  printf("sigwait: %s, handlers %d\n", strsignal(sig), hits);
  return 0;
}
