/* tests/compare/live_attr_errors.c — bad thread attributes and sizes beyond
 * what the address space or the kernel's overcommit check allows make
 * pthread_create fail with NPTL's error, never crash.
 *
 * Each case builds an attribute (stack size, guard size, caller-supplied
 * stack, explicit scheduling, CPU set, or the process default) and prints
 * one line: the case, what the attribute setters returned when not 0, and
 * pthread_create's result by errno name; a thread that was created must
 * have run and been joined. The same sizes are refused natively by glibc's
 * allocate_stack (EINVAL: arithmetic overflow, too small for the guard and
 * static TLS) or by the kernel (mmap/mprotect ENOMEM, reported as EAGAIN),
 * and the scheduling and CPU checks come after the stack, so a combination
 * gets the stack's error first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "sync_common.h"

static const char *err_name(int e) {
  switch (e) {
    case 0: return "OK";
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EPERM: return "EPERM";
    default: return strerror(e);
  }
}

static void *ran(void *arg) {
  *(volatile int *)arg = 1;
  return arg;
}

/* Creates a thread with `a` (NULL: the default attributes), prints the
 * line, and joins it when created. `setters`: the first non-zero result of
 * the attribute setters, printed when there is one. */
static void try_create(const char *name, const pthread_attr_t *a, int setters) {
  volatile int flag = 0;
  pthread_t t;
  int r = pthread_create(&t, a, ran, (void *)&flag);
  printf("%s:", name);
  if (setters) printf(" setter %s,", err_name(setters));
  printf(" create %s", err_name(r));
  if (r == 0) {
    void *res = NULL;
    int j = pthread_join(t, &res);
    SYNC_CHECK(j == 0 && res == &flag && flag == 1, "%s: join %d, ran %d", name, j, flag);
    printf(", ran and joined");
  }
  printf("\n");
}

/* A size no case uses: leave the attribute's default. */
#define KEEP (SIZE_MAX - 1)

static void sized(const char *name, size_t stack, size_t guard) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  int s = 0;
  if (stack != KEEP) s = pthread_attr_setstacksize(&a, stack);
  if (guard != KEEP) {
    int g = pthread_attr_setguardsize(&a, guard);
    if (!s) s = g;
  }
  try_create(name, &a, s);
  pthread_attr_destroy(&a);
}

static char *user_mem;            /* caller-supplied stacks are carved here */
#define USER_MEM (1u << 20)

static void user_stack(const char *name, size_t offset, size_t size) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  int s = pthread_attr_setstack(&a, user_mem + offset, size);
  try_create(name, &a, s);
  pthread_attr_destroy(&a);
}

/* Explicit scheduling. pthread_attr_setschedparam checks the priority
 * against the policy set at that moment, so a policy set afterwards gives
 * a pair the kernel refuses when the thread is created. */
static void sched(const char *name, int policy_first, int prio, int policy_after,
                  size_t stack) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  int s = pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
  if (policy_first >= 0 && !s) s = pthread_attr_setschedpolicy(&a, policy_first);
  struct sched_param p = {.sched_priority = prio};
  if (!s) s = pthread_attr_setschedparam(&a, &p);
  if (policy_after >= 0 && !s) s = pthread_attr_setschedpolicy(&a, policy_after);
  if (stack != KEEP && !s) s = pthread_attr_setstacksize(&a, stack);
  try_create(name, &a, s);
  pthread_attr_destroy(&a);
}

/* A CPU set naming only a CPU that does not exist. */
static void no_cpu(const char *name, size_t stack) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(CPU_SETSIZE - 1, &set);
  int s = pthread_attr_setaffinity_np(&a, sizeof set, &set);
  if (stack != KEEP && !s) s = pthread_attr_setstacksize(&a, stack);
  try_create(name, &a, s);
  pthread_attr_destroy(&a);
}

static void default_size(const char *name, size_t stack) {
  pthread_attr_t a, old;
  pthread_getattr_default_np(&old);
  pthread_attr_init(&a);
  int s = pthread_attr_setstacksize(&a, stack);
  if (!s) s = pthread_setattr_default_np(&a);
  try_create(name, NULL, s);
  SYNC_CHECK(pthread_setattr_default_np(&old) == 0, "restoring the default attributes");
  pthread_attr_destroy(&a);
  pthread_attr_destroy(&old);
}

int main(void) {
  const size_t page = 4096, min = PTHREAD_STACK_MIN;

  /* Stack sizes; pthread_attr_setstacksize refuses those below the minimum. */
  sized("stack 0", 0, KEEP);
  sized("stack STACK_MIN-1", min - 1, KEEP);
  sized("stack STACK_MIN", min, KEEP);
  sized("stack STACK_MIN+1", min + 1, KEEP);
  sized("stack STACK_MIN+63", min + 63, KEEP);
  sized("stack STACK_MIN+4095", min + 4095, KEEP);
  sized("stack 1M+1", (1u << 20) + 1, KEEP);
  sized("stack 1<<40", (size_t)1 << 40, KEEP);
  sized("stack 1<<46", (size_t)1 << 46, KEEP);
  sized("stack 1<<47", (size_t)1 << 47, KEEP);
  sized("stack 1<<48", (size_t)1 << 48, KEEP);
  sized("stack SIZE_MAX/2", SIZE_MAX / 2, KEEP);
  sized("stack SIZE_MAX-8191", SIZE_MAX - 8191, KEEP);
  sized("stack SIZE_MAX-4096", SIZE_MAX - 4096, KEEP);
  sized("stack SIZE_MAX-4095", SIZE_MAX - 4095, KEEP);
  sized("stack SIZE_MAX-63", SIZE_MAX - 63, KEEP);
  sized("stack SIZE_MAX", SIZE_MAX, KEEP);

  /* The same without a guard: nothing is added to the size. */
  sized("stack STACK_MIN guard 0", min, 0);
  sized("stack 1<<40 guard 0", (size_t)1 << 40, 0);
  sized("stack 1<<46 guard 0", (size_t)1 << 46, 0);
  sized("stack 1<<47 guard 0", (size_t)1 << 47, 0);
  sized("stack SIZE_MAX-4095 guard 0", SIZE_MAX - 4095, 0);
  sized("stack SIZE_MAX-63 guard 0", SIZE_MAX - 63, 0);
  sized("stack SIZE_MAX guard 0", SIZE_MAX, 0);

  /* Guard sizes, alone and larger than the stack. */
  sized("guard 1", KEEP, 1);
  sized("guard page+1", KEEP, page + 1);
  sized("guard 1M stack STACK_MIN", min, 1u << 20);
  sized("guard 1<<30 stack STACK_MIN", min, (size_t)1 << 30);
  sized("guard 1<<40 stack STACK_MIN", min, (size_t)1 << 40);
  sized("guard 1<<46 stack STACK_MIN", min, (size_t)1 << 46);
  sized("guard 1<<47 stack STACK_MIN", min, (size_t)1 << 47);
  sized("guard SIZE_MAX/2", KEEP, SIZE_MAX / 2);
  sized("guard SIZE_MAX-8191", KEEP, SIZE_MAX - 8191);
  sized("guard SIZE_MAX-4096", KEEP, SIZE_MAX - 4096);
  sized("guard SIZE_MAX-4095", KEEP, SIZE_MAX - 4095);
  sized("guard SIZE_MAX-4094", KEEP, SIZE_MAX - 4094);
  sized("guard SIZE_MAX", KEEP, SIZE_MAX);

  /* Stack and guard together. */
  sized("stack 1<<46 guard 1<<46", (size_t)1 << 46, (size_t)1 << 46);
  sized("stack 1<<47 guard 1<<47", (size_t)1 << 47, (size_t)1 << 47);
  sized("stack SIZE_MAX/2 guard SIZE_MAX/2", SIZE_MAX / 2, SIZE_MAX / 2);
  sized("stack SIZE_MAX/2+1 guard SIZE_MAX/2", SIZE_MAX / 2 + 1, SIZE_MAX / 2);
  sized("stack SIZE_MAX-8191 guard 4096", SIZE_MAX - 8191, page);
  sized("stack SIZE_MAX-8191 guard 8192", SIZE_MAX - 8191, 2 * page);
  sized("stack STACK_MIN guard SIZE_MAX-8191", min, SIZE_MAX - 8191);
  sized("stack 1<<40 guard 1<<40", (size_t)1 << 40, (size_t)1 << 40);

  /* Caller-supplied stacks: aligned, misaligned, odd sizes; too small
   * ones are refused by pthread_attr_setstack itself. */
  user_mem = mmap(NULL, USER_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  SYNC_CHECK(user_mem != MAP_FAILED, "mmap");
  user_stack("user stack 64K", 0, 64 * 1024);
  user_stack("user stack STACK_MIN", 0, min);
  user_stack("user stack STACK_MIN-1", 0, min - 1);
  user_stack("user stack 0", 0, 0);
  user_stack("user stack +1 STACK_MIN", 1, min);
  user_stack("user stack +8 STACK_MIN+7", 8, min + 7);
  user_stack("user stack +4095 64K+13", 4095, 64 * 1024 + 13);
  user_stack("user stack +63 STACK_MIN+1", 63, min + 1);

  /* Explicit scheduling: the kernel refuses these pairs. */
  sched("explicit OTHER 0", SCHED_OTHER, 0, -1, KEEP);
  sched("explicit default policy 0", -1, 0, -1, KEEP);
  sched("explicit OTHER then FIFO prio 0", SCHED_OTHER, 0, SCHED_FIFO, KEEP);
  sched("explicit OTHER then RR prio 0", SCHED_OTHER, 0, SCHED_RR, KEEP);
  sched("explicit FIFO 50 then OTHER", SCHED_FIFO, 50, SCHED_OTHER, KEEP);
  sched("explicit FIFO 0", SCHED_FIFO, 0, -1, KEEP);
  sched("explicit BATCH", SCHED_BATCH, 0, -1, KEEP);
  sched("explicit OTHER then FIFO prio 0 stack 1<<46", SCHED_OTHER, 0, SCHED_FIFO,
        (size_t)1 << 46);
  sched("explicit OTHER then FIFO prio 0 stack SIZE_MAX", SCHED_OTHER, 0, SCHED_FIFO, SIZE_MAX);

  /* A CPU set with no usable CPU; the stack is checked first. */
  no_cpu("cpu set without a CPU", KEEP);
  no_cpu("cpu set without a CPU stack 1<<46", (size_t)1 << 46);

  /* The process default (threads created without attributes). */
  default_size("default stack 1<<46", (size_t)1 << 46);
  default_size("default stack SIZE_MAX", SIZE_MAX);
  default_size("default stack 1M+1", (1u << 20) + 1);
  try_create("default restored", NULL, 0);

  /* Everything still works after the failures. */
  sized("stack STACK_MIN again", min, KEEP);
  munmap(user_mem, USER_MEM);
  return 0;
}
