/* timer_mq_notify: mq_notify with SIGEV_THREAD, whose notification thread
 * glibc starts itself: under weft it must be a proper weft thread too.
 * - 50 rounds of register, send to the empty queue, notification: each runs
 *   in a new thread (pthread_self not the main thread's, pthread_getattr_np
 *   says detached, __thread at its initial value, key value NULL), with the
 *   sigev_value;
 * - a second registration fails with EBUSY; mq_notify(q, NULL) removes the
 *   registration (a message then notifies nobody), and another can register;
 * - a message to a queue that is not empty notifies nobody, and the
 *   registration stays for the next message to the empty queue;
 * - sigev_notify_attributes: the stack size;
 * - 40 queues notify at once and their threads stay alive together: under
 *   weft they need no kernel thread each (glibc's helper would make them
 *   kernel threads);
 * - SIGEV_SIGNAL still works (glibc's). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>

#include "timer_common.h"

static pthread_t main_self;
static pthread_key_t key;
static __thread int tls_int = 42;
static struct tm_count calls = TM_COUNT_INIT;
static int wrong_value, not_proper;
static size_t seen_stack;

static void callback(union sigval v) {
  pthread_t self = pthread_self();
  pthread_attr_t a;
  int detach = 0;
  if (pthread_getattr_np(self, &a) == 0) {
    pthread_attr_getdetachstate(&a, &detach);
    pthread_attr_getstacksize(&a, &seen_stack);
    pthread_attr_destroy(&a);
  }
  if (pthread_equal(self, main_self) || detach != PTHREAD_CREATE_DETACHED || tls_int != 42 ||
      pthread_getspecific(key) != NULL || pthread_setspecific(key, &a) != 0)
    not_proper++;
  tls_int = 0;
  if (v.sival_int != tm_get(&calls) + 1) wrong_value++;
  tm_bump(&calls);
}

static void notify_on(mqd_t q, int value, pthread_attr_t* attr) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = callback;
  ev.sigev_value.sival_int = value;
  ev.sigev_notify_attributes = attr;
  SYNC_CHECK(mq_notify(q, &ev) == 0, "mq_notify: %s", strerror(errno));
}

static void send1(mqd_t q) { SYNC_CHECK(mq_send(q, "m", 1, 0) == 0, "mq_send: %s", strerror(errno)); }
static void receive1(mqd_t q) {
  char buf[16];
  SYNC_CHECK(mq_receive(q, buf, sizeof buf, NULL) == 1, "mq_receive: %s", strerror(errno));
}

#define QUEUES 40
static struct tm_count alive = TM_COUNT_INIT, release = TM_COUNT_INIT, done = TM_COUNT_INIT;
static pthread_t together[QUEUES];

static void waiting_callback(union sigval v) {
  together[v.sival_int] = pthread_self();
  tm_bump(&alive);
  tm_wait(&release, 1, TM_PATIENCE);
  tm_bump(&done);
}

static void many_queues(void) {
  mqd_t qs[QUEUES];
  struct mq_attr qa;
  memset(&qa, 0, sizeof qa);
  qa.mq_maxmsg = 1;
  qa.mq_msgsize = 8;
  for (int i = 0; i < QUEUES; i++) {
    char name[64];
    snprintf(name, sizeof name, "/weft_timer_mq_%d_%d", (int)getpid(), i);
    qs[i] = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &qa);
    SYNC_CHECK(qs[i] != (mqd_t)-1, "mq_open: %s", strerror(errno));
    mq_unlink(name);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = waiting_callback;
    ev.sigev_value.sival_int = i;
    SYNC_CHECK(mq_notify(qs[i], &ev) == 0, "mq_notify: %s", strerror(errno));
  }
  for (int i = 0; i < QUEUES; i++) send1(qs[i]);
  tm_expect(&alive, QUEUES, "notifications alive together");
  sync_check_kernel_tasks("40 notification threads alive");
  for (int i = 0; i < QUEUES; i++)
    for (int j = i + 1; j < QUEUES; j++)
      SYNC_CHECK(!pthread_equal(together[i], together[j]), "two notifications share a thread");
  tm_set(&release, 1);
  tm_expect(&done, QUEUES, "notifications done");
  for (int i = 0; i < QUEUES; i++) mq_close(qs[i]);
  printf("%d queues notified at once: %d threads alive together\n", QUEUES, QUEUES);
}

static volatile sig_atomic_t usr2_hits;
static void on_usr2(int sig) { usr2_hits++; }

int main(void) {
  main_self = pthread_self();
  pthread_key_create(&key, NULL);
  char name[64];
  snprintf(name, sizeof name, "/weft_timer_mq_%d", (int)getpid());
  struct mq_attr qa;
  memset(&qa, 0, sizeof qa);
  qa.mq_maxmsg = 4;
  qa.mq_msgsize = 16;
  mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &qa);
  SYNC_CHECK(q != (mqd_t)-1, "mq_open: %s", strerror(errno));
  mq_unlink(name);

  for (int i = 1; i <= 50; i++) {
    notify_on(q, i, NULL);
    send1(q);
    tm_expect(&calls, i, "notifications");
    receive1(q);
  }
  printf("50 notifications, each in a proper new thread: %d, values right: %d\n", !not_proper,
         !wrong_value);

  notify_on(q, 51, NULL);
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = callback;
  errno = 0;
  int r = mq_notify(q, &ev);
  printf("second registration: %d %s\n", r, strerror(errno));
  SYNC_CHECK(mq_notify(q, NULL) == 0, "unregister");
  send1(q);
  SYNC_CHECK(tm_wait(&calls, 51, 150 * TM_MS) == 50, "notified after unregistering");
  receive1(q);
  printf("unregistered: no notification\n");

  /* Registered while a message waits: the next message finds the queue not
   * empty and notifies nobody; after draining, one to the empty queue does. */
  send1(q);
  notify_on(q, 51, NULL);
  send1(q);
  SYNC_CHECK(tm_wait(&calls, 51, 150 * TM_MS) == 50, "notified for a non-empty queue");
  receive1(q);
  receive1(q);
  send1(q);
  tm_expect(&calls, 51, "notification after draining");
  receive1(q);
  printf("only a message to an empty queue notifies\n");

  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 192 * 1024);
  notify_on(q, 52, &a);
  pthread_attr_destroy(&a);
  send1(q);
  tm_expect(&calls, 52, "notification with attributes");
  receive1(q);
  printf("attr with a 192 KiB stack: stack at least that: %d\n", seen_stack >= 192 * 1024);

  many_queues();

  signal(SIGUSR2, on_usr2);
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR2;
  SYNC_CHECK(mq_notify(q, &ev) == 0, "SIGEV_SIGNAL mq_notify");
  send1(q);
  long long end = sync_now_ns(CLOCK_MONOTONIC) + TM_PATIENCE;
  while (!usr2_hits && sync_now_ns(CLOCK_MONOTONIC) < end) {
    struct timespec ms = {0, TM_MS};
    nanosleep(&ms, NULL);
  }
  receive1(q);
  printf("SIGEV_SIGNAL: %d signal\n", (int)usr2_hits);
  SYNC_CHECK(tm_get(&calls) == 52, "stray notifications");
  mq_close(q);
  return 0;
}
