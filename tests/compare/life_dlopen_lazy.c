/* tests/compare/life_dlopen_lazy.c — dlopen/dlclose in a loop while other
 * threads call lazily bound functions of another loaded library.
 *
 * Each round loads lib/life_lazy.so with RTLD_LAZY (its 128 PLT calls are
 * unbound), then WORKERS threads call life_lazy_sum at once, so they run the
 * lazy binding resolver concurrently, while the main thread loads
 * lib/life_churn.so (RTLD_GLOBAL: the global scope changes) and unloads it
 * again until the workers are done. dlclose must wait for threads that are
 * inside a symbol lookup (glibc's gscope flag, which it finds through its
 * thread lists). The lazy library is unloaded at the end of each round so
 * the next round binds afresh. The churn library's TLS variable must read
 * its initial value after every reload.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "life_common.h"

#define ROUNDS 30
#define WORKERS 8
#define CALLS 200

static int (*lazy_sum)(int);
static struct sync_gate gate;
static atomic_int workers_done;
static atomic_long wrong_sums;

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  sync_gate_arrive(&gate);
  long wrong = 0;
  for (int c = 0; c < CALLS; c++) {
    int x = id * 1000 + c;
    wrong += lazy_sum(x) != 384 * x + 8128;
    if (c % 16 == 0) sched_yield();
  }
  atomic_fetch_add(&wrong_sums, wrong);
  atomic_fetch_add(&workers_done, 1);
  return NULL;
}

int main(void) {
  long wrong_tls = 0, still_loaded = 0;
  for (int round = 0; round < ROUNDS; round++) {
    void *lazy = life_dlopen("life_lazy", RTLD_LAZY | RTLD_LOCAL);
    lazy_sum = (int (*)(int))life_dlsym(lazy, "life_lazy_sum");
    atomic_store(&workers_done, 0);
    sync_gate_init(&gate, WORKERS);
    pthread_t t[WORKERS];
    for (intptr_t i = 0; i < WORKERS; i++) sync_start(&t[i], worker, (void *)i, 0);
    sync_gate_open(&gate, NULL);
    do {
      void *churn = life_dlopen("life_churn", RTLD_NOW | RTLD_GLOBAL);
      int (*next)(void) = (int (*)(void))life_dlsym(churn, "life_churn_next");
      wrong_tls += next() != 5;
      wrong_tls += next() != 6;
      LIFE_CHECK(dlclose(churn) == 0, "dlclose churn: %s", dlerror());
      sched_yield(); /* with one P under weft, let the workers run */
    } while (atomic_load(&workers_done) < WORKERS);
    for (int i = 0; i < WORKERS; i++) sync_join(t[i]);
    sync_gate_destroy(&gate);
    LIFE_CHECK(dlclose(lazy) == 0, "dlclose lazy: %s", dlerror());
    char path[PATH_MAX];
    life_lib_path(path, sizeof path, "life_lazy");
    void *again = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
    if (again) {
      still_loaded++;
      dlclose(again);
    }
  }
  printf("%d rounds x %d threads x %d lazily bound sums\n", ROUNDS, WORKERS, CALLS);
  printf("wrong sums: %ld\n", atomic_load(&wrong_sums));
  printf("churn library TLS not at its initial value after a reload: %ld\n", wrong_tls);
  printf("rounds after which the lazy library stayed loaded: %ld\n", still_loaded);
  return 0;
}
