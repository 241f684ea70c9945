/* tests/compare/live_big_tls.h — a program whose static TLS is large: a
 * BIG_TLS_BYTES `__thread` array (defined by the including file). Every
 * context that carries a thread's TLS must be sized from the real static TLS
 * size, or the process dies before main.
 *
 * 1,000 threads (10 rounds of 100 alive at once, so a native run stays
 * within memory), each fills its own copy with a pattern of its own, yields,
 * and checks it; the main thread's copy is filled first and checked last.
 * A stack too small for the TLS gives pthread_create's error, as NPTL's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sync_common.h"

#define ROUNDS 10
#define PER_ROUND 100

static __thread unsigned char big[BIG_TLS_BYTES];

static void fill(unsigned char seed) {
  for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(seed + i * 7);
}

static int intact(unsigned char seed) {
  for (size_t i = 0; i < sizeof big; i++)
    if (big[i] != (unsigned char)(seed + i * 7)) return 0;
  return 1;
}

static int all_zero(void) {
  for (size_t i = 0; i < sizeof big; i++)
    if (big[i]) return 0;
  return 1;
}

static void* worker(void* arg) {
  unsigned char seed = (unsigned char)(uintptr_t)arg;
  if (!all_zero()) /* a new thread's copy starts as the initial image */
    return (void*)1;
  fill(seed);
  sched_yield();
  return intact(seed) ? NULL : (void*)1;
}

int main(void) {
  fill(0xa5);
  int bad = 0;
  for (int r = 0; r < ROUNDS; r++) {
    pthread_t t[PER_ROUND];
    void* res[PER_ROUND];
    for (int i = 0; i < PER_ROUND; i++)
      SYNC_CHECK(pthread_create(&t[i], NULL, worker, (void*)(uintptr_t)(r * PER_ROUND + i + 1)) == 0,
                 "pthread_create");
    for (int i = 0; i < PER_ROUND; i++) {
      SYNC_CHECK(pthread_join(t[i], &res[i]) == 0, "join");
      if (res[i]) bad++;
    }
  }
  printf("%d threads with a %d KiB __thread array: %d saw a wrong copy\n", ROUNDS * PER_ROUND,
         BIG_TLS_BYTES / 1024, bad);
  printf("main's copy intact: %s\n", intact(0xa5) ? "yes" : "no");

  /* A requested stack smaller than the TLS: NPTL refuses it with EINVAL. */
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, BIG_TLS_BYTES / 4);
  pthread_t t;
  int err = pthread_create(&t, &a, worker, (void*)1);
  if (err == 0) sync_join(t);
  printf("stack of a quarter of the TLS: %s\n", err == EINVAL ? "EINVAL" : err ? strerror(err) : "created");
  /* One twice the TLS plus 1 MiB fits under both. */
  pthread_attr_setstacksize(&a, 2 * BIG_TLS_BYTES + (1 << 20));
  err = pthread_create(&t, &a, worker, (void*)2);
  void* res = (void*)1;
  if (err == 0) pthread_join(t, &res);
  printf("stack of twice the TLS plus 1 MiB: %s\n", err ? strerror(err) : res ? "wrong copy" : "ok");
  pthread_attr_destroy(&a);
  return 0;
}
