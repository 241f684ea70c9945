// Benchmark: thread-per-connection TCP echo over loopback, 4,000 connections
// (8,000 threads: a handler per connection and a client per connection).
//
// Set-up (not timed): an acceptor thread starts one handler thread per
// accepted connection (echo until end of file); each client thread connects,
// makes one round trip, and waits at a start gate. Timed: from opening the
// gate until every client has made kRoundTrips more round trips of kMsg
// bytes (each reply checked). Reported: wall time per message (msg_ns, the
// inverse of messages/s over all connections) and, as a plain counter, the
// most kernel threads the process had while echoing (the goal under
// weft: <= 64, against NPTL's 8,000). All threads get 64 KiB stacks, natively
// too. The driver runs weft at WEFT_PROCS=2.
// Goal (issue): weft >= NPTL in messages/s.
#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <vector>

#include "bench_common.h"

namespace {

constexpr int kConns = 4000;
constexpr int kRoundTrips = 50;
constexpr size_t kMsg = 64;
constexpr size_t kStack = 64 * 1024;

pthread_t spawn_small(void* (*fn)(void*), void* arg) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, kStack);
  pthread_t t;
  int rc = pthread_create(&t, &a, fn, arg);
  pthread_attr_destroy(&a);
  if (rc != 0) {
    std::fprintf(stderr, "bench: pthread_create failed: %s\n", std::strerror(rc));
    std::abort();
  }
  return t;
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= size_t(w);
  }
  return true;
}

bool read_full(int fd, char* p, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= size_t(r);
  }
  return true;
}

struct Echo {
  int listen_fd = -1;
  sockaddr_in addr{};
  std::vector<pthread_t> handlers;
  bench::Countdown connected{kConns};
  bench::StartGate gate;
  std::atomic<long> done{0}, failures{0};
};

void* handler(void* arg) {
  int fd = int(reinterpret_cast<intptr_t>(arg));
  char buf[4096];
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || !write_all(fd, buf, size_t(r))) break;
  }
  close(fd);
  return nullptr;
}

void* acceptor(void* arg) {
  Echo* e = static_cast<Echo*>(arg);
  for (int i = 0; i < kConns; ++i) {
    int fd = accept4(e->listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      std::fprintf(stderr, "bench: accept4: %s\n", std::strerror(errno));
      std::abort();
    }
    e->handlers[size_t(i)] = spawn_small(handler, reinterpret_cast<void*>(intptr_t(fd)));
  }
  return nullptr;
}

struct Client {
  Echo* e;
  int id;
};

bool round_trip(int fd, int id, int k) {
  char out[kMsg], in[kMsg];
  for (size_t i = 0; i < kMsg; ++i) out[i] = char(id * 7 + k * 13 + int(i));
  return write_all(fd, out, kMsg) && read_full(fd, in, kMsg) && std::memcmp(in, out, kMsg) == 0;
}

void* client(void* arg) {
  Client* c = static_cast<Client*>(arg);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool ok = fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&c->e->addr), sizeof c->e->addr) == 0;
  int one = 1;
  if (ok) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ok = ok && round_trip(fd, c->id, 0);
  c->e->connected.arrive();
  c->e->gate.pass();
  for (int k = 1; ok && k <= kRoundTrips; ++k) ok = round_trip(fd, c->id, k);
  if (!ok) c->e->failures.fetch_add(1);
  if (fd >= 0) close(fd);
  c->e->done.fetch_add(1);
  return nullptr;
}

void raise_nofile() {
  rlimit r;
  getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
}

void BM_Echo4000Connections(benchmark::State& state) {
  raise_nofile();
  for (auto _ : state) {
    Echo e;
    e.handlers.resize(kConns);
    e.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    e.addr.sin_family = AF_INET;
    e.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof e.addr;
    if (e.listen_fd < 0 || bind(e.listen_fd, reinterpret_cast<sockaddr*>(&e.addr), len) != 0 ||
        listen(e.listen_fd, 4096) != 0 ||
        getsockname(e.listen_fd, reinterpret_cast<sockaddr*>(&e.addr), &len) != 0) {
      state.SkipWithError("cannot listen on 127.0.0.1");
      return;
    }
    pthread_t acc = spawn_small(acceptor, &e);
    std::vector<Client> cs(kConns);
    std::vector<pthread_t> clients(kConns);
    for (int i = 0; i < kConns; ++i) {
      cs[size_t(i)] = Client{&e, i};
      clients[size_t(i)] = spawn_small(client, &cs[size_t(i)]);
    }
    e.connected.wait_all();
    bench::join(acc);

    // Every thread exists now (natively: 8,000 kernel threads).
    long max_threads = bench::read_status().threads;
    uint64_t t0 = bench::now_ns();
    e.gate.open();
    // Sampling /proc costs the main thread a few microseconds every 5 ms.
    while (e.done.load() < kConns) {
      long th = bench::read_status().threads;
      if (th > max_threads) max_threads = th;
      timespec ts{0, 5000000};
      nanosleep(&ts, nullptr);
    }
    uint64_t elapsed = bench::now_ns() - t0;
    for (pthread_t t : clients) bench::join(t);
    for (pthread_t t : e.handlers) bench::join(t);
    close(e.listen_fd);
    if (e.failures.load() != 0) {
      state.SkipWithError("a client saw a wrong or short echo");
      return;
    }
    state.counters["msg_ns"] = double(elapsed) / double(long(kConns) * kRoundTrips);
    state.counters["kernel_threads"] = double(max_threads);
  }
  state.SetLabel("goal>=1x");
}
BENCHMARK(BM_Echo4000Connections)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
