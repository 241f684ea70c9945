/* tests/compare/life_dlopen_ie_tls.c — dlopen of a library with initial-exec
 * TLS while 1,000 threads are alive; each thread then reads the variable's
 * initial value (42) and zeroed .tbss, sets its own value and reads it back
 * after yielding. Threads created after the dlopen, and the main thread, see
 * the initial values too.
 *
 * glibc (elf/dl-reloc.c, _dl_init_static_tls) copies the module's TLS image
 * into the static TLS area of every thread on its stack lists; a thread
 * whose TCB glibc does not know about would read garbage (a probe saw
 * 0xaaaaaaaa under an early weft).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "life_common.h"

#define ALIVE 1000
#define LATE 20

static int (*ie_get)(void);
static void (*ie_set)(int);
static int (*ie_zeroed_ok)(void);
static struct sync_gate gate;
static atomic_int wrong_initial, wrong_zeroed, wrong_own;

static void check_thread(int id) {
  if (ie_get() != 42) atomic_fetch_add(&wrong_initial, 1);
  if (!ie_zeroed_ok()) atomic_fetch_add(&wrong_zeroed, 1);
  ie_set(1000 + id);
  for (int i = 0; i < 5; i++) sched_yield();
  if (ie_get() != 1000 + id) atomic_fetch_add(&wrong_own, 1);
}

static void *alive_thread(void *arg) {
  sync_gate_arrive(&gate); /* blocked here during the dlopen */
  check_thread((int)(intptr_t)arg);
  return NULL;
}

static void *late_thread(void *arg) {
  check_thread((int)(intptr_t)arg);
  return NULL;
}

static void load_library(void) {
  void *h = life_dlopen("life_ie_tls", RTLD_NOW | RTLD_LOCAL);
  ie_get = (int (*)(void))life_dlsym(h, "life_ie_get");
  ie_set = (void (*)(int))life_dlsym(h, "life_ie_set");
  ie_zeroed_ok = (int (*)(void))life_dlsym(h, "life_ie_zeroed_ok");
}

int main(void) {
  static pthread_t t[ALIVE + LATE];
  sync_gate_init(&gate, ALIVE);
  for (intptr_t i = 0; i < ALIVE; i++) sync_start(&t[i], alive_thread, (void *)i, 0);
  /* Every thread is waiting at the gate while the library is loaded. */
  sync_gate_open(&gate, load_library);
  for (intptr_t i = ALIVE; i < ALIVE + LATE; i++) sync_start(&t[i], late_thread, (void *)i, 0);
  for (int i = 0; i < ALIVE + LATE; i++) sync_join(t[i]);
  sync_gate_destroy(&gate);

  check_thread(-1);
  printf("%d threads alive at dlopen, %d created after, and main\n", ALIVE, LATE);
  printf("wrong initial value: %d\n", atomic_load(&wrong_initial));
  printf("wrong zeroed block: %d\n", atomic_load(&wrong_zeroed));
  printf("lost own value after yields: %d\n", atomic_load(&wrong_own));
  return 0;
}
