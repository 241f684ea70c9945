/* timer_aio_gai: POSIX aio and getaddrinfo_a with SIGEV_THREAD
 * notification. glibc does their work in helper threads and runs the
 * notification in a thread it starts itself through its hidden
 * __pthread_create: under weft these stay kernel threads that weft does not
 * run (see libweft(7)). What must hold is that they work: the results are
 * right, the callbacks run once each with their value, the weft threads they
 * wake (through mutexes and condition variables) wake, and the
 * notification thread sees a working pthread_self, __thread and keys.
 * - 20 aio_read calls on a file, each notifying by SIGEV_THREAD; aio_error,
 *   aio_return; aio_suspend; lio_listio with a SIGEV_THREAD for the list;
 * - getaddrinfo_a(GAI_NOWAIT) on numeric hosts with SIGEV_THREAD, and
 *   GAI_WAIT, from two weft threads.
 * (With 8 threads in getaddrinfo_a/gai_suspend at once, WEFT_PROCS=2 hung
 * about once in 50 runs: both Ms blocked inside glibc, the M spawner waiting
 * for jemalloc's arenas_lock, held by a runnable thread.) */
#define _GNU_SOURCE
#include <aio.h>
#include <fcntl.h>
#include <netdb.h>

#include "timer_common.h"

#define READS 20
#define CHUNK 512

static pthread_key_t key;
static __thread int tls_int = 42;
static struct tm_count aio_done = TM_COUNT_INIT, list_done = TM_COUNT_INIT,
                       gai_done = TM_COUNT_INIT;
static int not_proper;

/* The notification thread works as a thread: whatever runs it. */
static void check_thread(void) {
  pthread_t self = pthread_self();
  if (!pthread_equal(self, self) || tls_int != 42 || pthread_getspecific(key) != NULL ||
      pthread_setspecific(key, &key) != 0 || pthread_getspecific(key) != &key)
    __atomic_fetch_add(&not_proper, 1, __ATOMIC_RELAXED);
  tls_int = 0;
}

static int hits[READS];
static void aio_cb(union sigval v) {
  check_thread();
  __atomic_fetch_add(&hits[v.sival_int], 1, __ATOMIC_RELAXED);
  tm_bump(&aio_done);
}

static void list_cb(union sigval v) {
  check_thread();
  tm_bump(&list_done);
}

static void gai_cb(union sigval v) {
  check_thread();
  tm_bump(&gai_done);
}

static void aio(void) {
  char path[] = "/tmp/weft_timer_aio_XXXXXX";
  int fd = mkstemp(path);
  SYNC_CHECK(fd >= 0, "mkstemp");
  unlink(path);
  static char data[READS * CHUNK];
  for (int i = 0; i < READS * CHUNK; i++) data[i] = (char)(i * 7 + i / CHUNK);
  SYNC_CHECK(write(fd, data, sizeof data) == (ssize_t)sizeof data, "write");

  static char bufs[READS][CHUNK];
  static struct aiocb cbs[READS];
  for (int i = 0; i < READS; i++) {
    memset(&cbs[i], 0, sizeof cbs[i]);
    cbs[i].aio_fildes = fd;
    cbs[i].aio_offset = (off_t)i * CHUNK;
    cbs[i].aio_buf = bufs[i];
    cbs[i].aio_nbytes = CHUNK;
    cbs[i].aio_sigevent.sigev_notify = SIGEV_THREAD;
    cbs[i].aio_sigevent.sigev_notify_function = aio_cb;
    cbs[i].aio_sigevent.sigev_value.sival_int = i;
    SYNC_CHECK(aio_read(&cbs[i]) == 0, "aio_read: %s", strerror(errno));
  }
  const struct aiocb* list[READS];
  for (int i = 0; i < READS; i++) list[i] = &cbs[i];
  for (int i = 0; i < READS; i++) {
    while (aio_error(&cbs[i]) == EINPROGRESS) {
      struct timespec t = {5, 0};
      aio_suspend(list + i, 1, &t);
    }
    SYNC_CHECK(aio_return(&cbs[i]) == CHUNK, "aio_return");
    SYNC_CHECK(memcmp(bufs[i], data + i * CHUNK, CHUNK) == 0, "aio data %d", i);
  }
  tm_expect(&aio_done, READS, "aio notifications");
  for (int i = 0; i < READS; i++) SYNC_CHECK(hits[i] == 1, "aio %d notified %d times", i, hits[i]);
  printf("aio_read x%d: data right, one SIGEV_THREAD notification each\n", READS);

  struct aiocb* lio[READS];
  for (int i = 0; i < READS; i++) {
    memset(bufs[i], 0, CHUNK);
    cbs[i].aio_lio_opcode = LIO_READ;
    cbs[i].aio_sigevent.sigev_notify = SIGEV_NONE;
    lio[i] = &cbs[i];
  }
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = list_cb;
  SYNC_CHECK(lio_listio(LIO_NOWAIT, lio, READS, &ev) == 0, "lio_listio: %s", strerror(errno));
  tm_expect(&list_done, 1, "lio_listio notification");
  for (int i = 0; i < READS; i++) {
    SYNC_CHECK(aio_error(&cbs[i]) == 0 && aio_return(&cbs[i]) == CHUNK, "lio result %d", i);
    SYNC_CHECK(memcmp(bufs[i], data + i * CHUNK, CHUNK) == 0, "lio data %d", i);
  }
  printf("lio_listio: one SIGEV_THREAD notification for the list, data right\n");
  close(fd);
}

#define LOOKUPS 8
static void lookup(long i) {
  char host[32];
  snprintf(host, sizeof host, "10.0.%ld.%ld", i, i + 1);
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_flags = AI_NUMERICHOST;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  struct gaicb req = {host, NULL, &hints, NULL};
  struct gaicb* reqs[1] = {&req};
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = gai_cb;
  SYNC_CHECK(getaddrinfo_a(GAI_NOWAIT, reqs, 1, &ev) == 0, "getaddrinfo_a");
  const struct gaicb* wait_for[1] = {&req};
  while (gai_error(&req) == EAI_INPROGRESS) gai_suspend(wait_for, 1, NULL);
  SYNC_CHECK(gai_error(&req) == 0 && req.ar_result, "getaddrinfo_a result");
  char back[32];
  getnameinfo(req.ar_result->ai_addr, req.ar_result->ai_addrlen, back, sizeof back, NULL, 0,
              NI_NUMERICHOST);
  SYNC_CHECK(strcmp(back, host) == 0, "address %s, want %s", back, host);
  freeaddrinfo(req.ar_result);

  struct gaicb req2 = {host, "80", &hints, NULL};
  reqs[0] = &req2;
  SYNC_CHECK(getaddrinfo_a(GAI_WAIT, reqs, 1, NULL) == 0 && req2.ar_result, "GAI_WAIT");
  freeaddrinfo(req2.ar_result);
}

/* Half the lookups in another thread, one at a time: a thread waiting in
 * gai_suspend holds its kernel thread (glibc waits on a futex inline). */
static void* gai_thread(void* arg) {
  for (long i = LOOKUPS / 2; i < LOOKUPS; i++) lookup(i);
  return NULL;
}

static void gai(void) {
  pthread_t t;
  sync_start(&t, gai_thread, NULL, 0);
  for (long i = 0; i < LOOKUPS / 2; i++) lookup(i);
  sync_join(t);
  tm_expect(&gai_done, LOOKUPS, "getaddrinfo_a notifications");
  printf("getaddrinfo_a from 2 threads: results right, %d notifications\n", LOOKUPS);
}

int main(void) {
  pthread_key_create(&key, NULL);
  aio();
  gai();
  printf("notification threads work as threads: %d\n", !not_proper);
  return 0;
}
