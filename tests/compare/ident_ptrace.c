// ident_ptrace: a thread that traces keeps doing so across sleeps, yields
// and blocking calls (under weft it would otherwise resume on another kernel
// thread, which the kernel does not take ptrace requests from).
// 1. A thread forks a child that calls PTRACE_TRACEME and stops itself; the
//    thread waits for it, sleeps and yields, then PEEKUSER, GETREGS,
//    PEEKDATA, POKEDATA and CONT, and waits for the child's exit.
// 2. Another thread (not the one that forked) SEIZEs a child of the
//    process, INTERRUPTs it, sleeps and yields, reads its registers and
//    DETACHes.
// 3. A thread that exits while it traces a child: the child is detached
//    (checked only; under weft not when the thread ran on the main kernel
//    thread, see libweft(7)).
// Spinning threads keep the other threads moving meanwhile.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sync_common.h"

// The children make raw system calls only (see io_block_calls.c).
static long raw(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

static volatile long marker = 0x1234;
static volatile long exit_code = 1;
static atomic_int stop_spinning;

static void* spinner(void* a) {
  (void)a;
  while (!atomic_load(&stop_spinning)) {
    volatile long x = 0;
    for (int i = 0; i < 10000; i++) x += i;
    sched_yield();
  }
  return NULL;
}

static void move_around(void) {
  for (int i = 0; i < 5; i++) {
    usleep(2000);
    sched_yield();
    syscall(SYS_nanosleep, &(struct timespec){0, 1000000}, NULL);  // held in the kernel
  }
}

static void* tracer_of_own_child(void* a) {
  (void)a;
  pid_t child = fork();
  SYNC_CHECK(child >= 0, "fork");
  if (child == 0) {
    if (raw(SYS_ptrace, PTRACE_TRACEME, 0, 0) != 0) raw(SYS_exit_group, 90, 0, 0);
    marker = 0x5678;
    raw(SYS_kill, raw(SYS_getpid, 0, 0, 0), SIGSTOP, 0);
    raw(SYS_exit_group, exit_code, 0, 0);
  }
  int st;
  SYNC_CHECK(waitpid(child, &st, 0) == child, "waitpid");
  printf("traceme child: stopped %d by SIGSTOP %d\n", WIFSTOPPED(st), WSTOPSIG(st) == SIGSTOP);
  move_around();
  errno = 0;
  long orig = ptrace(PTRACE_PEEKUSER, child, offsetof(struct user, regs.orig_rax), 0);
  printf("PEEKUSER orig_rax is kill: %d (errno %s)\n", orig == SYS_kill, strerror(errno));
  move_around();
  struct user_regs_struct regs;
  long r = ptrace(PTRACE_GETREGS, child, 0, &regs);
  printf("GETREGS %ld, orig_rax is kill: %d\n", r, r == 0 && regs.orig_rax == SYS_kill);
  errno = 0;
  long m = ptrace(PTRACE_PEEKDATA, child, &marker, 0);
  printf("PEEKDATA sees the child's write: %d (errno %s)\n", m == 0x5678, strerror(errno));
  move_around();
  printf("POKEDATA %ld\n", ptrace(PTRACE_POKEDATA, child, &exit_code, (void*)42));
  move_around();
  r = ptrace(PTRACE_CONT, child, 0, 0);
  printf("CONT %ld\n", r);
  if (r != 0) kill(child, SIGKILL);  // no wait for a child left stopped
  SYNC_CHECK(waitpid(child, &st, 0) == child, "waitpid");
  printf("traceme child: exited %d with the poked code %d\n", WIFEXITED(st), WEXITSTATUS(st));
  return NULL;
}

static pid_t seized;

static void* seizer(void* a) {
  (void)a;
  printf("SEIZE %ld\n", ptrace(PTRACE_SEIZE, seized, 0, 0));
  move_around();
  long r = ptrace(PTRACE_INTERRUPT, seized, 0, 0);
  printf("INTERRUPT %ld\n", r);
  int st = 0;
  if (r == 0) SYNC_CHECK(waitpid(seized, &st, 0) == seized, "waitpid");
  printf("seized child: group-stop event %d\n", WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP);
  move_around();
  struct user_regs_struct regs;
  r = ptrace(PTRACE_GETREGS, seized, 0, &regs);
  printf("GETREGS %ld, orig_rax is pause: %d\n", r, r == 0 && regs.orig_rax == SYS_pause);
  move_around();
  printf("DETACH %ld\n", ptrace(PTRACE_DETACH, seized, 0, 0));
  return NULL;
}

// SEIZEs and stops `seized`, then exits still tracing it.
static void* leaving_tracer(void* a) {
  (void)a;
  SYNC_CHECK(ptrace(PTRACE_SEIZE, seized, 0, 0) == 0, "SEIZE");
  move_around();
  SYNC_CHECK(ptrace(PTRACE_INTERRUPT, seized, 0, 0) == 0, "INTERRUPT");
  int st;
  SYNC_CHECK(waitpid(seized, &st, 0) == seized && WIFSTOPPED(st), "waitpid");
  return NULL;
}

// The TracerPid line of /proc/PID/status.
static long tracer_of(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE* f = fopen(path, "r");
  SYNC_CHECK(f != NULL, "open %s", path);
  long tracer = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "TracerPid: %ld", &tracer) == 1) break;
  fclose(f);
  return tracer;
}

int main(void) {
  pthread_t spin[2], t;
  for (int i = 0; i < 2; i++) sync_start(&spin[i], spinner, NULL, 0);
  sync_start(&t, tracer_of_own_child, NULL, 0);
  sync_join(t);

  seized = fork();
  SYNC_CHECK(seized >= 0, "fork");
  if (seized == 0)
    for (;;) raw(SYS_pause, 0, 0, 0);
  sync_start(&t, seizer, NULL, 0);
  sync_join(t);
  kill(seized, SIGKILL);
  int st;
  SYNC_CHECK(waitpid(seized, &st, 0) == seized, "waitpid");
  printf("seized child: killed %d\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

  // 3. A thread that exits while tracing: the kernel detaches the tracee.
  // Under weft that happens when the thread ran on any kernel thread but
  // the main one (which never exits; then the tracee stays traced by it).
  seized = fork();
  SYNC_CHECK(seized >= 0, "fork");
  if (seized == 0)
    for (;;) raw(SYS_pause, 0, 0, 0);
  sync_start(&t, leaving_tracer, NULL, 0);
  sync_join(t);
  long long deadline = sync_now_ns(CLOCK_MONOTONIC) + 10000000000LL;
  long tracer;
  while ((tracer = tracer_of(seized)) != 0 && sync_now_ns(CLOCK_MONOTONIC) < deadline) usleep(1000);
  if (sync_under_weft())
    SYNC_CHECK(tracer == 0 || tracer == getpid(), "traced by %ld after its tracer exited", tracer);
  else
    SYNC_CHECK(tracer == 0, "traced by %ld after its tracer exited", tracer);
  kill(seized, SIGKILL);
  SYNC_CHECK(waitpid(seized, &st, 0) == seized, "waitpid");
  atomic_store(&stop_spinning, 1);
  for (int i = 0; i < 2; i++) sync_join(spin[i]);
  return 0;
}
