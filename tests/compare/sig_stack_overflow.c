// Issue 11, acceptance 7: a thread that overflows its stack by deep
// recursion kills the process with SIGSEGV, as natively; a thread with its
// own sigaltstack and a SIGSEGV handler (SA_ONSTACK) gets the handler run on
// that alternate stack, and another thread disabling its own alternate
// stack does not take it away. Each case runs in a child process; the
// parent prints how the child ended.
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ALT_SIZE (64 * 1024)
#define THREAD_STACK (256 * 1024)

static volatile int sink;
static int recurse(int n) {
  if (n < 0) return 0;  // never: keeps the compiler from calling it endless
  char pad[512];
  memset(pad, n, sizeof pad);
  sink += pad[n % 512];
  return n + recurse(n + 1) + pad[(n * 7) % 512];
}

static char* alt_lo;  // the overflowing thread's alternate stack
static void on_segv(int sig, siginfo_t* si, void* uc) {
  char here;
  int on_alt = &here >= alt_lo && &here < alt_lo + ALT_SIZE;
  stack_t cur;
  sigaltstack(NULL, &cur);
  char msg[96];
  int n = snprintf(msg, sizeof msg, "handler: SIGSEGV on the thread's own alternate stack: %s%s\n",
                   on_alt ? "yes" : "no", (cur.ss_flags & SS_ONSTACK) ? " (SS_ONSTACK)" : "");
  write(1, msg, n);
  _exit(7);
}

static sem_t disabled, installed;

static void* overflow(void* arg) {
  int with_alt = (int)(long)arg;
  if (with_alt) {
    alt_lo = malloc(ALT_SIZE);
    stack_t ss = {.ss_sp = alt_lo, .ss_size = ALT_SIZE, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    sem_post(&installed);
    sem_wait(&disabled);  // the other thread has put its own away
  }
  recurse(0);
  return NULL;
}

// Installs an alternate stack of its own, then disables it.
static void* other(void* arg) {
  static char mine[ALT_SIZE];
  sem_wait(&installed);
  stack_t ss = {.ss_sp = mine, .ss_size = ALT_SIZE, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  stack_t off = {.ss_flags = SS_DISABLE};
  sigaltstack(&off, NULL);
  stack_t now;
  sigaltstack(NULL, &now);
  printf("other thread: its alternate stack disabled: %s\n", (now.ss_flags & SS_DISABLE) ? "yes" : "no");
  fflush(stdout);
  sem_post(&disabled);
  return NULL;
}

static void run_case(int with_handler) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    sem_init(&disabled, 0, 0);
    sem_init(&installed, 0, 0);
    if (with_handler) {
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_sigaction = on_segv;
      sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
      sigaction(SIGSEGV, &sa, NULL);
    }
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, THREAD_STACK);
    pthread_t t, o;
    if (with_handler) pthread_create(&o, NULL, other, NULL);
    pthread_create(&t, &a, overflow, (void*)(long)with_handler);
    pthread_join(t, NULL);
    _exit(0);  // not reached
  }
  int st;
  waitpid(pid, &st, 0);
  if (WIFSIGNALED(st))
    printf("%s: child killed by %s\n", with_handler ? "handler" : "no handler", strsignal(WTERMSIG(st)));
  else
    printf("%s: child exited %d\n", with_handler ? "handler" : "no handler", WEXITSTATUS(st));
}

int main(void) {
  run_case(0);
  run_case(1);
  return 0;
}
