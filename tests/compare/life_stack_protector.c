/* tests/compare/life_stack_protector.c — a program built with
 * -fstack-protector-all (the compare programs' default flags) whose threads
 * use stack arrays in deep call chains and yield inside them.
 *
 * Every protected function stores the canary from %fs:0x28 (the TCB's
 * stack_guard) on entry and compares on return; NPTL copies the creating
 * thread's canary into each new thread, so all threads share the main
 * thread's value. If a thread resumed (after a yield, on another kernel
 * thread under weft) with a different TCB, or a TCB with another canary, the
 * check would fail and abort the program. The pointer guard (%fs:0x30, used
 * to mangle setjmp buffers) is likewise shared: a longjmp across a yield
 * must land.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "life_common.h"

#define THREADS 200
#define DEPTH 24

static uintptr_t main_canary, main_pointer_guard;
static atomic_int other_canary, other_pointer_guard, bad_sums, bad_jumps;

static uintptr_t read_fs(int offset_is_canary) {
  uintptr_t v;
  if (offset_is_canary)
    __asm__ volatile("mov %%fs:0x28, %0" : "=r"(v));
  else
    __asm__ volatile("mov %%fs:0x30, %0" : "=r"(v));
  return v;
}

/* Fills a stack array, recurses, yields at a few depths, and checks the
 * array afterwards. */
static unsigned deep(int depth, unsigned seed) {
  char buf[96];
  memset(buf, (int)(seed + depth) & 0x7f, sizeof buf);
  snprintf(buf, 32, "depth %d seed %u", depth, seed);
  unsigned below = 0;
  if (depth > 0) below = deep(depth - 1, seed * 31 + 7);
  if (depth % 6 == 0) sched_yield();
  unsigned sum = 0;
  for (size_t i = 32; i < sizeof buf; i++) sum += (unsigned char)buf[i];
  return sum + below + (unsigned)strlen(buf);
}

static void *worker(void *arg) {
  unsigned seed = (unsigned)(uintptr_t)arg;
  if (read_fs(1) != main_canary) atomic_fetch_add(&other_canary, 1);
  if (read_fs(0) != main_pointer_guard) atomic_fetch_add(&other_pointer_guard, 1);
  unsigned first = deep(DEPTH, seed);
  for (int r = 0; r < 5; r++)
    if (deep(DEPTH, seed) != first) atomic_fetch_add(&bad_sums, 1);

  jmp_buf env;
  volatile int jumped = 0;
  if (setjmp(env) == 0) {
    char pad[64];
    memset(pad, 1, sizeof pad);
    sched_yield();
    jumped = pad[5];
    longjmp(env, 1);
  }
  if (jumped != 1) atomic_fetch_add(&bad_jumps, 1);
  return NULL;
}

int main(void) {
  main_canary = read_fs(1);
  main_pointer_guard = read_fs(0);
  pthread_t t[THREADS];
  for (uintptr_t i = 0; i < THREADS; i++) sync_start(&t[i], worker, (void *)(i % 7), 0);
  for (int i = 0; i < THREADS; i++) sync_join(t[i]);
  printf("%d threads, call depth %d, yielding inside protected frames\n", THREADS, DEPTH);
  printf("threads with another stack canary: %d\n", atomic_load(&other_canary));
  printf("threads with another pointer guard: %d\n", atomic_load(&other_pointer_guard));
  printf("unstable stack-array sums: %d\n", atomic_load(&bad_sums));
  printf("failed longjmps across a yield: %d\n", atomic_load(&bad_jumps));
  return 0;
}
