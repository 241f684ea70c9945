// ident_names: thread names. prctl(PR_SET_NAME) in a thread names that
// thread (pthread_getname_np and PR_GET_NAME see it, from itself after
// sleeps and yields and from other threads), truncated to 15 bytes;
// pthread_setname_np names another thread; a new thread starts with its
// creator's name; the main thread's name is the process's (/proc/self/comm),
// whichever thread sets it; a fork child has its forking thread's name.
// Under weft also: naming a thread renames no kernel thread.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sync_common.h"

static sem_t named, renamed, done;
static pthread_t main_thread;

static void read_file(const char* path, char* buf, size_t n) {
  FILE* f = fopen(path, "r");
  SYNC_CHECK(f != NULL, "open %s", path);
  if (!fgets(buf, (int)n, f)) buf[0] = 0;
  fclose(f);
  buf[strcspn(buf, "\n")] = 0;
}

// Under weft: no kernel thread of the process is called `name`.
static void check_no_task_named(const char* name) {
  if (!sync_under_weft()) return;
  DIR* d = opendir("/proc/self/task");
  SYNC_CHECK(d != NULL, "opendir");
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[300], comm[32];
    snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
    read_file(path, comm, sizeof comm);
    SYNC_CHECK(strcmp(comm, name) != 0, "kernel thread %s is named %s", e->d_name, name);
  }
  closedir(d);
}

static void* child_of_worker(void* a) {
  char buf[16];
  pthread_getname_np(pthread_self(), buf, sizeof buf);
  strcpy(a, buf);
  return NULL;
}

static void* worker(void* a) {
  (void)a;
  char buf[32];
  prctl(PR_SET_NAME, "worker-a");
  pthread_getname_np(pthread_self(), buf, sizeof buf);
  printf("worker: after PR_SET_NAME, pthread_getname_np says %s\n", buf);
  for (int i = 0; i < 5; i++) {
    usleep(1000);
    sched_yield();
    syscall(SYS_nanosleep, &(struct timespec){0, 100000}, NULL);
  }
  prctl(PR_GET_NAME, buf);
  printf("worker: after sleeps and yields, PR_GET_NAME says %s\n", buf);
  check_no_task_named("worker-a");
  char inherited[16];
  pthread_t t;
  sync_start(&t, child_of_worker, inherited, 0);
  sync_join(t);
  printf("a thread it creates is named %s\n", inherited);
  sem_post(&named);
  sem_wait(&renamed);
  prctl(PR_GET_NAME, buf);
  printf("worker: renamed by main, PR_GET_NAME says %s\n", buf);
  prctl(PR_SET_NAME, "0123456789abcdefXYZ");
  syscall(SYS_prctl, PR_GET_NAME, buf);
  printf("worker: a long name is cut to %s\n", buf);
  // The main thread's name, set from here, is the process's.
  pthread_setname_np(main_thread, "main-by-worker");
  read_file("/proc/self/comm", buf, sizeof buf);
  printf("/proc/self/comm after naming main from a thread: %s\n", buf);
  // A fork child has this thread's name.
  prctl(PR_SET_NAME, "forker");
  int p[2];
  SYNC_CHECK(pipe(p) == 0, "pipe");
  pid_t child = fork();
  SYNC_CHECK(child >= 0, "fork");
  if (child == 0) {
    char comm[32], pr[16];
    read_file("/proc/self/comm", comm, sizeof comm);
    prctl(PR_GET_NAME, pr);
    dprintf(p[1], "fork child: /proc/self/comm %s, PR_GET_NAME %s\n", comm, pr);
    _exit(0);
  }
  close(p[1]);
  char line[128] = {0};
  SYNC_CHECK(read(p[0], line, sizeof line - 1) > 0, "read");
  close(p[0]);
  int st;
  waitpid(child, &st, 0);
  fputs(line, stdout);
  sem_post(&done);
  return NULL;
}

int main(void) {
  main_thread = pthread_self();
  sem_init(&named, 0, 0);
  sem_init(&renamed, 0, 0);
  sem_init(&done, 0, 0);
  char buf[32];
  prctl(PR_GET_NAME, buf);
  printf("main: PR_GET_NAME %s\n", buf);
  pthread_t w;
  sync_start(&w, worker, NULL, 0);
  sem_wait(&named);
  pthread_getname_np(w, buf, sizeof buf);
  printf("main: the worker's name is %s\n", buf);
  printf("pthread_setname_np(worker, renamed) %d\n", pthread_setname_np(w, "renamed"));
  printf("pthread_setname_np with 16 bytes: %s\n",
         strerror(pthread_setname_np(w, "0123456789abcdef")));
  printf("pthread_getname_np into 8 bytes: %s\n", strerror(pthread_getname_np(w, buf, 8)));
  sem_post(&renamed);
  sem_wait(&done);
  sync_join(w);

  prctl(PR_SET_NAME, "main-prctl");
  read_file("/proc/self/comm", buf, sizeof buf);
  printf("/proc/self/comm after PR_SET_NAME in main: %s\n", buf);
  pthread_setname_np(pthread_self(), "main-setname");
  read_file("/proc/self/comm", buf, sizeof buf);
  printf("/proc/self/comm after pthread_setname_np(main): %s\n", buf);
  pthread_getname_np(pthread_self(), buf, sizeof buf);
  printf("main: pthread_getname_np %s\n", buf);
  return 0;
}
