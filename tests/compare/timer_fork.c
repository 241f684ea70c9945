/* timer_fork: POSIX timers are not inherited by a fork child, SIGEV_THREAD
 * ones included, nor are message queue notifications; the child can make
 * its own. (Forked from the main thread only: a child forked by another
 * thread at WEFT_PROCS=2 crashes when it creates threads, with or without
 * timers — issue 11's fork work.)
 * - in the child the parent's SIGEV_THREAD timer id is invalid (EINVAL),
 *   also after the child made timers of its own; a new SIGEV_THREAD timer
 *   fires 5 times in threads; the parent's queue registration stays the
 *   parent's (EBUSY for the child);
 * - the parent's timer and registration are intact afterwards. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <sys/wait.h>

#include "timer_common.h"

static timer_t parent_timer;
static mqd_t q;
static struct tm_count calls = TM_COUNT_INIT, notes = TM_COUNT_INIT;
static pthread_t main_self;

static void cb(union sigval v) {
  if (!pthread_equal(pthread_self(), main_self)) tm_bump(&calls);
}
static void note_cb(union sigval v) { tm_bump(&notes); }

static int register_note(void) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = note_cb;
  return mq_notify(q, &ev) == 0 ? 0 : errno;
}

static void child(void) {
  struct itimerspec cur;
  errno = 0;
  int r = timer_gettime(parent_timer, &cur);
  printf("  child: parent's timer: %d %s\n", r, strerror(errno));
  timer_t mine = tm_thread_timer(CLOCK_MONOTONIC, cb, NULL, NULL);
  tm_arm(mine, 0, 2 * TM_MS, 2 * TM_MS);
  tm_expect(&calls, 5, "child's callbacks");
  SYNC_CHECK(timer_delete(mine) == 0, "timer_delete");
  errno = 0;
  r = timer_gettime(parent_timer, &cur);
  printf("  child: its own timer fired in threads; parent's still: %d %s\n", r, strerror(errno));
  /* The parent's registration belongs to the parent. */
  printf("  child: mq_notify while the parent is registered: %s\n", strerror(register_note()));
  fflush(stdout);
}

static void fork_and_check(const char* from) {
  printf("fork from %s\n", from);
  fflush(stdout);
  pid_t pid = fork();
  SYNC_CHECK(pid >= 0, "fork");
  if (pid == 0) {
    main_self = pthread_self();
    child();
    _exit(0);
  }
  int status;
  SYNC_CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
  printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(void) {
  main_self = pthread_self();
  parent_timer = tm_thread_timer(CLOCK_MONOTONIC, cb, NULL, NULL);
  tm_arm(parent_timer, 0, 100 * TM_SEC, 100 * TM_SEC);
  char name[64];
  snprintf(name, sizeof name, "/weft_timer_fork_%d", (int)getpid());
  struct mq_attr qa;
  memset(&qa, 0, sizeof qa);
  qa.mq_maxmsg = 2;
  qa.mq_msgsize = 8;
  q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &qa);
  SYNC_CHECK(q != (mqd_t)-1, "mq_open: %s", strerror(errno));
  mq_unlink(name);
  SYNC_CHECK(register_note() == 0, "mq_notify");

  fork_and_check("the main thread");
  fork_and_check("the main thread, again");

  struct itimerspec cur;
  SYNC_CHECK(timer_gettime(parent_timer, &cur) == 0 && tm_ns(cur.it_value) > 0, "parent timer");
  SYNC_CHECK(tm_get(&calls) == 0, "parent's timer fired");
  SYNC_CHECK(mq_send(q, "m", 1, 0) == 0, "mq_send");
  tm_expect(&notes, 1, "parent's notification");
  printf("parent: timer armed, notification delivered\n");
  SYNC_CHECK(timer_delete(parent_timer) == 0, "timer_delete");
  return 0;
}
