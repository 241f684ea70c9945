/* tests/compare/io_common.h — helpers shared by the tests/compare/io_*
 * programs (blocking system calls: pipes, sockets, files, raw syscalls).
 *
 * Same model as sync_common.h (included): a program prints only lines that
 * are identical natively and under weft, exits 1 with a "FAIL:" line on
 * stderr on a broken invariant, and checks kernel thread counts only under
 * weft. In addition:
 *  - every program arms a watchdog (io_watchdog): a hang ends the process
 *    with SIGALRM after a bounded time instead of running into the harness's
 *    timeout, so a broken run costs seconds, not minutes;
 *  - kernel thread bounds are sampled for a while (io_sample_kernel_tasks)
 *    rather than read once, because under weft a thread that announced it is
 *    about to block cannot be seen to have blocked: sampling over a window
 *    makes the check strictly stronger without making its result depend on
 *    timing (a native run does not check at all).
 */
#ifndef WEFT_TESTS_COMPARE_IO_COMMON_H
#define WEFT_TESTS_COMPARE_IO_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sync_common.h"

/* The watchdog of every io_* program: each runs in a few seconds natively. */
#define IO_WATCHDOG_S 60

/* Ends the process with SIGALRM (default action) after `seconds`. */
static inline void io_watchdog(unsigned seconds) {
  signal(SIGALRM, SIG_DFL);
  alarm(seconds);
}

/* Raises the soft RLIMIT_NOFILE to the hard limit (thousands of pipes and
 * sockets); fails if that leaves fewer than `need` descriptors. */
static inline void io_raise_nofile(long need) {
  struct rlimit r;
  SYNC_CHECK(getrlimit(RLIMIT_NOFILE, &r) == 0, "getrlimit: %s", strerror(errno));
  r.rlim_cur = r.rlim_max;
  SYNC_CHECK(setrlimit(RLIMIT_NOFILE, &r) == 0, "setrlimit: %s", strerror(errno));
  SYNC_CHECK(r.rlim_cur == RLIM_INFINITY || (long)r.rlim_cur >= need,
             "RLIMIT_NOFILE hard limit %ld < %ld needed", (long)r.rlim_cur, need);
}

/* The byte at position `pos` of stream `id`: every test's data is a pure
 * function of (who, where), so a byte on the wrong descriptor or at the wrong
 * place is detected. */
static inline unsigned char io_byte(uint64_t id, uint64_t pos) {
  uint64_t x = id * 0x9E3779B97F4A7C15ULL + pos * 0xBF58476D1CE4E5B9ULL + 1;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 29;
  return (unsigned char)x;
}

static inline void io_fill(unsigned char* buf, size_t n, uint64_t id, uint64_t pos) {
  for (size_t i = 0; i < n; ++i) buf[i] = io_byte(id, pos + i);
}

/* Index of the first byte of buf that differs from stream `id` at `pos`, or
 * -1 if all match. */
static inline long io_mismatch(const unsigned char* buf, size_t n, uint64_t id, uint64_t pos) {
  for (size_t i = 0; i < n; ++i)
    if (buf[i] != io_byte(id, pos + i)) return (long)i;
  return -1;
}

/* FNV-1a, 64 bits. */
static inline uint64_t io_fnv(uint64_t h, const void* p, size_t n) {
  const unsigned char* b = (const unsigned char*)p;
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001B3ULL;
  return h;
}
#define IO_FNV_INIT 0xCBF29CE484222325ULL

/* write() until all of buf is written; 0 or the errno of the failure. */
static inline int io_write_all(int fd, const void* buf, size_t n) {
  const char* p = (const char*)buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* read() until n bytes or end of file; the bytes read, or -errno. */
static inline long io_read_full(int fd, void* buf, size_t n) {
  char* p = (char*)buf;
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, p + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (r == 0) break;
    got += (size_t)r;
  }
  return (long)got;
}

/* A TCP socket listening on 127.0.0.1 at a port the kernel picks. */
static inline int io_tcp_listen(int backlog, int* port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  SYNC_CHECK(s >= 0, "socket: %s", strerror(errno));
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  SYNC_CHECK(bind(s, (struct sockaddr*)&a, sizeof a) == 0, "bind: %s", strerror(errno));
  SYNC_CHECK(listen(s, backlog) == 0, "listen: %s", strerror(errno));
  socklen_t len = sizeof a;
  SYNC_CHECK(getsockname(s, (struct sockaddr*)&a, &len) == 0, "getsockname: %s", strerror(errno));
  *port = ntohs(a.sin_port);
  return s;
}

/* A blocking TCP connection to 127.0.0.1:port (TCP_NODELAY: request/reply
 * traffic); -errno on failure. */
static inline int io_tcp_connect(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)port);
  if (connect(s, (struct sockaddr*)&a, sizeof a) != 0) {
    int e = errno;
    close(s);
    return -e;
  }
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return s;
}

/* A system call made with an inline `syscall` instruction, as a program or
 * library that bypasses libc does: weft cannot interpose it, only notice the
 * kernel thread stuck in it. */
static inline long io_raw_syscall3(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "0"(nr), "D"(a), "S"(b), "d"(c)
                   : "rcx", "r11", "memory");
  return ret;
}

/* Kernel threads of this process currently inside system call `nr` with
 * first argument in fds[0..n) (from /proc/self/task/T/syscall). Natively and
 * under weft, a thread blocked in a raw system call is such a kernel thread. */
static inline int io_tasks_in_syscall(long nr, const int* fds, int n) {
  DIR* d = opendir("/proc/self/task");
  if (!d) return -1;
  int count = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[300], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%s/syscall", e->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  /* the task just exited */
    ssize_t r = read(fd, line, sizeof line - 1);
    close(fd);
    if (r <= 0) continue;
    line[r] = '\0';
    long got_nr;
    unsigned long arg0;
    if (sscanf(line, "%ld 0x%lx", &got_nr, &arg0) != 2 || got_nr != nr) continue;
    for (int i = 0; i < n; ++i)
      if ((unsigned long)fds[i] == arg0) {
        count++;
        break;
      }
  }
  closedir(d);
  return count;
}

static inline void io_sleep_ns(long long ns) {
  struct timespec t = sync_ts(ns);
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

/* Under weft: samples the kernel thread count every 10 ms for `window_ns`
 * and fails if it ever exceeds `limit`. Natively: returns at once. */
static inline void io_sample_kernel_tasks(int limit, long long window_ns, const char* when) {
  if (!sync_under_weft()) return;
  long long end = sync_now_ns(CLOCK_MONOTONIC) + window_ns;
  do {
    int n = sync_kernel_tasks();
    SYNC_CHECK(n > 0 && n <= limit, "%s: %d kernel tasks (limit %d)", when, n, limit);
    io_sleep_ns(10 * 1000000LL);
  } while (sync_now_ns(CLOCK_MONOTONIC) < end);
}

/* Waits up to `deadline_ns` for the kernel thread count to drop to `limit`
 * or below; returns the last count seen. */
static inline int io_wait_kernel_tasks_at_most(int limit, long long deadline_ns) {
  long long end = sync_now_ns(CLOCK_MONOTONIC) + deadline_ns;
  int n;
  while ((n = sync_kernel_tasks()) > limit && sync_now_ns(CLOCK_MONOTONIC) < end)
    io_sleep_ns(10 * 1000000LL);
  return n;
}

/* Waits for child `pid` and fails unless it exited with status 0. */
static inline void io_wait_child_ok(pid_t pid, const char* what) {
  int st;
  pid_t r;
  while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {
  }
  SYNC_CHECK(r == pid, "%s: waitpid: %s", what, strerror(errno));
  SYNC_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child ended with status 0x%x", what, st);
}

/* Runs this program again (fork + execve of /proc/self/exe) with `argv`, the
 * environment plus `extra_env` (NAME=VALUE, may be NULL), LD_PRELOAD kept:
 * under weft the child runs under weft too, with other settings. The
 * child's stdout goes to *out_fd (a pipe the caller reads) unless out_fd is
 * NULL. Returns the pid. */
static inline pid_t io_spawn_self_env(char* const argv[], const char* extra_env, int* out_fd) {
  extern char** environ;
  size_t n = 0;
  while (environ[n]) n++;
  char** env = (char**)calloc(n + 2, sizeof *env);
  SYNC_CHECK(env != NULL, "calloc");
  size_t k = 0, name_len = extra_env ? (size_t)(strchr(extra_env, '=') - extra_env) + 1 : 0;
  for (size_t i = 0; i < n; ++i)
    if (!extra_env || strncmp(environ[i], extra_env, name_len) != 0) env[k++] = environ[i];
  if (extra_env) env[k++] = (char*)extra_env;
  env[k] = NULL;
  int p[2] = {-1, -1};
  if (out_fd) SYNC_CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
  fflush(NULL);
  pid_t pid = fork();
  SYNC_CHECK(pid >= 0, "fork: %s", strerror(errno));
  if (pid == 0) {
    if (out_fd) dup2(p[1], 1);
    execve("/proc/self/exe", argv, env);
    _exit(98);
  }
  free(env);
  if (out_fd) {
    close(p[1]);
    *out_fd = p[0];
  }
  return pid;
}

#endif /* WEFT_TESTS_COMPARE_IO_COMMON_H */
