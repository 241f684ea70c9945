// ident_cpu: sched_getcpu and affinity. sched_getcpu() answers a CPU the
// process may run on and agrees with the getcpu system call made right
// after it, in the main thread as it moves between kernel threads under
// weft (glibc reads it from the main thread's rseq area, which the kernel
// fills for the main kernel thread only) and in other threads;
// pthread_setaffinity_np / pthread_getaffinity_np and sched_getaffinity(0)
// agree for a thread, reject a set with no usable CPU, and leave other
// threads' masks alone; pthread_setschedparam is seen by sched_getscheduler
// on the thread's id.
// Under weft also: the main thread's rseq area is not registered (cpu_id
// -1), like every other thread's.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sync_common.h"

extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));

static cpu_set_t allowed;
static atomic_int stop;

static void* spinner(void* a) {
  (void)a;
  while (!atomic_load(&stop)) {
    volatile long x = 0;
    for (int i = 0; i < 100000; i++) x += i;
  }
  return NULL;
}

// Rounds of: a short sleep (the thread may come back on another kernel
// thread), then sched_getcpu and getcpu. Returns the rounds that agreed.
static int agreeing_rounds(int rounds, int* in_mask) {
  int agree = 0;
  *in_mask = 1;
  for (int i = 0; i < rounds; i++) {
    usleep(500);
    int a = sched_getcpu();
    unsigned b = ~0u;
    syscall(SYS_getcpu, &b, NULL, NULL);
    agree += a == (int)b;
    *in_mask &= a >= 0 && CPU_ISSET(a, &allowed);
  }
  return agree;
}

static void* other(void* a) {
  (void)a;
  int in_mask, agree = agreeing_rounds(100, &in_mask);
  printf("thread: sched_getcpu in the mask %d, agrees with getcpu >= 80%% %d\n", in_mask,
         agree >= 80);
  int policy;
  struct sched_param sp = {0};
  printf("pthread_setschedparam(SCHED_BATCH) %d\n",
         pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp));
  printf("sched_getscheduler(gettid()) is SCHED_BATCH %d\n", sched_getscheduler(gettid()) == SCHED_BATCH);
  pthread_getschedparam(pthread_self(), &policy, &sp);
  printf("pthread_getschedparam SCHED_BATCH %d prio %d\n", policy == SCHED_BATCH, sp.sched_priority);
  cpu_set_t one, got, none;
  int first = 0;
  while (!CPU_ISSET(first, &allowed)) first++;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  printf("pthread_setaffinity_np(one CPU) %d\n", pthread_setaffinity_np(pthread_self(), sizeof one, &one));
  pthread_getaffinity_np(pthread_self(), sizeof got, &got);
  printf("pthread_getaffinity_np gives it back %d\n", CPU_EQUAL(&got, &one));
  sched_getaffinity(0, sizeof got, &got);
  printf("sched_getaffinity(0) gives it back %d\n", CPU_EQUAL(&got, &one));
  CPU_ZERO(&none);
  printf("an empty set: %s\n", strerror(pthread_setaffinity_np(pthread_self(), sizeof none, &none)));
  int r = sched_setaffinity(0, sizeof none, &none);
  printf("sched_setaffinity(0, empty): %d %s\n", r, strerror(errno));
  printf("a set too small for the kernel's mask: %s\n",
         strerror(pthread_getaffinity_np(pthread_self(), 1, &got)));
  printf("sched_setaffinity(0, all) %d\n", sched_setaffinity(0, sizeof allowed, &allowed));
  sched_getaffinity(0, sizeof got, &got);
  printf("all again %d\n", CPU_EQUAL(&got, &allowed));
  return NULL;
}

int main(void) {
  SYNC_CHECK(sched_getaffinity(0, sizeof allowed, &allowed) == 0, "sched_getaffinity");
  if (sync_under_weft() && &__rseq_offset && &__rseq_size && __rseq_size) {
    int32_t cpu_id = *(int32_t*)((char*)__builtin_thread_pointer() + __rseq_offset + 4);
    SYNC_CHECK(cpu_id == -1, "the main thread's rseq cpu_id is %d", cpu_id);
  }
  pthread_t spin[2], t;
  for (int i = 0; i < 2; i++) sync_start(&spin[i], spinner, NULL, 0);
  int in_mask, agree = agreeing_rounds(200, &in_mask);
  printf("main: sched_getcpu in the mask %d, agrees with getcpu >= 80%% %d\n", in_mask,
         agree >= 160);
  sync_start(&t, other, NULL, 0);
  sync_join(t);
  cpu_set_t got;
  sched_getaffinity(0, sizeof got, &got);
  printf("main's mask unchanged %d\n", CPU_EQUAL(&got, &allowed));
  atomic_store(&stop, 1);
  for (int i = 0; i < 2; i++) sync_join(spin[i]);
  return 0;
}
