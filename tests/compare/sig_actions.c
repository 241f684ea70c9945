// Issue 11, signals: handlers that leave by siglongjmp get the mask saved
// by sigsetjmp back (a timeout pattern, three times in a row); abort() in a
// thread dies by SIGABRT; a default action (termination) happens once one
// thread does not block the signal, never while every thread blocks it (it
// stays pending and sigwait takes it later); SIG_IGN drops it; SA_RESETHAND
// and SA_NODEFER as natively; the handler sees the sender's si_code and
// si_value (sigqueue); an SA_ONSTACK handler runs on the thread's own
// alternate stack. Cases that die run in a child process.
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sig_common.h"

// ---- siglongjmp out of a handler ----
static __thread sigjmp_buf env;
static void jump_out(int sig) { siglongjmp(env, sig); }
static void* jumper(void* arg) {
  set_mask(SIG_UNBLOCK, SIGALRM);
  int jumps = 0;
  for (int i = 0; i < 3; i++) {
    if (sigsetjmp(env, 1) == 0) {
      struct itimerval it = {{0, 0}, {0, 20000}};
      setitimer(ITIMER_REAL, &it, NULL);
      for (;;) pause_ms(5);  // until the timer's handler jumps out
    }
    jumps++;
  }
  sigset_t m;
  pthread_sigmask(SIG_BLOCK, NULL, &m);
  printf("siglongjmp from a handler: %d jumps, SIGALRM blocked after: %d\n", jumps,
         sigismember(&m, SIGALRM));
  return NULL;
}

// ---- what a child died of ----
static void report(const char* what, pid_t pid) {
  int st;
  waitpid(pid, &st, 0);
  if (WIFSIGNALED(st))
    printf("%s: killed by %s\n", what, strsignal(WTERMSIG(st)));
  else
    printf("%s: exited %d\n", what, WEXITSTATUS(st));
}

static void* aborter(void* arg) {
  abort();
  return NULL;
}

static sem_t ready;
static volatile int go;
static void* open_later(void* arg) {
  sem_post(&ready);
  while (!go) pause_ms(1);
  set_mask(SIG_UNBLOCK, SIGTERM);  // the pending SIGTERM kills now
  for (;;) pause_ms(10);
  return NULL;
}

// SIGTERM blocked everywhere: sent, nothing happens; then one thread
// unblocks it and the process dies of it.
static void default_action_waits(void) {
  set_mask(SIG_BLOCK, SIGTERM);
  pthread_t t;
  sem_init(&ready, 0, 0);
  pthread_create(&t, NULL, open_later, NULL);
  sem_wait(&ready);
  kill(getpid(), SIGTERM);
  pause_ms(50);
  printf("SIGTERM blocked everywhere: still alive\n");
  fflush(stdout);
  go = 1;
  for (;;) pause_ms(10);
}

// ---- sigqueue's value, SA_RESETHAND, SA_NODEFER ----
static volatile int value_seen, code_seen, depth, max_depth, calls;
static void on_value(int sig, siginfo_t* si, void* uc) {
  value_seen = si->si_value.sival_int;
  code_seen = si->si_code;
}
static void nodefer(int sig) {
  calls++;
  depth++;
  if (depth > max_depth) max_depth = depth;
  if (calls < 3) raise(sig);
  depth--;
}

// ---- SA_ONSTACK: the handler runs on the thread's alternate stack ----
static char* alt;
static volatile int onstack_ok = -1, ss_onstack = -1;
static void on_alt_stack(int sig) {
  char here;
  onstack_ok = &here >= alt && &here < alt + 65536;
  stack_t cur;
  sigaltstack(NULL, &cur);
  ss_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
}
static void* with_altstack(void* arg) {
  alt = malloc(65536);
  stack_t ss = {.ss_sp = alt, .ss_size = 65536, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  set_mask(SIG_UNBLOCK, SIGPWR);
  raise(SIGPWR);
  printf("SA_ONSTACK: handler on the alternate stack %d, SS_ONSTACK %d\n", onstack_ok, ss_onstack);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = jump_out;
  sigaction(SIGALRM, &sa, NULL);
  set_mask(SIG_BLOCK, SIGALRM);
  pthread_t t;
  pthread_create(&t, NULL, jumper, NULL);
  pthread_join(t, NULL);

  pid_t pid = fork();
  if (pid == 0) {
    pthread_create(&t, NULL, aborter, NULL);
    pthread_join(t, NULL);
    _exit(0);
  }
  report("abort() in a thread", pid);

  pid = fork();
  if (pid == 0) default_action_waits();
  report("SIGTERM once a thread unblocks it", pid);

  // Ignored: nothing happens.
  signal(SIGUSR2, SIG_IGN);
  pthread_create(&t, NULL, open_later, NULL);  // a second thread: weft routes
  kill(getpid(), SIGUSR2);
  pause_ms(20);
  printf("SIGUSR2 ignored: alive\n");

  // sigqueue to the process: the one thread open to it sees the value.
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_value;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGRTMIN + 1, &sa, NULL);
  union sigval v = {.sival_int = 4242};
  sigqueue(getpid(), SIGRTMIN + 1, v);
  for (int i = 0; i < 2000 && !value_seen; i++) pause_ms(1);
  printf("sigqueue: value %d, SI_QUEUE %d\n", value_seen, code_seen == SI_QUEUE);

  // SA_NODEFER: the handler's own raise nests; SA_RESETHAND: the second
  // raise finds SIG_DFL (checked in a child: it dies of it).
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = nodefer;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  printf("SA_NODEFER: %d calls, depth %d\n", calls, max_depth);
  pid = fork();
  if (pid == 0) {
    calls = 0;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_create(&t, NULL, open_later, NULL);  // a second thread: weft routes
    raise(SIGUSR1);
    _exit(0);
  }
  report("SA_RESETHAND, raised again inside", pid);

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alt_stack;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGPWR, &sa, NULL);
  set_mask(SIG_BLOCK, SIGPWR);
  pthread_create(&t, NULL, with_altstack, NULL);
  pthread_join(t, NULL);
  return 0;
}
