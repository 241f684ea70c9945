// sync_cancel: cancelling threads blocked in each kind of cancellation point
// (condvar waits re-acquire the mutex before the cleanup handler runs,
// semaphores, every sleep, an init routine of pthread_once). Whether the
// target is already blocked when it is cancelled does not change the result:
// a cancellation point that failed to notice would sleep for 100 s and the
// run would time out. For the condvar cases the canceller takes the mutex
// first, which the waiter only releases inside the wait: those are always
// cancelled while blocked.
#define _GNU_SOURCE
#include <stdatomic.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>
static pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static sem_t s;
static atomic_int ready;
static void cleanup_unlock(void* a) { (void)a; printf("  cleanup: unlock (mutex held?) %d\n", pthread_mutex_unlock(&m)); }
static void* cond_waiter(void* a) {
  (void)a;
  pthread_mutex_lock(&m);
  pthread_cleanup_push(cleanup_unlock, NULL);
  ready = 1;
  for (;;) pthread_cond_wait(&c, &m);
  pthread_cleanup_pop(1);
  return NULL;
}
static void* cond_timedwaiter(void* a) {
  (void)a;
  pthread_mutex_lock(&m);
  pthread_cleanup_push(cleanup_unlock, NULL);
  ready = 1;
  struct timespec t; clock_gettime(CLOCK_REALTIME, &t); t.tv_sec += 100;
  for (;;) pthread_cond_timedwait(&c, &m, &t);
  pthread_cleanup_pop(1);
  return NULL;
}
static void* cond_pending(void* a) {
  (void)a;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  while (!ready) sched_yield();
  pthread_mutex_lock(&m);
  pthread_cleanup_push(cleanup_unlock, NULL);
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
  pthread_cond_wait(&c, &m);
  pthread_cleanup_pop(1);
  return NULL;
}
static void* sem_waiter(void* a) { (void)a; ready = 1; sem_wait(&s); return (void*)1; }
static void* sem_timedwaiter(void* a) { (void)a; ready = 1; struct timespec t; clock_gettime(CLOCK_REALTIME, &t); t.tv_sec += 100; sem_timedwait(&s, &t); return (void*)1; }
static void* sleeper(void* a) { ready = 1; long k = (long)a;
  struct timespec t = {100, 0};
  if (k == 0) nanosleep(&t, NULL); else if (k == 1) sleep(100); else if (k == 2) usleep(10000000); else if (k == 3) clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL); else if (k == 4) thrd_sleep(&t, NULL);
  else if (k == 5) { clock_gettime(CLOCK_REALTIME, &t); t.tv_sec += 100; clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &t, NULL); }
  return (void*)1; }
static void cancel_and_join(pthread_t t, const char* what, int holds_mutex) {
  while (!ready) sched_yield();
  if (holds_mutex) {  // granted only once the waiter sleeps in the condvar
    pthread_mutex_lock(&m);
    pthread_cancel(t);
    pthread_mutex_unlock(&m);
  } else {
    pthread_cancel(t);
  }
  void* r; pthread_join(t, &r);
  printf("%s: %s\n", what, r == PTHREAD_CANCELED ? "cancelled" : "NOT cancelled");
  ready = 0;
}
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_calls;
static void once_init_cancel(void) { once_calls++; if (once_calls == 1) { ready = 1; for (;;) { sched_yield(); pthread_testcancel(); } } }
static void* once_thread(void* a) { (void)a; pthread_once(&once, once_init_cancel); return (void*)2; }
static pthread_once_t once2 = PTHREAD_ONCE_INIT;
static int once2_calls;
static void once_init_exit(void) { once2_calls++; if (once2_calls == 1) pthread_exit((void*)7); }
static void* once2_thread(void* a) { (void)a; pthread_once(&once2, once_init_exit); return (void*)3; }
int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pthread_t t;
  pthread_create(&t, NULL, cond_waiter, NULL); cancel_and_join(t, "cond_wait", 1);
  pthread_create(&t, NULL, cond_timedwaiter, NULL); cancel_and_join(t, "cond_timedwait", 1);
  printf("signal after cancels %d\n", pthread_cond_signal(&c));
  pthread_create(&t, NULL, cond_pending, NULL); pthread_cancel(t); ready = 1; { void* r; pthread_join(t, &r); printf("cond pending cancel: %s\n", r == PTHREAD_CANCELED ? "cancelled" : "NOT"); } ready = 0;
  printf("cond destroy %d\n", pthread_cond_destroy(&c));
  sem_init(&s, 0, 0);
  pthread_create(&t, NULL, sem_waiter, NULL); cancel_and_join(t, "sem_wait", 0);
  pthread_create(&t, NULL, sem_timedwaiter, NULL); cancel_and_join(t, "sem_timedwait", 0);
  sem_post(&s); int v; sem_getvalue(&s, &v); printf("sem value %d waiters word %u\n", v, (unsigned)(((unsigned long long*)&s)[0] >> 32));
  const char* names[] = {"nanosleep", "sleep", "usleep", "clock_nanosleep", "thrd_sleep", "clock_nanosleep abs"};
  for (long k = 0; k < 6; k++) { pthread_create(&t, NULL, sleeper, (void*)k); cancel_and_join(t, names[k], 0); }
  pthread_create(&t, NULL, once_thread, NULL); cancel_and_join(t, "once init", 0);
  void* r; pthread_create(&t, NULL, once_thread, NULL); pthread_join(t, &r); printf("once after cancel: ret %ld calls %d\n", (long)r, once_calls);
  pthread_create(&t, NULL, once2_thread, NULL); pthread_join(t, &r); printf("once exit: ret %ld\n", (long)r);
  pthread_create(&t, NULL, once2_thread, NULL); pthread_join(t, &r); printf("once after exit: ret %ld calls %d\n", (long)r, once2_calls);
  return 0;
}
