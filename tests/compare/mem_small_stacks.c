/* tests/compare/mem_small_stacks.c — a smaller default stack size.
 *
 * Natively the program asks NPTL for 64 KiB default stacks itself
 * (pthread_setattr_default_np); under weft it re-executes itself with
 * WEFT_STACK_SIZE=64K and asks nothing: both runs must then see the same
 * thing. Threads created without attributes, and with pthread_attr_init'd
 * ones, get a 64 KiB stack (pthread_getattr_default_np and
 * pthread_getattr_np say so, and 48 KiB of it is usable); an explicit
 * stack size still wins. Under weft only: 5,000 idle threads cost less than
 * 10 KB each (no page-table page per thread), and a bad WEFT_STACK_SIZE is
 * refused with a "weft:" line and the RLIMIT_STACK default kept. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem_common.h"
#include "sync_common.h"

#define SMALL (64 * 1024)
#define THREADS 5000

extern char** environ;

static size_t default_stacksize(void) {
  pthread_attr_t a;
  size_t size = 0;
  if (pthread_getattr_default_np(&a) != 0) return 0;
  pthread_attr_getstacksize(&a, &size);
  pthread_attr_destroy(&a);
  return size;
}

/* Uses `arg` bytes of stack, then reports the stack size the thread has. */
static void* deep(void* arg) {
  size_t use = (size_t)arg;
  volatile char buf[48 * 1024];
  for (size_t i = 0; i < use && i < sizeof buf; i += 512) buf[i] = (char)i;
  pthread_attr_t a;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &a) == 0) {
    pthread_attr_getstacksize(&a, &size);
    pthread_attr_destroy(&a);
  }
  return (void*)size;
}

static size_t stack_of_new_thread(const pthread_attr_t* attr, size_t use) {
  pthread_t t;
  void* size = NULL;
  if (pthread_create(&t, attr, deep, (void*)use) != 0) return 0;
  pthread_join(t, &size);
  return (size_t)size;
}

static const char* band(size_t size) {
  if (size >= SMALL && size < 2 * SMALL) return "64K";
  if (size >= 8u << 20) return ">=8M";
  return "other";
}

static struct sync_gate gate;
static long base_kb;
static double kb_per_thread;

static void* idle(void* arg) {
  (void)arg;
  sync_gate_arrive(&gate);
  return NULL;
}

static void measure_while_all_blocked(void) {
  kb_per_thread = (double)(mem_rss_pte_kb() - base_kb) / THREADS;
}

/* Under weft: KB per idle thread with THREADS alive. */
static double kb_per_idle_thread(void) {
  static pthread_t t[THREADS];
  sync_gate_init(&gate, THREADS);
  base_kb = mem_rss_pte_kb();
  for (int i = 0; i < THREADS; i++) sync_start(&t[i], idle, NULL, 0);
  sync_gate_open(&gate, measure_while_all_blocked);
  for (int i = 0; i < THREADS; i++) sync_join(t[i]);
  sync_gate_destroy(&gate);
  return kb_per_thread;
}

/* Under weft: a bad value is refused and the default kept. */
static int bad_value_is_refused(const char* self) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "WEFT_STACK_SIZE=1K WEFT_TEST_STACK_CHILD=bad %s 2>&1", self);
  FILE* p = popen(cmd, "r");
  if (!p) return 0;
  char line[256];
  int warned = 0, kept = 0;
  while (fgets(line, sizeof line, p)) {
    if (strncmp(line, "weft: WEFT_STACK_SIZE", 21) == 0) warned = 1;
    if (strcmp(line, "default >=8M\n") == 0) kept = 1;
  }
  return pclose(p) == 0 && warned && kept;
}

int main(int argc, char** argv) {
  (void)argc;
  const char* child = getenv("WEFT_TEST_STACK_CHILD");
  if (child && strcmp(child, "bad") == 0) {
    printf("default %s\n", band(default_stacksize()));
    return 0;
  }
  if (sync_under_weft() && !child) {
    setenv("WEFT_STACK_SIZE", "64K", 1);
    setenv("WEFT_TEST_STACK_CHILD", "1", 1);
    execve("/proc/self/exe", argv, environ);
    perror("execve");
    return 1;
  }
  if (!sync_under_weft()) {
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, SMALL);
    if (pthread_setattr_default_np(&a) != 0) return 1;
    pthread_attr_destroy(&a);
  }
  printf("default %s\n", band(default_stacksize()));
  printf("no attr: %s\n", band(stack_of_new_thread(NULL, 48 * 1024)));
  pthread_attr_t a;
  pthread_attr_init(&a);
  printf("init'd attr: %s\n", band(stack_of_new_thread(&a, 48 * 1024)));
  pthread_attr_setstacksize(&a, 8u << 20);
  printf("explicit 8M: %s\n", band(stack_of_new_thread(&a, 0)));
  pthread_attr_destroy(&a);
  if (sync_under_weft()) {
    double kb = kb_per_idle_thread();
    SYNC_CHECK(kb < 10.0, "%.1f KB per idle thread with 64K stacks (want < 10)", kb);
    char self[400];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) return 1;
    self[len] = 0;
    SYNC_CHECK(bad_value_is_refused(self), "WEFT_STACK_SIZE=1K was not refused with a weft: line");
  }
  return 0;
}
