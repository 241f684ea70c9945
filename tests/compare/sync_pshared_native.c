/* tests/compare/sync_pshared_native.c — process-shared objects used by this
 * process and a child that runs natively (this program exec'd again with
 * LD_PRELOAD removed), so under weft one side is weft and the other NPTL.
 *
 * Both sides take turns through a memfd mapped MAP_SHARED: a mutex + condvar
 * ping-pong (cond on CLOCK_MONOTONIC, alternating wait and timed wait), a
 * semaphore ping-pong, and barrier rounds. Each move increments a shared
 * counter under the protocol; the totals must be exact. Process-shared objects
 * must be plain kernel futexes on the shared page for the two implementations
 * to wake each other.
 *
 * Child mode: argv = {self, "--child", memfd}.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sync_common.h"

#define ROUNDS 2000

struct shm {
  pthread_mutex_t m;
  pthread_cond_t c;
  int turn;            /* 0: parent's move, 1: child's */
  long cond_moves;
  sem_t to_child, to_parent;
  long sem_moves;
  pthread_barrier_t b;
  long barrier_serials; /* protected by m */
};

static struct shm* map_shm(int fd) {
  void* p = mmap(NULL, sizeof(struct shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  SYNC_CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
  return p;
}

static void init_shm(struct shm* s) {
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  SYNC_CHECK(pthread_mutex_init(&s->m, &ma) == 0, "mutex_init");
  pthread_mutexattr_destroy(&ma);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  SYNC_CHECK(pthread_cond_init(&s->c, &ca) == 0, "cond_init");
  pthread_condattr_destroy(&ca);
  SYNC_CHECK(sem_init(&s->to_child, 1, 0) == 0 && sem_init(&s->to_parent, 1, 0) == 0, "sem_init");
  pthread_barrierattr_t ba;
  pthread_barrierattr_init(&ba);
  pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
  SYNC_CHECK(pthread_barrier_init(&s->b, &ba, 2) == 0, "barrier_init");
  pthread_barrierattr_destroy(&ba);
}

/* Mutex + condvar: wait for `me`'s turn, move, hand the turn over. */
static int cond_game(struct shm* s, int me) {
  for (int i = 0; i < ROUNDS; ++i) {
    if (pthread_mutex_lock(&s->m) != 0) return 1;
    while (s->turn != me) {
      int r;
      if (i & 1) {
        struct timespec d = sync_deadline(CLOCK_MONOTONIC, SYNC_FAR_NS);
        r = pthread_cond_timedwait(&s->c, &s->m, &d);
      } else {
        r = pthread_cond_wait(&s->c, &s->m);
      }
      if (r != 0) return 2;
    }
    s->cond_moves++;
    s->turn = 1 - me;
    pthread_cond_signal(&s->c);
    pthread_mutex_unlock(&s->m);
  }
  return 0;
}

static int sem_game(struct shm* s, int me) {
  sem_t* mine = me ? &s->to_child : &s->to_parent;
  sem_t* theirs = me ? &s->to_parent : &s->to_child;
  for (int i = 0; i < ROUNDS; ++i) {
    if (me == 0) {
      s->sem_moves++;
      if (sem_post(theirs) != 0) return 3;
    }
    int r;
    if (i & 1) {
      struct timespec d = sync_deadline(CLOCK_REALTIME, SYNC_FAR_NS);
      r = sem_timedwait(mine, &d);
    } else {
      r = sem_wait(mine);
    }
    if (r != 0) return 4;
    if (me == 1) {
      s->sem_moves++;
      if (sem_post(theirs) != 0) return 5;
    }
  }
  return 0;
}

static int barrier_game(struct shm* s) {
  for (int i = 0; i < ROUNDS; ++i) {
    int r = pthread_barrier_wait(&s->b);
    if (r == PTHREAD_BARRIER_SERIAL_THREAD) {
      pthread_mutex_lock(&s->m);
      s->barrier_serials++;
      pthread_mutex_unlock(&s->m);
    } else if (r != 0) {
      return 6;
    }
  }
  return 0;
}

static int play(struct shm* s, int me) {
  int r = cond_game(s, me);
  if (!r) r = sem_game(s, me);
  if (!r) r = barrier_game(s);
  return r;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "--child") == 0) return play(map_shm(atoi(argv[2])), 1);

  int fd = memfd_create("weft-sync-pshared", 0);  /* inherited by the exec'd child */
  SYNC_CHECK(fd >= 0 && ftruncate(fd, sizeof(struct shm)) == 0, "memfd");
  struct shm* s = map_shm(fd);
  init_shm(s);
  char fdbuf[16];
  snprintf(fdbuf, sizeof fdbuf, "%d", fd);
  char* child_argv[] = {"sync_pshared_native", "--child", fdbuf, NULL};
  pid_t pid = sync_spawn_native_self(child_argv);

  int mine = play(s, 0);
  int st = 0;
  SYNC_CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
  SYNC_CHECK(mine == 0, "parent side failed with %d", mine);
  SYNC_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "native child failed (status %d)", st);
  SYNC_CHECK(s->cond_moves == 2L * ROUNDS, "cond moves %ld", s->cond_moves);
  SYNC_CHECK(s->sem_moves == 2L * ROUNDS, "sem moves %ld", s->sem_moves);
  SYNC_CHECK(s->barrier_serials == ROUNDS, "barrier serial threads %ld", s->barrier_serials);
  printf("mutex+condvar ping-pong with a native process: %ld moves\n", s->cond_moves);
  printf("semaphore ping-pong with a native process: %ld moves\n", s->sem_moves);
  printf("barrier with a native process: %d rounds, one serial thread each\n", ROUNDS);
  return 0;
}
