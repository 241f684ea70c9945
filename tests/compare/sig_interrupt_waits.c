// Issue 11, acceptance 1: a process-directed signal (alarm, a signal from a
// child process) interrupts the one thread that does not block it while it
// is parked in sem_wait, sleep or nanosleep (EINTR, the time left); a
// handler that runs while a thread waits for a timed rwlock or mutex leaves
// the wait going and the thread gets the lock once it is released; a new
// thread has its creator's mask (or its attribute's) and none of its
// pending signals.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static __thread volatile int hits;  // handler runs in this thread
static volatile int handled;       // handler runs in any thread
static volatile int waiter_done;
static sem_t ready;

static void on_signal(int sig) {
  hits++;
  __sync_fetch_and_add(&handled, 1);
}

static void install(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(sig, &sa, NULL);
}

static void block(int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
}

// Sends `sig` to the process (an alarm, or a child's kill) until the waiter
// reports that its call returned: the waiter may not be parked yet when
// the first one lands (then its handler runs first and the call blocks).
static void interrupt_until_done(int sig) {
  for (int i = 0; i < 200 && !waiter_done; i++) {
    if (sig == SIGALRM) {
      alarm(1);
    } else {
      pid_t c = fork();
      if (c == 0) {
        kill(getppid(), sig);
        _exit(0);
      }
      waitpid(c, NULL, 0);
    }
    for (int j = 0; j < 150 && !waiter_done; j++) usleep(10000);
  }
  alarm(0);
}

// Waiters take the signal: main and the others block it.
static void open_for(int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

static void* sleeper(void* arg) {
  open_for(*(int*)arg);
  sem_post(&ready);
  struct timespec ts = {60, 0}, rem = {0, 0};
  int r = nanosleep(&ts, &rem);
  int e = errno;
  waiter_done = 1;
  printf("nanosleep: r=%d %s, time left %s, handler here %s\n", r, r ? strerror(e) : "",
         rem.tv_sec > 10 ? "yes" : "no", hits ? "yes" : "no");
  return NULL;
}

static sem_t never;
static void* sem_waiter(void* arg) {
  open_for(*(int*)arg);
  sem_post(&ready);
  int r = sem_wait(&never);
  int e = errno;
  waiter_done = 1;
  printf("sem_wait: r=%d %s, handler here %s\n", r, r ? strerror(e) : "", hits ? "yes" : "no");
  return NULL;
}

static void* sleep_waiter(void* arg) {
  open_for(*(int*)arg);
  sem_post(&ready);
  unsigned left = sleep(60);
  waiter_done = 1;
  printf("sleep: time left %s, handler here %s\n", left > 10 ? "yes" : "no", hits ? "yes" : "no");
  return NULL;
}

static void run_waiter(void* (*fn)(void*), int sig) {
  waiter_done = 0;
  pthread_t t;
  pthread_create(&t, NULL, fn, &sig);
  sem_wait(&ready);
  printf("[%s] ", sig == SIGALRM ? "alarm" : "from a child");
  interrupt_until_done(sig);
  pthread_join(t, NULL);
}

// ---- timed lock waits go on after a handler ----
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static volatile int lock_kind;  // 0 mutex, 1 rdlock, 2 wrlock

static void* lock_waiter(void* arg) {
  open_for(SIGUSR1);
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 60;
  sem_post(&ready);
  int r = lock_kind == 0 ? pthread_mutex_timedlock(&mu, &dl)
        : lock_kind == 1 ? pthread_rwlock_timedrdlock(&rw, &dl)
                         : pthread_rwlock_timedwrlock(&rw, &dl);
  printf("%s: r=%d, handler here %s\n",
         lock_kind == 0 ? "mutex_timedlock" : lock_kind == 1 ? "rwlock_timedrdlock" : "rwlock_timedwrlock",
         r, hits ? "yes" : "no");
  if (r == 0) lock_kind == 0 ? pthread_mutex_unlock(&mu) : pthread_rwlock_unlock(&rw);
  return NULL;
}

static void run_lock_waiter(int kind) {
  lock_kind = kind;
  if (kind == 0)
    pthread_mutex_lock(&mu);
  else
    pthread_rwlock_wrlock(&rw);
  handled = 0;
  pthread_t t;
  pthread_create(&t, NULL, lock_waiter, NULL);
  sem_wait(&ready);
  for (int i = 0; i < 1000 && !handled; i++) {
    if (i % 100 == 0) pthread_kill(t, SIGUSR1);
    usleep(1000);
  }
  if (kind == 0)
    pthread_mutex_unlock(&mu);
  else
    pthread_rwlock_unlock(&rw);
  pthread_join(t, NULL);
}

// ---- inheritance ----
static void* report_inherited(void* arg) {
  sigset_t m, p;
  pthread_sigmask(SIG_BLOCK, NULL, &m);
  sigpending(&p);
  printf("new thread: SIGUSR2 blocked %d, SIGTERM blocked %d, SIGUSR2 pending %d\n",
         sigismember(&m, SIGUSR2), sigismember(&m, SIGTERM), sigismember(&p, SIGUSR2));
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  sem_init(&ready, 0, 0);
  sem_init(&never, 0, 0);
  install(SIGALRM);
  install(SIGUSR1);
  install(SIGUSR2);
  block(SIGALRM);
  block(SIGUSR1);
  void* (*waiters[])(void*) = {sleeper, sem_waiter, sleep_waiter};
  for (int i = 0; i < 3; i++) run_waiter(waiters[i], SIGALRM);
  for (int i = 0; i < 3; i++) run_waiter(waiters[i], SIGUSR1);
  for (int kind = 0; kind < 3; kind++) run_lock_waiter(kind);
  printf("main ran a handler: %s\n", hits ? "yes" : "no");

  // Inheritance: block SIGUSR2, make it pending on main, create a thread.
  block(SIGUSR2);
  raise(SIGUSR2);
  pthread_t t;
  pthread_create(&t, NULL, report_inherited, NULL);
  pthread_join(t, NULL);
  sigset_t p;
  sigpending(&p);
  printf("main: SIGUSR2 pending %d\n", sigismember(&p, SIGUSR2));
  // pthread_attr_setsigmask_np gives the new thread that mask instead.
  pthread_attr_t a;
  pthread_attr_init(&a);
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_attr_setsigmask_np(&a, &term);
  pthread_create(&t, &a, report_inherited, NULL);
  pthread_join(t, NULL);
  return 0;
}
