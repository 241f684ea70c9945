/* timer_fork: POSIX timers are not inherited by a fork child, SIGEV_THREAD
 * ones included, nor are message queue notifications:
 * - in the child, the parent's SIGEV_THREAD timer id is invalid (EINVAL
 *   from timer_gettime, timer_settime, timer_getoverrun, timer_delete), and
 *   nothing of it fires there (it fires every 5 ms in the parent);
 * - the parent's queue registration stays the parent's (EBUSY for the
 *   child);
 * - the parent's timer and registration are intact afterwards, and work.
 * The child makes no threads: a fork child that creates threads crashes
 * under weft today, with or without timers (issue 11's fork work). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <sys/wait.h>

#include "timer_common.h"

static timer_t parent_timer;
static mqd_t q;
static struct tm_count calls = TM_COUNT_INIT, notes = TM_COUNT_INIT;

static int fired; /* the child reads it: a callback may hold calls.m at the fork */
static void cb(union sigval v) {
  __atomic_fetch_add(&fired, 1, __ATOMIC_RELAXED);
  tm_bump(&calls);
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
  int fired_at_fork = __atomic_load_n(&fired, __ATOMIC_RELAXED);
  struct itimerspec cur, value = tm_spec(TM_MS, TM_MS);
  int r[4];
  errno = 0;
  r[0] = timer_gettime(parent_timer, &cur) == -1 && errno == EINVAL;
  errno = 0;
  r[1] = timer_settime(parent_timer, 0, &value, NULL) == -1 && errno == EINVAL;
  errno = 0;
  r[2] = timer_getoverrun(parent_timer) == -1 && errno == EINVAL;
  errno = 0;
  r[3] = timer_delete(parent_timer) == -1 && errno == EINVAL;
  printf("  child: the parent's timer is invalid: %d %d %d %d\n", r[0], r[1], r[2], r[3]);
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_NONE;
  errno = 0;
  mq_notify(q, &ev);
  printf("  child: mq_notify while the parent is registered: %s\n", strerror(errno));
  struct timespec ms = {0, 20 * TM_MS};
  nanosleep(&ms, NULL);
  printf("  child: callbacks since the fork: %d\n",
         __atomic_load_n(&fired, __ATOMIC_RELAXED) - fired_at_fork);
  fflush(stdout);
}

static void fork_and_check(const char* from) {
  printf("fork from %s\n", from);
  fflush(stdout);
  pid_t pid = fork();
  SYNC_CHECK(pid >= 0, "fork");
  if (pid == 0) {
    child();
    _exit(0);
  }
  int status;
  SYNC_CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
  printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(void) {
  parent_timer = tm_thread_timer(CLOCK_MONOTONIC, cb, NULL, NULL);
  tm_arm(parent_timer, 0, 5 * TM_MS, 5 * TM_MS);
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

  tm_expect(&calls, tm_get(&calls) + 3, "parent's callbacks after the forks");
  SYNC_CHECK(mq_send(q, "m", 1, 0) == 0, "mq_send");
  tm_expect(&notes, 1, "parent's notification");
  printf("parent: timer fires, notification delivered\n");
  SYNC_CHECK(timer_delete(parent_timer) == 0, "timer_delete");
  return 0;
}
