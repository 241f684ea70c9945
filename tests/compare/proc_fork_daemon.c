/* proc_fork_daemon: the classic double fork of a daemon, by a process whose
 * other threads sit in pause(), in pipe reads and on a condvar (issue 11: a
 * grandchild was left stuck). The child forks the grandchild and exits; the
 * grandchild calls setsid(), creates and joins 100 threads one after another
 * and 100 at once, and reports through a pipe; the parent reads the report
 * to its end (the pipe closes when the grandchild exits).
 */
#include "proc_common.h"

static void* nop(void* arg) { return arg; }

int main(void) {
  proc_start_hundred();
  int rep[2];
  PROC_CHECK(pipe(rep) == 0, "pipe");
  fflush(stdout);
  pid_t p = fork();
  PROC_CHECK(p >= 0, "fork");
  if (p == 0) {
    close(rep[0]);
    pid_t q = fork();
    if (q != 0) _exit(q > 0 ? 0 : 1);
    PROC_CHECK(setsid() > 0, "setsid");
    long sum = 0;
    for (long i = 0; i < 100; i++) {
      pthread_t t;
      void* r;
      PROC_CHECK(pthread_create(&t, NULL, nop, (void*)i) == 0, "create");
      pthread_join(t, &r);
      sum += (long)r;
    }
    pthread_t t[100];
    for (long i = 0; i < 100; i++) PROC_CHECK(pthread_create(&t[i], NULL, nop, (void*)i) == 0, "create");
    for (int i = 0; i < 100; i++) {
      void* r;
      pthread_join(t[i], &r);
      sum += (long)r;
    }
    dprintf(rep[1], "grandchild: session leader %d, sum %ld, tasks before exit %s\n",
            getsid(0) == getpid(), sum, proc_task_count() >= 1 ? "ok" : "none");
    _exit(0);
  }
  close(rep[1]);
  proc_report_child("child", p);
  char buf[256];
  long n, got = 0;
  while ((n = read(rep[0], buf + got, sizeof buf - 1 - got)) > 0) got += n;
  buf[got] = 0;
  printf("%s", buf);
  return 0;
}
