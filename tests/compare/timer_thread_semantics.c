/* timer_thread_semantics: what a SIGEV_THREAD timer does besides starting
 * threads, as glibc 2.36 and the kernel do it natively:
 * - timer_gettime after timer_settime, the old value, disarming;
 * - a one-shot timer fires once; timer_getoverrun counts the expiries a
 *   late callback stands for (a periodic timer started 100 periods in the
 *   past: 100), and 0 for a punctual one;
 * - a disarmed or deleted timer starts no more callbacks; timer_delete from
 *   inside its own callback; timer_delete while a callback runs lets it
 *   finish;
 * - an expiry while a callback still runs starts another thread;
 * - TIMER_ABSTIME on CLOCK_REALTIME and CLOCK_MONOTONIC (a time in the past
 *   fires at once);
 * - sigev_notify_attributes: stack size and guard size, a joinable
 *   attribute still gives a detached thread, a stack of the program's own;
 * - errors; 200 timers at once, each firing once;
 * - a program that closes every descriptor it did not open (close in a
 *   loop, closefrom, close_range) keeps its timers (natively they have
 *   none). */
#define _GNU_SOURCE
#include "timer_common.h"

/* What one timer's callbacks report. */
struct probe {
  timer_t id;
  struct tm_count calls;
  int want_overrun;       /* the timer is never deleted under a callback */
  int overrun;            /* timer_getoverrun in the latest callback */
  long long fired_ns;     /* the clock's time in the latest callback */
  clockid_t clock;
  int stop;               /* disarm/delete done: callbacks count as late */
  struct tm_count late;
  int delete_self;        /* the callback deletes its timer */
  struct tm_count* gate;  /* the callback waits until this reaches 1 */
  struct tm_count* running;
};

static void probe_cb(union sigval v) {
  struct probe* p = v.sival_ptr;
  if (p->want_overrun) p->overrun = timer_getoverrun(p->id);
  p->fired_ns = sync_now_ns(p->clock);
  if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) tm_bump(&p->late);
  if (p->delete_self && tm_get(&p->calls) == 0)
    SYNC_CHECK(timer_delete(p->id) == 0, "timer_delete in callback: %s", strerror(errno));
  if (p->running) tm_bump(p->running);
  if (p->gate) tm_wait(p->gate, 1, TM_PATIENCE);
  tm_bump(&p->calls);
}

static struct probe* probe_new(clockid_t c, pthread_attr_t* attr) {
  struct probe* p = calloc(1, sizeof *p);
  struct tm_count zero = TM_COUNT_INIT;
  p->calls = zero;
  p->late = zero;
  p->clock = c;
  p->id = tm_thread_timer(c, probe_cb, p, attr);
  return p;
}

/* Nothing more happens within `ns`: at most `slack` late callbacks (one
 * whose expiry came just before the stop may still start, natively too). */
static void expect_quiet(struct probe* p, int slack, const char* what) {
  int late = tm_wait(&p->late, slack + 1, 150 * TM_MS);
  SYNC_CHECK(late <= slack, "%s: %d callbacks after it", what, late);
}

static void gettime_and_disarm(void) {
  struct probe* p = probe_new(CLOCK_MONOTONIC, NULL);
  tm_arm(p->id, 0, 100 * TM_SEC, 3 * TM_SEC);
  struct itimerspec cur, old, zero = tm_spec(0, 0);
  SYNC_CHECK(timer_gettime(p->id, &cur) == 0, "timer_gettime");
  long long v = tm_ns(cur.it_value);
  SYNC_CHECK(v > 99 * TM_SEC && v <= 100 * TM_SEC, "it_value %lld", v);
  SYNC_CHECK(tm_ns(cur.it_interval) == 3 * TM_SEC, "it_interval");
  SYNC_CHECK(timer_settime(p->id, 0, &zero, &old) == 0, "disarm");
  v = tm_ns(old.it_value);
  SYNC_CHECK(v > 99 * TM_SEC && v <= 100 * TM_SEC && tm_ns(old.it_interval) == 3 * TM_SEC,
             "old value");
  SYNC_CHECK(timer_gettime(p->id, &cur) == 0 && tm_ns(cur.it_value) == 0 &&
                 tm_ns(cur.it_interval) == 0, "disarmed gettime");
  SYNC_CHECK(timer_getoverrun(p->id) == 0, "overrun before any expiry");
  printf("gettime after settime, old value, disarmed: ok\n");

  /* A periodic timer disarmed after 3 callbacks starts no more. */
  tm_arm(p->id, 0, 2 * TM_MS, 2 * TM_MS);
  tm_expect(&p->calls, 3, "periodic callbacks");
  SYNC_CHECK(timer_settime(p->id, 0, &zero, NULL) == 0, "disarm");
  __atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
  expect_quiet(p, 1, "disarm");
  printf("a disarmed periodic timer stops\n");
  SYNC_CHECK(timer_delete(p->id) == 0, "timer_delete");
}

static void one_shot_and_overrun(void) {
  struct probe* p = probe_new(CLOCK_MONOTONIC, NULL);
  p->want_overrun = 1;
  tm_arm(p->id, 0, 5 * TM_MS, 0);
  tm_expect(&p->calls, 1, "one-shot callback");
  SYNC_CHECK(p->overrun == 0, "one-shot overrun %d", p->overrun);
  struct itimerspec cur;
  SYNC_CHECK(timer_gettime(p->id, &cur) == 0 && tm_ns(cur.it_value) == 0, "expired gettime");
  __atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
  expect_quiet(p, 0, "one-shot");
  printf("one-shot: one callback, overrun 0, then disarmed\n");

  /* Started 100 periods (of 1 s) ago: the first callback stands for 101
   * expiries. The next expiry is a second away. */
  __atomic_store_n(&p->stop, 0, __ATOMIC_RELEASE);
  long long now = sync_now_ns(CLOCK_MONOTONIC);
  tm_arm(p->id, TIMER_ABSTIME, now - 100 * TM_SEC, TM_SEC);
  tm_expect(&p->calls, 2, "late periodic callback");
  SYNC_CHECK(p->overrun == 100, "overrun %d, want 100", p->overrun);
  SYNC_CHECK(timer_getoverrun(p->id) == 100, "timer_getoverrun outside the callback");
  tm_arm(p->id, 0, 5 * TM_MS, 0);
  tm_expect(&p->calls, 3, "re-armed callback");
  SYNC_CHECK(p->overrun == 0, "overrun after re-arm %d", p->overrun);
  printf("overrun: 100 for a timer started 100 periods late, then 0\n");
  SYNC_CHECK(timer_delete(p->id) == 0, "timer_delete");
}

static void deleting(void) {
  /* Deleted after 3 callbacks of a periodic timer. */
  struct probe* p = probe_new(CLOCK_MONOTONIC, NULL);
  tm_arm(p->id, 0, 2 * TM_MS, 2 * TM_MS);
  tm_expect(&p->calls, 3, "periodic callbacks");
  SYNC_CHECK(timer_delete(p->id) == 0, "timer_delete");
  __atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
  expect_quiet(p, 1, "timer_delete");
  printf("a deleted periodic timer stops\n");

  /* Deleted by its first callback. */
  p = probe_new(CLOCK_MONOTONIC, NULL);
  p->delete_self = 1;
  tm_arm(p->id, 0, 2 * TM_MS, 2 * TM_MS);
  tm_expect(&p->calls, 1, "self-deleting callback");
  __atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
  expect_quiet(p, 2, "timer_delete in the callback");
  printf("a callback deletes its own timer\n");

  /* Deleted while its callback waits: the callback finishes afterwards. */
  struct tm_count gate = TM_COUNT_INIT, running = TM_COUNT_INIT;
  p = probe_new(CLOCK_MONOTONIC, NULL);
  p->gate = &gate;
  p->running = &running;
  tm_arm(p->id, 0, 2 * TM_MS, 0);
  tm_expect(&running, 1, "callback running");
  SYNC_CHECK(timer_delete(p->id) == 0, "timer_delete while a callback runs");
  SYNC_CHECK(tm_get(&p->calls) == 0, "callback finished early");
  tm_set(&gate, 1);
  tm_expect(&p->calls, 1, "callback after timer_delete");
  printf("timer_delete while its callback runs: the callback finishes\n");
}

static void overlapping(void) {
  /* The first callbacks wait until 4 have started: expiries keep starting
   * threads while earlier callbacks run. */
  struct tm_count gate = TM_COUNT_INIT, running = TM_COUNT_INIT;
  struct probe* p = probe_new(CLOCK_MONOTONIC, NULL);
  p->gate = &gate;
  p->running = &running;
  tm_arm(p->id, 0, 2 * TM_MS, 2 * TM_MS);
  tm_expect(&running, 4, "overlapping callbacks");
  SYNC_CHECK(tm_get(&p->calls) == 0, "a callback did not wait");
  SYNC_CHECK(timer_delete(p->id) == 0, "timer_delete");
  tm_set(&gate, 1);
  tm_expect(&p->calls, tm_get(&running), "released callbacks");
  printf("expiries during a running callback start more threads\n");
}

static void absolute(clockid_t c, const char* name) {
  struct probe* p = probe_new(c, NULL);
  p->want_overrun = 1;
  long long target = sync_now_ns(c) + 30 * TM_MS;
  tm_arm(p->id, TIMER_ABSTIME, target, 0);
  tm_expect(&p->calls, 1, "absolute callback");
  SYNC_CHECK(p->fired_ns >= target, "%s: fired %lld ns early", name, target - p->fired_ns);
  long long past = sync_now_ns(c) - 5 * TM_SEC;
  tm_arm(p->id, TIMER_ABSTIME, past, 0);
  tm_expect(&p->calls, 2, "callback for a time in the past");
  SYNC_CHECK(p->overrun == 0, "overrun");
  printf("TIMER_ABSTIME on %s: not before the time; a past time fires at once\n", name);
  SYNC_CHECK(timer_delete(p->id) == 0, "timer_delete");
}

/* The attributes the callback thread got. */
static size_t seen_stack, seen_guard;
static int seen_detached, on_given_stack;
static char* given_stack;
static size_t given_size;
static struct tm_count attr_calls = TM_COUNT_INIT;

static void attr_cb(union sigval v) {
  pthread_attr_t a;
  SYNC_CHECK(pthread_getattr_np(pthread_self(), &a) == 0, "pthread_getattr_np");
  int d;
  void* addr;
  pthread_attr_getstack(&a, &addr, &seen_stack);
  pthread_attr_getguardsize(&a, &seen_guard);
  pthread_attr_getdetachstate(&a, &d);
  pthread_attr_destroy(&a);
  seen_detached = d == PTHREAD_CREATE_DETACHED;
  char* here = (char*)&a;
  on_given_stack = given_stack && here > given_stack && here < given_stack + given_size;
  tm_bump(&attr_calls);
}

static void attributes(void) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&a, 256 * 1024);
  pthread_attr_setguardsize(&a, 16384);
  timer_t t = tm_thread_timer(CLOCK_MONOTONIC, attr_cb, NULL, &a);
  pthread_attr_destroy(&a); /* the timer keeps its own copy */
  tm_arm(t, 0, 2 * TM_MS, 0);
  tm_expect(&attr_calls, 1, "attribute callback");
  /* NPTL may reuse a cached stack that is larger: compare with the request. */
  printf("detached attr, 256 KiB stack, 16 KiB guard: stack %d, guard %d, detached %d\n",
         seen_stack >= 256 * 1024, seen_guard >= 16384, seen_detached);
  SYNC_CHECK(timer_delete(t) == 0, "timer_delete");

  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_JOINABLE);
  pthread_attr_setstacksize(&a, 128 * 1024);
  t = tm_thread_timer(CLOCK_REALTIME, attr_cb, NULL, &a);
  pthread_attr_destroy(&a);
  tm_arm(t, 0, 2 * TM_MS, 0);
  tm_expect(&attr_calls, 2, "attribute callback");
  printf("joinable attr, 128 KiB stack: stack %d, detached %d\n", seen_stack >= 128 * 1024,
         seen_detached);
  SYNC_CHECK(timer_delete(t) == 0, "timer_delete");

  given_size = 256 * 1024;
  given_stack = aligned_alloc(4096, given_size);
  pthread_attr_init(&a);
  pthread_attr_setstack(&a, given_stack, given_size);
  t = tm_thread_timer(CLOCK_MONOTONIC, attr_cb, NULL, &a);
  pthread_attr_destroy(&a);
  tm_arm(t, 0, 2 * TM_MS, 0);
  tm_expect(&attr_calls, 3, "attribute callback");
  printf("a stack of the program's own: used %d\n", on_given_stack);
  SYNC_CHECK(timer_delete(t) == 0, "timer_delete");
}

static void errors(void) {
  int r;
  struct probe* p = probe_new(CLOCK_BOOTTIME, NULL);
  struct itimerspec bad = tm_spec(0, 0);
  errno = 0;
  r = timer_settime(p->id, 0, NULL, NULL);
  printf("settime NULL: %d %s\n", r, strerror(errno));
  bad.it_value.tv_nsec = 1000000000;
  errno = 0;
  r = timer_settime(p->id, 0, &bad, NULL);
  printf("settime nsec 1e9: %d %s\n", r, strerror(errno));
  bad.it_value.tv_nsec = 0;
  bad.it_value.tv_sec = -1;
  errno = 0;
  r = timer_settime(p->id, 0, &bad, NULL);
  printf("settime negative: %d %s\n", r, strerror(errno));
  struct itimerspec fine = tm_spec(50 * TM_SEC, 0);
  printf("settime unknown flag: %d\n", timer_settime(p->id, 0x10, &fine, NULL));
  errno = 0;
  r = timer_gettime(p->id, NULL);
  printf("gettime NULL: %d %s\n", r, strerror(errno));
  SYNC_CHECK(timer_delete(p->id) == 0, "timer_delete");
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = probe_cb;
  timer_t t;
  errno = 0;
  r = timer_create(12345, &ev, &t);
  printf("bad clock: %d %s\n", r, strerror(errno));
  timer_t bogus = (timer_t)(intptr_t)123456;
  errno = 0;
  r = timer_getoverrun(bogus);
  printf("unknown id: %d %s\n", r, strerror(errno));
  errno = 0;
  r = timer_delete(bogus);
  printf("unknown id: %d %s\n", r, strerror(errno));
}

#define MANY 200
static struct tm_count many_calls = TM_COUNT_INIT;
static int many_hits[MANY];

static void many_cb(union sigval v) {
  __atomic_fetch_add(&many_hits[v.sival_int], 1, __ATOMIC_RELAXED);
  tm_bump(&many_calls);
}

static void many(void) {
  timer_t ids[MANY];
  for (int i = 0; i < MANY; i++) {
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = many_cb;
    ev.sigev_value.sival_int = i;
    SYNC_CHECK(timer_create(i % 2 ? CLOCK_MONOTONIC : CLOCK_REALTIME, &ev, &ids[i]) == 0,
               "timer_create %d", i);
  }
  for (int i = 0; i < MANY; i++) tm_arm(ids[i], 0, (1 + i % 20) * TM_MS, 0);
  tm_expect(&many_calls, MANY, "callbacks of 200 timers");
  for (int i = 0; i < MANY; i++) SYNC_CHECK(timer_delete(ids[i]) == 0, "timer_delete %d", i);
  for (int i = 0; i < MANY; i++) SYNC_CHECK(many_hits[i] == 1, "timer %d fired %d times", i, many_hits[i]);
  printf("%d timers at once: each fired once\n", MANY);
}

static void closing_everything(void) {
  struct probe* p = probe_new(CLOCK_MONOTONIC, NULL);
  for (int fd = 3; fd < 1024; fd++) close(fd);
  closefrom(3);
  SYNC_CHECK(close_range(3, ~0u, 0) == 0, "close_range: %s", strerror(errno));
  tm_arm(p->id, 0, 2 * TM_MS, 2 * TM_MS);
  tm_expect(&p->calls, 3, "callbacks after closing every descriptor");
  SYNC_CHECK(timer_delete(p->id) == 0, "timer_delete");
  printf("closing every descriptor leaves the timer working\n");
}

int main(void) {
  gettime_and_disarm();
  one_shot_and_overrun();
  deleting();
  overlapping();
  absolute(CLOCK_REALTIME, "CLOCK_REALTIME");
  absolute(CLOCK_MONOTONIC, "CLOCK_MONOTONIC");
  attributes();
  errors();
  many();
  closing_everything();
  return 0;
}
