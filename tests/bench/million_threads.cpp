// million_threads — what one live thread costs, for N up to 10^6 (issue 5).
// Not a Google Benchmark: each N is one long run (scripts/bench.sh repeats the
// whole process).
//
//   million_threads [--max-mb M] N...             one line per N
//   million_threads [--max-mb M] --rounds R N     R rounds of N, one line each
//
// Model: main creates N threads with default attributes; each writes a
// __thread variable, checks in, and blocks in pthread_cond_wait on a gate, so
// all N are alive at once. Measured: the time of the N pthread_create calls,
// the time until all N have checked in (a runtime may defer starting them),
// and the memory per thread = (VmRSS + VmPTE) with all N alive minus the same
// sum before the first create, divided by N. Page tables count because a
// touched stack in its own 2 MiB region costs a page-table page. The kernel's
// own per-task memory (kernel stack, task struct) is not in either figure;
// sys_kb_per_thread (the drop in the system's MemAvailable) shows it roughly,
// but other processes on the machine disturb it. Then main opens the gate and
// joins all. In --rounds mode each round does the same and prints the RSS
// after its joins: for a runtime that reuses or frees thread memory, flat.
//
// The machine's share: after each N, a plain loop first-touches the pages N
// idle threads keep (touch_baseline_us) and the line reports its time per
// thread, with the page faults per created thread. On a VM whose host takes
// back free guest memory (free page reporting), first touches get dearer once
// a run needs more memory than the guest has warm, and creation time follows;
// the baseline shows how much of it is the kernel and the host. It runs after
// the threads, not before, so that the threads never get pages it warmed (it
// may get some they freed: if anything, it reads low).
//
// Output: one JSON object per line; scripts/bench.sh reads them.
//
// Safety (the machine is shared): natively N > 10,000 is refused (pid_max is
// 32768) and an N that the previous N's memory per thread predicts to need
// more than --max-mb (default: 85% of MemAvailable at start) is not tried;
// either way the line says "skipped". Creation stops early, and the line says
// why, if the process's kernel task count passes 10,050 (weft fell back to
// native threads) or its RSS + VmPTE grows by more than --max-mb; memory per
// thread is then still reported for the threads created.
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bench_common.h"

namespace {

constexpr long kNativeMax = 10000;
constexpr long kMaxTasks = 10050;
constexpr long kCheckEvery = 256;  // so at most ~10,300 tasks ever exist

__thread long tls_touch;

struct Gate {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t all_in = PTHREAD_COND_INITIALIZER;  // main waits here
  pthread_cond_t open = PTHREAD_COND_INITIALIZER;    // threads wait here
  long arrived = 0;
  long expected = -1;  // set by main once it knows how many it created
  bool is_open = false;
};

void* worker(void* p) {
  Gate* g = static_cast<Gate*>(p);
  tls_touch = reinterpret_cast<long>(p);
  pthread_mutex_lock(&g->m);
  if (++g->arrived == g->expected) pthread_cond_signal(&g->all_in);
  while (!g->is_open) pthread_cond_wait(&g->open, &g->m);
  pthread_mutex_unlock(&g->m);
  return nullptr;
}

long mem_available_kb() {
  FILE* f = std::fopen("/proc/meminfo", "r");
  if (f == nullptr) return -1;
  char line[256];
  long kb = -1;
  while (std::fgets(line, sizeof line, f) != nullptr)
    if (std::sscanf(line, "MemAvailable: %ld kB", &kb) == 1) break;
  std::fclose(f);
  return kb;
}

// What the memory of n threads costs the kernel alone: a plain loop
// first-touches, in a fresh mapping, the top two pages of n regions spaced
// like default stacks (the default stack size plus its guard): the data pages
// and the page-table page an idle thread keeps, with no thread made. Returns
// µs per region, or -1 when the mapping fails.
double touch_baseline_us(long n) {
  pthread_attr_t attr;
  size_t stack = size_t(8) << 20, guard = 4096;
  if (pthread_getattr_default_np(&attr) == 0) {
    pthread_attr_getstacksize(&attr, &stack);
    pthread_attr_getguardsize(&attr, &guard);
    pthread_attr_destroy(&attr);
  }
  const size_t region = stack + guard;
  void* m = mmap(nullptr, region * size_t(n), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return -1;
  madvise(m, region * size_t(n), MADV_NOHUGEPAGE);
  volatile char* base = static_cast<char*>(m);
  uint64_t t0 = bench::now_ns();
  for (long i = 1; i <= n; ++i) {
    base[region * size_t(i) - 1] = 1;
    base[region * size_t(i) - 4097] = 1;
  }
  double us = double(bench::now_ns() - t0) / 1e3 / double(n);
  munmap(m, region * size_t(n));
  return us;
}

struct Result {
  long created = 0;
  const char* stopped = nullptr;  // why creation stopped early, or null
  double create_us = 0, ready_us = 0, join_us = 0;
  long minflt = 0;                 // page faults until all are ready
  double touch_us = 0;             // touch_baseline_us(n), measured right after
  long kb_alive = 0, rss_alive = 0, pte_alive = 0, tasks_alive = 0;
  long rss_after = 0, pte_after = 0;
  long kb_base = 0, rss_base = 0, pte_base = 0, sys_drop_kb = 0;
};

Result run(long n, long max_kb, std::vector<pthread_t>& threads) {
  Result r;
  Gate g;
  bench::ProcStatus base = bench::read_status();
  r.rss_base = base.rss_kb;
  r.pte_base = base.pte_kb;
  r.kb_base = base.memory_kb();
  long avail_base = mem_available_kb();
  uint64_t check_ns = 0;  // time spent reading /proc, taken out of create_us
  rusage ru0;
  getrusage(RUSAGE_SELF, &ru0);
  uint64_t t0 = bench::now_ns();
  for (long i = 0; i < n; ++i) {
    if (i > 0 && i % kCheckEvery == 0) {
      uint64_t c0 = bench::now_ns();
      bench::ProcStatus now = bench::read_status();
      if (now.threads > kMaxTasks)
        r.stopped = "kernel task count passed 10050 (native threads?)";
      else if (now.memory_kb() - r.kb_base > max_kb)
        r.stopped = "memory limit (--max-mb)";
      check_ns += bench::now_ns() - c0;
      if (r.stopped != nullptr) break;
    }
    int rc = pthread_create(&threads[i], nullptr, worker, &g);
    if (rc != 0) {
      r.stopped = rc == EAGAIN ? "pthread_create: EAGAIN" : "pthread_create failed";
      break;
    }
    ++r.created;
  }
  uint64_t t_created = bench::now_ns();
  pthread_mutex_lock(&g.m);
  g.expected = r.created;
  while (g.arrived < g.expected) pthread_cond_wait(&g.all_in, &g.m);
  pthread_mutex_unlock(&g.m);
  uint64_t t_ready = bench::now_ns();
  rusage ru1;
  getrusage(RUSAGE_SELF, &ru1);
  r.minflt = ru1.ru_minflt - ru0.ru_minflt;
  bench::ProcStatus alive = bench::read_status();
  r.rss_alive = alive.rss_kb;
  r.pte_alive = alive.pte_kb;
  r.kb_alive = alive.memory_kb();
  r.tasks_alive = alive.threads;
  r.sys_drop_kb = avail_base - mem_available_kb();
  uint64_t t_join0 = bench::now_ns();
  pthread_mutex_lock(&g.m);
  g.is_open = true;
  pthread_cond_broadcast(&g.open);
  pthread_mutex_unlock(&g.m);
  for (long i = 0; i < r.created; ++i) bench::join(threads[i]);
  uint64_t t_joined = bench::now_ns();
  bench::ProcStatus after = bench::read_status();
  r.rss_after = after.rss_kb;
  r.pte_after = after.pte_kb;
  r.create_us = double(t_created - t0 - check_ns) / 1e3;
  r.ready_us = double(t_ready - t0 - check_ns) / 1e3;
  r.join_us = double(t_joined - t_join0) / 1e3;
  return r;
}

void print_common(const Result& r, long n) {
  double per = r.created > 0 ? double(r.created) : 1.0;
  std::printf(
      "\"n\":%ld,\"created\":%ld,\"weft\":%s,\"create_us\":%.0f,\"ready_us\":%.0f,"
      "\"join_us\":%.0f,\"create_us_per_thread\":%.3f,\"ready_us_per_thread\":%.3f,"
      "\"kb_per_thread\":%.2f,\"rss_kb_per_thread\":%.2f,\"pte_kb_per_thread\":%.2f,"
      "\"sys_kb_per_thread\":%.2f,\"tasks_alive\":%ld,\"rss_kb_after_join\":%ld,"
      "\"pte_kb_after_join\":%ld,\"faults_per_thread\":%.2f,\"touch_us_per_thread\":%.3f,\"stopped\":",
      n, r.created, bench::under_weft() ? "true" : "false", r.create_us, r.ready_us, r.join_us,
      r.create_us / per, r.ready_us / per, double(r.kb_alive - r.kb_base) / per,
      double(r.rss_alive - r.rss_base) / per, double(r.pte_alive - r.pte_base) / per,
      double(r.sys_drop_kb) / per, r.tasks_alive, r.rss_after, r.pte_after,
      double(r.minflt) / per, r.touch_us);
  if (r.stopped != nullptr)
    std::printf("\"%s\"", r.stopped);
  else
    std::printf("null");
}

// One line per run of n threads (rounds > 0: that many runs, "rounds" mode).
void measure(long n, long rounds, long max_kb, std::vector<pthread_t>& threads,
             double* last_kb_per_thread) {
  const char* skip = nullptr;
  if (n > kNativeMax && !bench::under_weft())
    skip = "pid_max";  // more than 10,000 native threads
  else if (*last_kb_per_thread * double(n) > double(max_kb))
    skip = "memory";  // the last N's cost per thread predicts going over --max-mb
  if (skip != nullptr) {
    std::printf("{\"bench\":\"million_threads\",\"mode\":\"alive\",\"n\":%ld,"
                "\"skipped\":\"%s\"}\n", n, skip);
    std::fflush(stdout);
    return;
  }
  for (long round = 1; round <= (rounds > 0 ? rounds : 1); ++round) {
    Result r = run(n, max_kb, threads);
    if (rounds == 0) r.touch_us = touch_baseline_us(n);
    if (r.created > 0) *last_kb_per_thread = double(r.kb_alive - r.kb_base) / double(r.created);
    if (rounds > 0)
      std::printf("{\"bench\":\"million_threads\",\"mode\":\"rounds\",\"round\":%ld,", round);
    else
      std::printf("{\"bench\":\"million_threads\",\"mode\":\"alive\",");
    print_common(r, n);
    std::printf("}\n");
    std::fflush(stdout);
  }
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: million_threads [--max-mb M] N... | [--max-mb M] --rounds R N\n");
  std::exit(2);
}

long parse_count(const char* s) {
  char* end;
  long v = std::strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v <= 0) usage();
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  long rounds = 0;
  long max_mb = -1;
  std::vector<long> counts;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
      rounds = parse_count(argv[++i]);
    else if (std::strcmp(argv[i], "--max-mb") == 0 && i + 1 < argc)
      max_mb = parse_count(argv[++i]);
    else
      counts.push_back(parse_count(argv[i]));
  }
  if (counts.empty() || (rounds > 0 && counts.size() != 1)) usage();
  long max_kb = max_mb > 0 ? max_mb * 1024 : mem_available_kb() / 20 * 17;

  long largest = 0;
  for (long n : counts) largest = n > largest ? n : largest;
  // Allocated and touched before any baseline, so it is not charged to threads.
  std::vector<pthread_t> threads(size_t(largest), pthread_t{});

  double last_kb_per_thread = 0;  // from the previous N: predicts the next
  for (long n : counts) measure(n, rounds, max_kb, threads, &last_kb_per_thread);
  return 0;
}
