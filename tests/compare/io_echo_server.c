/* tests/compare/io_echo_server.c — a thread-per-connection TCP echo server
 * and its clients in one process (issue 10, acceptance 3): 4,000 connections,
 * 8,000 threads, at most MAX_TASKS kernel threads under weft.
 *
 * An acceptor thread accepts on 127.0.0.1 (port chosen by the kernel) and
 * starts one handler thread per connection, which echoes what it reads until
 * end of file. Each client thread connects, makes one round trip, and waits
 * at a gate; once every client is there, every handler is blocked in read:
 * the kernel thread count is sampled (under weft). The gate then opens and
 * each client sends MSGS messages of varied sizes whose bytes are a function
 * of (client, position), and checks every echoed byte; the kernel thread
 * count is sampled until all are done. Natively the run is capped at
 * NATIVE_CONNS connections (the output does not depend on the number).
 */
#define _GNU_SOURCE
#include <stdatomic.h>

#include "io_common.h"

#define CONNS 4000
#define NATIVE_CONNS 2000
#define MAX_TASKS 64
#define MSGS 8
#define MAX_MSG 8192
#define STACK (64 * 1024)

static int listen_fd, port;
static long conns;
static pthread_t* handlers;
static struct sync_gate gate;
static atomic_long done, failures;

static void* handler(void* arg) {
  int fd = (int)(long)arg;
  char buf[4096];
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (io_write_all(fd, buf, (size_t)r) != 0) break;
  }
  close(fd);
  return NULL;
}

static void* acceptor(void* arg) {
  for (long i = 0; i < conns; ++i) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    SYNC_CHECK(fd >= 0, "accept4: %s", strerror(errno));
    sync_start(&handlers[i], handler, (void*)(long)fd, STACK);
  }
  return arg;
}

static size_t msg_len(long client, int m) {
  return m == 0 ? 16 : 1 + (size_t)((client * 131 + m * 977) % MAX_MSG);
}

/* Sends message m of `client` and checks its echo; 0 if it came back intact. */
static int round_trip(int fd, long client, int m, uint64_t* pos, unsigned char* buf) {
  size_t n = msg_len(client, m);
  io_fill(buf, n, (uint64_t)client, *pos);
  if (io_write_all(fd, buf, n) != 0) return -1;
  memset(buf, 0, n);
  if (io_read_full(fd, buf, n) != (long)n) return -1;
  long bad = io_mismatch(buf, n, (uint64_t)client, *pos);
  *pos += n;
  return bad < 0 ? 0 : -1;
}

static void* client(void* arg) {
  long id = (long)arg;
  unsigned char buf[MAX_MSG];
  uint64_t pos = 0;
  int fd = io_tcp_connect(port);
  if (fd < 0) sync_die("client %ld: connect: %s", id, strerror(-fd));
  int bad = round_trip(fd, id, 0, &pos, buf);
  sync_gate_arrive(&gate);
  for (int m = 1; m < MSGS && !bad; ++m) bad = round_trip(fd, id, m, &pos, buf);
  if (bad) atomic_fetch_add(&failures, 1);
  close(fd);
  atomic_fetch_add(&done, 1);
  return NULL;
}

/* Every client waits at the gate after its first round trip, so every handler
 * is blocked in read. */
static void all_handlers_blocked(void) {
  io_sample_kernel_tasks(MAX_TASKS, 200 * 1000000LL, "every handler blocked in read");
}

int main(void) {
  io_watchdog(IO_WATCHDOG_S);
  conns = sync_scaled(CONNS, NATIVE_CONNS);
  io_raise_nofile(2 * conns + 64);
  listen_fd = io_tcp_listen(4096, &port);
  handlers = calloc((size_t)conns, sizeof *handlers);
  pthread_t* clients = calloc((size_t)conns, sizeof *clients);
  SYNC_CHECK(handlers && clients, "calloc");
  sync_gate_init(&gate, conns);

  pthread_t acc;
  sync_start(&acc, acceptor, NULL, STACK);
  for (long i = 0; i < conns; ++i) sync_start(&clients[i], client, (void*)i, STACK);
  sync_gate_open(&gate, all_handlers_blocked);
  sync_join(acc);
  printf("echo: every client connected and made a first round trip\n");

  while (atomic_load(&done) < conns) io_sample_kernel_tasks(MAX_TASKS, 20 * 1000000LL, "echoing");
  for (long i = 0; i < conns; ++i) sync_join(clients[i]);
  for (long i = 0; i < conns; ++i) sync_join(handlers[i]);
  SYNC_CHECK(atomic_load(&failures) == 0, "%ld clients saw a wrong or short echo",
             atomic_load(&failures));
  printf("echo: every message came back byte for byte\n");
  close(listen_fd);
  free(clients);
  free(handlers);
  return 0;
}
