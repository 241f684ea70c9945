/* tests/compare/life_many_short.c — 10,000 short-lived threads (100 batches of
 * 100) that each use libc state kept per thread: strerror_l (an unknown
 * error number is formatted into a per-thread buffer), getaddrinfo
 * ("localhost": resolver and NSS state) and printf (stdio's lock records its
 * owner by thread).
 *
 * Each thread checks that its strerror_l string survives a yield while other
 * threads format other numbers, that localhost resolves to 127.0.0.1, and
 * prints one line, the same in every thread, so that the output does not
 * depend on the order. Per-thread libc state is freed when a thread ends
 * (NPTL's __libc_thread_freeres): at the end the process holds the same
 * file descriptors as before.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <locale.h>
#include <netdb.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "life_common.h"

#define BATCHES 100
#define PER_BATCH 100

static locale_t c_locale;
static atomic_int wrong_strerror, wrong_unknown, wrong_lookup;

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  LIFE_CHECK(d != NULL, "opendir /proc/self/fd");
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* the directory stream's own descriptor */
}

static int resolves_localhost(void) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo("localhost", NULL, &hints, &res) != 0 || res == NULL) return 0;
  char text[INET_ADDRSTRLEN] = "";
  const struct sockaddr_in *sin = (const struct sockaddr_in *)res->ai_addr;
  inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
  freeaddrinfo(res);
  return strcmp(text, "127.0.0.1") == 0;
}

static void *short_lived(void *arg) {
  int id = (int)(intptr_t)arg;
  if (strcmp(strerror_l(ENOENT, c_locale), "No such file or directory") != 0)
    atomic_fetch_add(&wrong_strerror, 1);
  int unknown = 100000 + id;
  char expect[64];
  snprintf(expect, sizeof expect, "Unknown error %d", unknown);
  const char *s = strerror_l(unknown, c_locale);
  sched_yield();
  if (strcmp(s, expect) != 0) atomic_fetch_add(&wrong_unknown, 1);
  if (!resolves_localhost()) atomic_fetch_add(&wrong_lookup, 1);
  printf("%s; localhost is 127.0.0.1\n", strerror_l(ENOENT, c_locale));
  return NULL;
}

int main(void) {
  c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
  LIFE_CHECK(c_locale != (locale_t)0, "newlocale");
  /* One lookup first, so that anything libc keeps for the whole process
   * already exists when the descriptors are counted. */
  LIFE_CHECK(resolves_localhost(), "localhost does not resolve to 127.0.0.1");
  const int fds_before = count_fds();

  for (int b = 0; b < BATCHES; b++) {
    pthread_t t[PER_BATCH];
    for (int i = 0; i < PER_BATCH; i++)
      sync_start(&t[i], short_lived, (void *)(intptr_t)(b * PER_BATCH + i), 0);
    for (int i = 0; i < PER_BATCH; i++) sync_join(t[i]);
  }

  const int fds_after = count_fds();
  printf("%d threads: wrong strerror_l %d, clobbered unknown-error strings %d, failed lookups %d\n",
         BATCHES * PER_BATCH, atomic_load(&wrong_strerror), atomic_load(&wrong_unknown),
         atomic_load(&wrong_lookup));
  printf("file descriptors gained: %d\n", fds_after - fds_before);
  freelocale(c_locale);
  return 0;
}
