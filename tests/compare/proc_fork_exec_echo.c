/* proc_fork_exec_echo: 8 threads each fork 20 times; half of the children
 * exec echo, the other half return from the thread's start routine, which
 * in a child (whose only thread it is) ends the process with status 0
 * (issue 11: under a runtime that kept the parent's other threads running in
 * the child, this printed about 1,500 lines instead of 80). The children's
 * output goes through a pipe that the parent reads to the end; it counts
 * the lines, and every child must have ended with status 0.
 */
#include "proc_common.h"

enum { kThreads = 8, kForks = 20 };
static int out[2];

static void* worker(void* arg) {
  for (int i = 0; i < kForks; i++) {
    pid_t p = fork();
    PROC_CHECK(p >= 0, "fork");
    if (p == 0) {
      if (i % 2) {
        dup2(out[1], 1);
        execlp("echo", "echo", "echoed", (char*)NULL);
        _exit(127);
      }
      return NULL; /* the child's last thread ends: exit status 0 */
    }
    int st;
    PROC_CHECK(waitpid(p, &st, 0) == p, "waitpid");
    PROC_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
  }
  return arg;
}

int main(void) {
  PROC_CHECK(pipe(out) == 0, "pipe");
  pthread_t t[kThreads];
  for (int i = 0; i < kThreads; i++) PROC_CHECK(pthread_create(&t[i], NULL, worker, NULL) == 0, "create");
  for (int i = 0; i < kThreads; i++) pthread_join(t[i], NULL);
  close(out[1]);
  char buf[4096];
  long n, lines = 0;
  while ((n = read(out[0], buf, sizeof buf)) > 0)
    for (long i = 0; i < n; i++) lines += buf[i] == '\n';
  printf("%ld lines\n", lines);
  return 0;
}
