/* proc_spawn: system(), popen() and posix_spawn(p) from many threads at once,
 * with 100 other threads alive (issue 11, acceptance 4). Four threads run
 * system("exit 3") ten times each, starting together: every call gives 3.
 * Four threads popen() a shell that echoes their number and pclose() it.
 * Sixteen threads posix_spawn /bin/sh -c 'exit N' and posix_spawnp echo
 * with its output redirected into a pipe by a file action, eight times
 * each. The results are counted and printed.
 */
#define _GNU_SOURCE
#include <spawn.h>

#include "proc_common.h"

extern char** environ;

enum { kSystem = 4, kPopen = 4, kSpawn = 16, kRounds = 8 };
static pthread_barrier_t go;
static pthread_mutex_t tally_lock = PTHREAD_MUTEX_INITIALIZER;
static int system_ok, popen_ok, spawn_ok, spawnp_ok;

static void tally(int* n) {
  pthread_mutex_lock(&tally_lock);
  (*n)++;
  pthread_mutex_unlock(&tally_lock);
}

static void* run_system(void* arg) {
  pthread_barrier_wait(&go);
  for (int i = 0; i < 10; i++) {
    int st = system("exit 3");
    PROC_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "system gave %#x", st);
    tally(&system_ok);
  }
  return arg;
}

static void* run_popen(void* arg) {
  int id = (int)(long)arg;
  char cmd[64], line[64], want[64];
  snprintf(cmd, sizeof cmd, "echo popen %d", id);
  snprintf(want, sizeof want, "popen %d\n", id);
  pthread_barrier_wait(&go);
  for (int i = 0; i < kRounds; i++) {
    FILE* f = popen(cmd, "r");
    PROC_CHECK(f != NULL, "popen: %s", strerror(errno));
    PROC_CHECK(fgets(line, sizeof line, f) && !strcmp(line, want), "popen read");
    int st = pclose(f);
    PROC_CHECK(st == 0, "pclose %#x", st);
    tally(&popen_ok);
  }
  return arg;
}

static void* run_spawn(void* arg) {
  int id = (int)(long)arg;
  pthread_barrier_wait(&go);
  for (int i = 0; i < kRounds; i++) {
    char code[32];
    snprintf(code, sizeof code, "exit %d", (id + i) % 50);
    char* sh_argv[] = {"sh", "-c", code, NULL};
    pid_t pid;
    int err = posix_spawn(&pid, "/bin/sh", NULL, NULL, sh_argv, environ);
    PROC_CHECK(err == 0, "posix_spawn: %s", strerror(err));
    int st;
    PROC_CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
    PROC_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == (id + i) % 50, "spawned sh %#x", st);
    tally(&spawn_ok);

    int p[2];
    PROC_CHECK(pipe(p) == 0, "pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    char word[32];
    snprintf(word, sizeof word, "w%d.%d", id, i);
    char* echo_argv[] = {"echo", word, NULL};
    err = posix_spawnp(&pid, "echo", &fa, NULL, echo_argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    PROC_CHECK(err == 0, "posix_spawnp: %s", strerror(err));
    close(p[1]);
    char buf[64];
    long n, got = 0;
    while ((n = read(p[0], buf + got, sizeof buf - 1 - got)) > 0) got += n;
    buf[got] = 0;
    close(p[0]);
    PROC_CHECK(waitpid(pid, &st, 0) == pid && st == 0, "echo %#x", st);
    PROC_CHECK(got == (long)strlen(word) + 1 && !strncmp(buf, word, strlen(word)), "echo said %s", buf);
    tally(&spawnp_ok);
  }
  return arg;
}

int main(void) {
  proc_start_hundred();
  printf("system(NULL): %s\n", system(NULL) ? "shell available" : "no shell");
  pthread_t t[kSystem + kPopen + kSpawn];
  int n = 0;
  pthread_barrier_init(&go, NULL, kSystem + kPopen + kSpawn);
  for (long i = 0; i < kSystem; i++) pthread_create(&t[n++], NULL, run_system, (void*)i);
  for (long i = 0; i < kPopen; i++) pthread_create(&t[n++], NULL, run_popen, (void*)i);
  for (long i = 0; i < kSpawn; i++) pthread_create(&t[n++], NULL, run_spawn, (void*)i);
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  printf("system: %d times 3\npopen: %d echoes\nposix_spawn: %d statuses\nposix_spawnp: %d outputs\n",
         system_ok, popen_ok, spawn_ok, spawnp_ok);
  return 0;
}
