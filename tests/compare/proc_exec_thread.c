/* proc_exec_thread: exec from a thread other than main while other threads
 * sleep, spin, wait in pause() and pipe reads and on a condvar (issue 11:
 * this hung). A failed exec first returns ENOENT with everything still
 * running; then execl of this very program replaces the image: the new one
 * starts with one task, the arguments given, and the signal mask of the
 * thread that called exec (SIGUSR1 blocked there, SIGUSR2 blocked only in
 * main), as the kernel hands them over.
 */
#define _GNU_SOURCE
#include <signal.h>

#include "proc_common.h"

static volatile int spin_forever = 1;
static void* spinner(void* arg) {
  while (spin_forever) {
  }
  return arg;
}
static void* sleeper(void* arg) {
  for (;;) usleep(1000);
  return arg;
}

static void* execer(void* arg) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  int r = execl("/nonexistent/program", "x", (char*)NULL);
  printf("failed exec: %d %s\n", r, strerror(errno));
  fflush(stdout);
  execl("/proc/self/exe", "proc_exec_thread", "after", "exec", (char*)NULL);
  proc_die("execl: %s", strerror(errno));
  return NULL;
}

static void after_exec(int argc, char** argv) {
  printf("new image: argc %d, %s %s, tasks %d\n", argc, argv[1], argv[2], proc_task_count());
  FILE* f = fopen("/proc/self/status", "r");
  PROC_CHECK(f != NULL, "status");
  char line[256];
  unsigned long long blk = 0;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "SigBlk:", 7)) blk = strtoull(line + 7, NULL, 16);
  fclose(f);
  printf("blocked: SIGUSR1 %s, SIGUSR2 %s\n", blk & (1ull << (SIGUSR1 - 1)) ? "yes" : "no",
         blk & (1ull << (SIGUSR2 - 1)) ? "yes" : "no");
}

int main(int argc, char** argv) {
  if (argc > 1) {
    after_exec(argc, argv);
    return 0;
  }
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  proc_start_hundred();
  pthread_t t;
  for (int i = 0; i < 4; i++) pthread_create(&t, NULL, spinner, NULL);
  for (int i = 0; i < 20; i++) pthread_create(&t, NULL, sleeper, NULL);
  sigemptyset(&s);
  pthread_sigmask(SIG_SETMASK, &s, NULL);
  pthread_create(&t, NULL, execer, NULL);
  pthread_join(t, NULL);
  proc_die("the exec'ing thread returned");
}
