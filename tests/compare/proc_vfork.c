/* proc_vfork: vfork() from a thread other than main with 100 threads alive
 * (issue 11: a vfork child must not run weft's runtime between vfork and
 * exec). The child borrows the calling thread's stack and TLS while the
 * parent's other threads run on: it blocks in read() on an empty pipe until
 * one of them writes, echoes the byte back with write() and leaves with
 * _exit(); a second child execs echo; a third leaves with status 9.
 */
#define _GNU_SOURCE
#include <semaphore.h>

#include "proc_common.h"

static int to_child[2], from_child[2];
static sem_t go;

static void* late_writer(void* arg) {
  sem_wait(&go);
  usleep(20000); /* lets the child block first; the result does not depend on it */
  PROC_CHECK(write(to_child[1], "v", 1) == 1, "write");
  return arg;
}

static void* vforker(void* arg) {
  pthread_t w;
  pthread_create(&w, NULL, late_writer, NULL);
  sem_post(&go);
  pid_t p = vfork();
  if (p == 0) {
    char c;
    if (read(to_child[0], &c, 1) != 1) _exit(2);
    c = (char)(c - 'a' + 'A');
    if (write(from_child[1], &c, 1) != 1) _exit(3);
    _exit(0);
  }
  PROC_CHECK(p > 0, "vfork: %s", strerror(errno));
  proc_report_child("reading child", p);
  char c = 0;
  PROC_CHECK(read(from_child[0], &c, 1) == 1, "read back");
  printf("child echoed '%c'\n", c);
  pthread_join(w, NULL);

  fflush(stdout);
  p = vfork();
  if (p == 0) {
    execl("/bin/echo", "echo", "echo run by a vfork child", (char*)NULL);
    _exit(127);
  }
  proc_report_child("exec'ing child", p);

  p = vfork();
  if (p == 0) _exit(9);
  proc_report_child("exiting child", p);
  return arg;
}

int main(void) {
  PROC_CHECK(pipe(to_child) == 0 && pipe(from_child) == 0, "pipe");
  sem_init(&go, 0, 0);
  proc_start_hundred();
  pthread_t t;
  pthread_create(&t, NULL, vforker, NULL);
  pthread_join(t, NULL);
  return 0;
}
