/* timer_thread_identity: a periodic SIGEV_THREAD timer fires its callback
 * 100 times, and each callback runs in a proper thread of its own (issue 11,
 * acceptance 8). glibc starts these threads itself; under weft they must be
 * weft's threads, not kernel threads weft does not know.
 *
 * The 100 callbacks stay alive together (each waits until all have
 * started), so their pthread_self values must all differ (a thread that has
 * exited may give its handle to a later one). In each: pthread_self equals
 * itself and not the main thread, pthread_getattr_np describes it (detached,
 * the default stack size), pthread_kill(self, 0) finds it, a __thread
 * variable starts at its initial value and keeps the thread's own value
 * while the others set theirs, pthread_getspecific starts NULL and keeps
 * what the thread set, and the key's destructor runs when it ends. Under
 * weft the 100 live callbacks need no kernel thread each (natively each is
 * one; glibc's own helper would make them so under weft too). */
#define _GNU_SOURCE
#include "timer_common.h"

#define N 100

static pthread_t main_self;
static pthread_key_t key;
static __thread int tls_int = 42;
static __thread char tls_name[16];
static size_t default_stack;
static int tag;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_started = PTHREAD_COND_INITIALIZER;
static int started;
static pthread_t selves[N];
static struct tm_count finished = TM_COUNT_INIT;
static struct tm_count destructed = TM_COUNT_INIT;

static void destructor(void* value) {
  free(value);
  tm_bump(&destructed);
}

static void callback(union sigval v) {
  SYNC_CHECK(v.sival_ptr == &tag, "sigev_value not passed");
  pthread_t self = pthread_self();
  SYNC_CHECK(pthread_equal(self, self) && !pthread_equal(self, main_self),
             "pthread_self is the main thread's");
  pthread_attr_t a;
  SYNC_CHECK(pthread_getattr_np(self, &a) == 0, "pthread_getattr_np");
  int detach;
  size_t size;
  void* addr;
  pthread_attr_getdetachstate(&a, &detach);
  pthread_attr_getstack(&a, &addr, &size);
  pthread_attr_destroy(&a);
  SYNC_CHECK(detach == PTHREAD_CREATE_DETACHED, "callback thread not detached");
  SYNC_CHECK(size == default_stack, "stack %zu, default %zu", size, default_stack);
  char* here = (char*)&a;
  SYNC_CHECK(here > (char*)addr && here < (char*)addr + size, "not on its own stack");
  SYNC_CHECK(pthread_kill(self, 0) == 0, "pthread_kill(self, 0)");
  SYNC_CHECK(tls_int == 42 && tls_name[0] == 0, "__thread not at its initial value");
  SYNC_CHECK(pthread_getspecific(key) == NULL, "key value not NULL in a new thread");

  pthread_mutex_lock(&mu);
  int i = started++;
  if (i >= N) {  /* an expiry between the 100th and timer_delete */
    pthread_mutex_unlock(&mu);
    return;
  }
  selves[i] = self;
  int* mine = malloc(sizeof *mine);
  *mine = i;
  SYNC_CHECK(pthread_setspecific(key, mine) == 0, "pthread_setspecific");
  tls_int = i;
  snprintf(tls_name, sizeof tls_name, "cb%d", i);
  if (started == N) {
    /* Under weft they are weft's threads: no kernel thread each. */
    sync_check_kernel_tasks("100 callbacks alive");
    pthread_cond_broadcast(&all_started);
  }
  while (started < N) pthread_cond_wait(&all_started, &mu);
  pthread_mutex_unlock(&mu);

  /* All 100 are alive and have set their own values. */
  char want[16];
  snprintf(want, sizeof want, "cb%d", i);
  SYNC_CHECK(tls_int == i && strcmp(tls_name, want) == 0, "__thread value of another thread");
  SYNC_CHECK(pthread_getspecific(key) == mine && *mine == i, "key value of another thread");
  SYNC_CHECK(pthread_equal(pthread_self(), self), "pthread_self changed");
  tm_bump(&finished);
}

int main(void) {
  main_self = pthread_self();
  pthread_attr_t a;
  SYNC_CHECK(pthread_getattr_default_np(&a) == 0, "pthread_getattr_default_np");
  pthread_attr_getstacksize(&a, &default_stack);
  pthread_attr_destroy(&a);
  SYNC_CHECK(pthread_key_create(&key, destructor) == 0, "pthread_key_create");

  timer_t t = tm_thread_timer(CLOCK_MONOTONIC, callback, &tag, NULL);
  tm_arm(t, 0, 2 * TM_MS, 2 * TM_MS);
  tm_expect(&finished, N, "callbacks that finished");
  SYNC_CHECK(timer_delete(t) == 0, "timer_delete: %s", strerror(errno));
  tm_expect(&destructed, N, "key destructors run");

  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++)
      SYNC_CHECK(!pthread_equal(selves[i], selves[j]), "callbacks %d and %d share a thread", i, j);
  printf("%d callbacks, each in a thread of its own, alive together\n", N);
  printf("each: detached, default stack, its own __thread and key values\n");
  printf("%d key destructors ran\n", N);
  return 0;
}
