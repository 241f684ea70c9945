// Issue 11, acceptance 2: pthread_kill to each of 50 threads (yielding,
// sleeping, blocked in read) runs the handler exactly once in that thread;
// a process-directed signal reaches the one thread that does not block it;
// sigwait in one thread, with the signal blocked everywhere, gets every
// kill(getpid()); sigsuspend wakes; a signal pending on a thread that blocks
// it runs there as soon as it unblocks; raise runs the handler before it
// returns; a thread blocked in pthread_mutex_lock or pthread_cond_wait runs
// the handler and still gets the lock or the wake-up; a signalfd read in a
// thread takes process-directed signals blocked everywhere.
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "sig_common.h"

#define N 50

static __thread volatile int hits;
static __thread pthread_t seen_self;
static volatile int ran[N + 1];
static __thread int my_index;
static sem_t ready;

static void on_usr1(int sig) {
  hits++;
  seen_self = pthread_self();
  __sync_fetch_and_add(&ran[my_index], 1);
}

static void install(int sig, void (*h)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = h;  // no SA_RESTART: a read returns EINTR
  sigaction(sig, &sa, NULL);
}

// ---- 1. pthread_kill to 50 threads in three kinds of wait ----
static int pipes[N][2];
static void* target(void* arg) {
  my_index = (int)(long)arg;
  int kind = my_index % 3;
  sem_post(&ready);
  if (kind == 0) {
    while (!hits) sched_yield();
  } else if (kind == 1) {
    while (!hits) pause_ms(2);
  } else {
    char c;
    while (!hits) read(pipes[my_index][0], &c, 1);  // EINTR, or the byte sent after
  }
  return (void*)(long)(hits == 1 && pthread_equal(seen_self, pthread_self()));
}

static void kill_each(void) {
  pthread_t t[N];
  for (int i = 0; i < N; i++) {
    pipe(pipes[i]);
    pthread_create(&t[i], NULL, target, (void*)(long)i);
  }
  for (int i = 0; i < N; i++) sem_wait(&ready);
  for (int i = 0; i < N; i++) pthread_kill(t[i], SIGUSR1);
  // A reader whose handler ran before it entered read() still waits there.
  for (int i = 0; i < N; i++) {
    for (int k = 0; k < 5000 && !ran[i]; k++) pause_ms(1);
    write(pipes[i][1], "x", 1);
  }
  int good = 0;
  for (int i = 0; i < N; i++) {
    void* ok;
    pthread_join(t[i], &ok);
    good += ok != NULL;
    close(pipes[i][0]);
    close(pipes[i][1]);
  }
  printf("pthread_kill: %d of %d threads ran the handler once, on themselves\n", good, N);
}

// ---- 2. a process-directed signal goes to the one thread open to it ----
static volatile pthread_t usr2_ran_on;
static volatile int usr2_count;
static void on_usr2(int sig) {
  usr2_ran_on = pthread_self();
  __sync_fetch_and_add(&usr2_count, 1);
}
static volatile int stop_others;
static void* blocker(void* arg) {
  set_mask(SIG_BLOCK, SIGUSR2);
  sem_post(&ready);
  while (!stop_others) pause_ms(1);
  return NULL;
}
static void* open_one(void* arg) {
  set_mask(SIG_UNBLOCK, SIGUSR2);
  sem_post(&ready);
  while (!usr2_count) pause_ms(1);
  return NULL;
}
static void process_directed(void) {
  set_mask(SIG_BLOCK, SIGUSR2);
  pthread_t b[8], o;
  for (int i = 0; i < 8; i++) pthread_create(&b[i], NULL, blocker, NULL);
  pthread_create(&o, NULL, open_one, NULL);
  for (int i = 0; i < 9; i++) sem_wait(&ready);
  kill(getpid(), SIGUSR2);
  pthread_join(o, NULL);
  stop_others = 1;
  for (int i = 0; i < 8; i++) pthread_join(b[i], NULL);
  printf("kill(getpid()): handler ran %d time(s), on the open thread: %s\n", usr2_count,
         pthread_equal(usr2_ran_on, o) ? "yes" : "no");
}

// ---- 3. sigwait gets every kill(getpid()) ----
#define ROUNDS 100
static sem_t got;
static void* waiter(void* arg) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  int n = 0, sig;
  sem_post(&ready);
  while (n < ROUNDS && sigwait(&s, &sig) == 0) {
    n += sig == SIGTERM;
    sem_post(&got);
  }
  return (void*)(long)n;
}
static void sigwait_all(void) {
  set_mask(SIG_BLOCK, SIGTERM);  // before the threads: all inherit it
  pthread_t w, others[4];
  for (int i = 0; i < 4; i++) pthread_create(&others[i], NULL, blocker, NULL);
  pthread_create(&w, NULL, waiter, NULL);
  for (int i = 0; i < 5; i++) sem_wait(&ready);
  stop_others = 0;
  for (int i = 0; i < ROUNDS; i++) {
    kill(getpid(), SIGTERM);
    sem_wait(&got);
  }
  void* n;
  pthread_join(w, &n);
  stop_others = 1;
  for (int i = 0; i < 4; i++) pthread_join(others[i], NULL);
  printf("sigwait: %ld of %d kill(getpid(), SIGTERM)\n", (long)n, ROUNDS);
}

// ---- 4. sigsuspend; pending until unblocked; raise ----
static void* suspender(void* arg) {
  my_index = N;
  set_mask(SIG_BLOCK, SIGUSR1);
  sem_post(&ready);
  sigset_t none;
  sigemptyset(&none);
  int r = sigsuspend(&none);
  int e = errno;
  printf("sigsuspend: r=%d %s, handler ran %d\n", r, strerror(e), hits);
  return NULL;
}
static void* unblocker(void* arg) {
  my_index = N;
  set_mask(SIG_BLOCK, SIGUSR1);
  sem_post(&ready);
  sem_wait(&got);  // main has sent SIGUSR1 by now
  sigset_t p;
  sigpending(&p);
  printf("blocked: pending %d, handler ran %d\n", sigismember(&p, SIGUSR1), hits);
  set_mask(SIG_UNBLOCK, SIGUSR1);
  printf("unblocked: handler ran %d\n", hits);
  raise(SIGUSR1);
  printf("raise: handler ran %d\n", hits);
  return NULL;
}
static void suspend_and_pending(void) {
  ran[N] = 0;
  pthread_t t;
  pthread_create(&t, NULL, suspender, NULL);
  sem_wait(&ready);
  for (int k = 0; k < 5000 && !ran[N]; k++) {
    if (k % 500 == 0) pthread_kill(t, SIGUSR1);
    pause_ms(1);
  }
  pthread_join(t, NULL);
  pthread_create(&t, NULL, unblocker, NULL);
  sem_wait(&ready);
  pthread_kill(t, SIGUSR1);
  sem_post(&got);
  pthread_join(t, NULL);
}

// ---- 5. mutex and condvar waits go on after the handler ----
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int flag;
static void* locker(void* arg) {
  my_index = N;
  sem_post(&ready);
  pthread_mutex_lock(&mu);
  printf("mutex_lock: got the lock, handler ran %d\n", hits);
  pthread_mutex_unlock(&mu);
  return NULL;
}
static void* cond_waiter(void* arg) {
  my_index = N;
  pthread_mutex_lock(&mu);
  sem_post(&ready);
  while (!flag) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  printf("cond_wait: woken, handler ran %d\n", hits);
  return NULL;
}
static void wait_for_handler(pthread_t t) {
  for (int k = 0; k < 5000 && !ran[N]; k++) {
    if (k % 500 == 0) pthread_kill(t, SIGUSR1);
    pause_ms(1);
  }
}
static void lock_waits(void) {
  pthread_t t;
  ran[N] = 0;
  pthread_mutex_lock(&mu);
  pthread_create(&t, NULL, locker, NULL);
  sem_wait(&ready);
  wait_for_handler(t);
  pthread_mutex_unlock(&mu);
  pthread_join(t, NULL);
  ran[N] = 0;
  pthread_create(&t, NULL, cond_waiter, NULL);
  sem_wait(&ready);
  pthread_mutex_lock(&mu);  // the waiter is in pthread_cond_wait now
  pthread_mutex_unlock(&mu);
  wait_for_handler(t);
  pthread_mutex_lock(&mu);
  flag = 1;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
  pthread_join(t, NULL);
}

// ---- 6. signalfd reads from a thread, with the signals blocked everywhere ----
static int sfd;
static void* sfd_reader(void* arg) {
  int n = 0;
  for (int i = 0; i < ROUNDS; i++) {
    struct signalfd_siginfo si;
    if (read(sfd, &si, sizeof si) != sizeof si) break;
    n += si.ssi_signo == SIGWINCH;
    sem_post(&got);
  }
  return (void*)(long)n;
}
static void signalfd_reads(void) {
  set_mask(SIG_BLOCK, SIGWINCH);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGWINCH);
  sfd = signalfd(-1, &s, 0);
  pthread_t t;
  pthread_create(&t, NULL, sfd_reader, NULL);
  for (int i = 0; i < ROUNDS; i++) {
    kill(getpid(), SIGWINCH);
    sem_wait(&got);
  }
  void* n;
  pthread_join(t, &n);
  close(sfd);
  printf("signalfd: %ld of %d signals read\n", (long)n, ROUNDS);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  sem_init(&ready, 0, 0);
  sem_init(&got, 0, 0);
  install(SIGUSR1, on_usr1);
  install(SIGUSR2, on_usr2);
  kill_each();
  process_directed();
  sigwait_all();
  suspend_and_pending();
  lock_waits();
  signalfd_reads();
  return 0;
}
