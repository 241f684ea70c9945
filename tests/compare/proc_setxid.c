/* proc_setxid: the set*id family changes the credentials of every kernel
 * task of the process (issue 11, acceptance 5).
 *
 * A forked child (so that the test process stays root) starts 100 threads —
 * parked on a condvar, in pause() (each holds a kernel thread under weft)
 * and in pipe reads — and then, from another thread, walks through
 * initgroups, setgroups, setresgid, setregid, setgid, setegid, setresuid,
 * setreuid, seteuid and setuid. After each call every /proc/self/task/N/status must
 * show the Uid, Gid and Groups lines of the calling thread; the values are
 * printed. Then the refused calls (EPERM once root is gone, EINVAL for
 * seteuid(-1)) must change nothing, and threads created afterwards (new
 * kernel threads under weft) carry the new credentials too. Without root
 * the program prints one line and checks nothing.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <grp.h>
#include <sys/types.h>

#include "proc_common.h"

/* The "Uid:", "Gid:" and "Groups:" lines of a status file, joined. */
static int read_creds(const char* path, char* out, size_t len) {
  FILE* f = fopen(path, "r");
  if (!f) return -1;
  char line[512];
  out[0] = 0;
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4) || !strncmp(line, "Groups:", 7)) {
      line[strcspn(line, "\n")] = 0;
      for (char* c = line; *c; c++)
        if (*c == '\t') *c = ' ';
      strncat(out, line, len - strlen(out) - 2);
      strcat(out, "; ");
    }
  }
  fclose(f);
  return 0;
}

/* Prints the caller's credentials after `step`; every task must agree. */
static void check(const char* step) {
  char mine[1024], theirs[1024], path[300];
  PROC_CHECK(read_creds("/proc/thread-self/status", mine, sizeof mine) == 0, "own status");
  DIR* d = opendir("/proc/self/task");
  PROC_CHECK(d != NULL, "opendir");
  int bad = 0;
  struct dirent* e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
    if (read_creds(path, theirs, sizeof theirs) != 0) continue; /* exited */
    if (strcmp(mine, theirs) != 0) {
      fprintf(stderr, "task %s: %s\n  caller: %s\n", e->d_name, theirs, mine);
      bad++;
    }
  }
  closedir(d);
  PROC_CHECK(bad == 0, "%s: %d tasks differ from the caller", step, bad);
  printf("%-28s %s\n", step, mine);
  fflush(stdout);
}

#define STEP(call)                                                     \
  do {                                                                 \
    PROC_CHECK((call) == 0, #call ": %s", strerror(errno));            \
    check(#call);                                                      \
  } while (0)

#define REFUSED(call, err)                                             \
  do {                                                                 \
    errno = 0;                                                         \
    int r_ = (call);                                                   \
    printf("%-28s -> %d %s\n", #call, r_, strerror(errno));            \
    PROC_CHECK(r_ == -1 && errno == (err), #call " should fail");      \
    check("  unchanged");                                              \
  } while (0)

static void* changer(void* arg) {
  gid_t groups[] = {300, 100, 200};
  STEP(initgroups("root", 77));
  STEP(setgroups(3, groups));
  STEP(setresgid(1000, 1001, 1002));
  STEP(setregid(1003, 1004));
  STEP(setgid(1005));
  STEP(setegid(1006));
  STEP(setresuid(2000, 0, 2002));
  STEP(setreuid(2003, -1));
  STEP(seteuid(2004));
  STEP(seteuid(0));
  STEP(setuid(3000));
  REFUSED(setuid(0), EPERM);
  REFUSED(setgid(7), EPERM);
  REFUSED(setgroups(1, groups), EPERM);
  REFUSED(seteuid((uid_t)-1), EINVAL);
  REFUSED(setresuid(1, 2, 3), EPERM);
  return arg;
}

int main(void) {
  if (geteuid() != 0) {
    printf("not root: nothing to check\n");
    return 0;
  }
  fflush(stdout);
  pid_t pid = fork();
  PROC_CHECK(pid >= 0, "fork");
  if (pid == 0) {
    proc_start_hundred();
    check("start");
    pthread_t t;
    PROC_CHECK(pthread_create(&t, NULL, changer, NULL) == 0, "create");
    pthread_join(t, NULL);
    /* Threads made now: under weft they need new kernel threads. */
    proc_start(8, proc_pause_main);
    proc_start(8, proc_read_main);
    check("after new threads");
    _exit(0);
  }
  proc_report_child("child", pid);
  return 0;
}
