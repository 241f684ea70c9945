// io_pipes_sockets: threads blocked in read/recv on pipes and socketpairs
// (2,000 at once; under weft on a few kernel threads), each then receiving
// exactly its data; a 4 MiB write into a pipe that another thread drains in
// small reads (partial writes continue where they stopped: every byte
// arrives once, in order); writers of PIPE_BUF-sized records sharing one
// pipe with several readers (no record is torn); stream sockets carrying
// messages both ways with MSG_WAITALL; readv/writev/sendmsg/recvmsg with
// several buffers.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "sync_common.h"

#define NBLOCKED 2000
static int fds[NBLOCKED][2];

static void* blocked_reader(void* a) {
  long i = (long)a;
  long v = -1;
  ssize_t r = (i & 1) ? recv(fds[i][0], &v, sizeof v, 0) : read(fds[i][0], &v, sizeof v);
  SYNC_CHECK(r == sizeof v && v == i * 31, "reader %ld: r=%zd v=%ld", i, r, v);
  return NULL;
}

static void many_blocked(void) {
  static pthread_t t[NBLOCKED];
  for (long i = 0; i < NBLOCKED; i++) {
    int r = (i & 1) ? socketpair(AF_UNIX, SOCK_STREAM, 0, fds[i]) : pipe(fds[i]);
    SYNC_CHECK(r == 0, "pipe/socketpair %ld: %s", i, strerror(errno));
    sync_start(&t[i], blocked_reader, (void*)i, 64 * 1024);
  }
  sync_check_kernel_tasks("2000 readers");
  for (long i = NBLOCKED - 1; i >= 0; i--) {
    long v = i * 31;
    SYNC_CHECK(write(fds[i][1], &v, sizeof v) == sizeof v, "write %ld", i);
  }
  for (long i = 0; i < NBLOCKED; i++) {
    sync_join(t[i]);
    close(fds[i][0]);
    close(fds[i][1]);
  }
  printf("2000 blocked readers: each got its data\n");
}

// ---- one big write, drained slowly ---------------------------------------
#define BIG (4 << 20)
static int big_pipe[2];
static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 + (i >> 12)); }

static void* big_writer(void* a) {
  (void)a;
  unsigned char* buf = malloc(BIG);
  for (size_t i = 0; i < BIG; i++) buf[i] = pattern(i);
  ssize_t r = write(big_pipe[1], buf, BIG);
  SYNC_CHECK(r == BIG, "big write returned %zd", r);
  free(buf);
  close(big_pipe[1]);
  return NULL;
}

static void big_write(void) {
  SYNC_CHECK(pipe(big_pipe) == 0, "pipe");
  pthread_t w;
  sync_start(&w, big_writer, NULL, 0);
  size_t got = 0;
  unsigned char buf[1000];
  for (;;) {
    ssize_t r = read(big_pipe[0], buf, sizeof buf);
    SYNC_CHECK(r >= 0, "read: %s", strerror(errno));
    if (r == 0) break;
    for (ssize_t k = 0; k < r; k++)
      SYNC_CHECK(buf[k] == pattern(got + k), "byte %zu wrong", got + (size_t)k);
    got += (size_t)r;
  }
  sync_join(w);
  SYNC_CHECK(got == BIG, "got %zu of %d bytes", got, BIG);
  close(big_pipe[0]);
  printf("4 MiB write through a pipe read 1000 bytes at a time: intact\n");
}

// ---- PIPE_BUF records, many writers and readers ---------------------------
#define WRITERS 8
#define READERS 4
#define RECORDS 400
static int rec_pipe[2];
static long counts[WRITERS];
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

static void* rec_writer(void* a) {
  long w = (long)a;
  static __thread unsigned char rec[PIPE_BUF];
  for (long n = 0; n < RECORDS; n++) {
    memset(rec, (int)(w * 16 + n % 16), sizeof rec);
    rec[0] = (unsigned char)w;
    SYNC_CHECK(write(rec_pipe[1], rec, sizeof rec) == sizeof rec, "record write");
  }
  return NULL;
}

static void* rec_reader(void* a) {
  (void)a;
  unsigned char rec[PIPE_BUF];
  for (;;) {
    size_t have = 0;
    // A record may arrive in pieces only if a reader takes part of it: read
    // exactly PIPE_BUF, which a record fills whole (writes are atomic).
    ssize_t r = read(rec_pipe[0], rec, sizeof rec);
    if (r == 0) return NULL;
    SYNC_CHECK(r == PIPE_BUF, "record read %zd", r);
    have = (size_t)r;
    long w = rec[0];
    SYNC_CHECK(w < WRITERS, "bad writer %ld", w);
    for (size_t k = 1; k < have; k++) SYNC_CHECK(rec[k] == rec[1], "torn record");
    pthread_mutex_lock(&count_lock);
    counts[w]++;
    pthread_mutex_unlock(&count_lock);
  }
}

static void records(void) {
  SYNC_CHECK(pipe(rec_pipe) == 0, "pipe");
  pthread_t w[WRITERS], r[READERS];
  for (long i = 0; i < READERS; i++) sync_start(&r[i], rec_reader, NULL, 0);
  for (long i = 0; i < WRITERS; i++) sync_start(&w[i], rec_writer, (void*)i, 0);
  for (int i = 0; i < WRITERS; i++) sync_join(w[i]);
  close(rec_pipe[1]);
  for (int i = 0; i < READERS; i++) sync_join(r[i]);
  close(rec_pipe[0]);
  for (int i = 0; i < WRITERS; i++) SYNC_CHECK(counts[i] == RECORDS, "writer %d: %ld records", i, counts[i]);
  printf("%d writers x %d PIPE_BUF records, %d readers: none torn or lost\n", WRITERS, RECORDS, READERS);
}

// ---- stream sockets both ways ---------------------------------------------
#define PAIRS 64
#define MSGS 200
#define MSGLEN 3000
static int sp[PAIRS][2];

static void fill(unsigned char* b, long pair, long n) {
  for (int k = 0; k < MSGLEN; k++) b[k] = (unsigned char)(pair + n * 3 + k);
}

static void* echo(void* a) {
  long p = (long)a;
  unsigned char b[MSGLEN];
  for (long n = 0; n < MSGS; n++) {
    // Two buffers each way, to exercise the vector forms.
    struct iovec iov[2] = {{b, 1000}, {b + 1000, MSGLEN - 1000}};
    struct msghdr m = {0};
    m.msg_iov = iov;
    m.msg_iovlen = 2;
    ssize_t r = recvmsg(sp[p][1], &m, MSG_WAITALL);
    SYNC_CHECK(r == MSGLEN, "echo recvmsg %zd", r);
    SYNC_CHECK(writev(sp[p][1], iov, 2) == MSGLEN, "echo writev");
  }
  return NULL;
}

static void* client(void* a) {
  long p = (long)a;
  unsigned char out[MSGLEN], in[MSGLEN];
  for (long n = 0; n < MSGS; n++) {
    fill(out, p, n);
    SYNC_CHECK(send(sp[p][0], out, MSGLEN, 0) == MSGLEN, "send");
    SYNC_CHECK(recv(sp[p][0], in, MSGLEN, MSG_WAITALL) == MSGLEN, "recv waitall");
    SYNC_CHECK(memcmp(in, out, MSGLEN) == 0, "echo differs");
  }
  return NULL;
}

static void sockets(void) {
  pthread_t e[PAIRS], c[PAIRS];
  for (long i = 0; i < PAIRS; i++) {
    SYNC_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp[i]) == 0, "socketpair");
    int small = 4096;  // small buffers: sends park and continue
    setsockopt(sp[i][0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(sp[i][1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sync_start(&e[i], echo, (void*)i, 64 * 1024);
    sync_start(&c[i], client, (void*)i, 64 * 1024);
  }
  for (int i = 0; i < PAIRS; i++) {
    sync_join(c[i]);
    sync_join(e[i]);
    close(sp[i][0]);
    close(sp[i][1]);
  }
  printf("%d socket pairs x %d echoed messages: intact\n", PAIRS, MSGS);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  many_blocked();
  big_write();
  records();
  sockets();
  return 0;
}
