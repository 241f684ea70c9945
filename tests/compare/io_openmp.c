/* tests/compare/io_openmp.c — OpenMP under weft (issue 10, acceptance 11).
 * Built with -fopenmp (Makefile). libgomp's threads wait for each other by
 * spinning, then with futex system calls made by inline `syscall`
 * instructions that weft cannot interpose: a team larger than WEFT_PROCS
 * only finishes if the runtime notices Ms stuck in those calls and moves
 * their Ps on.
 *
 * Part 1: a team of TEAM threads (more than WEFT_PROCS) runs a reduction, a
 * critical section, an ordered loop and BARRIER_PHASES barrier-separated
 * phases in which each thread checks what its neighbours wrote in the
 * previous phase. Part 2: nested parallel regions, 4 x 4 threads
 * (omp_set_max_active_levels(2)): every (outer, inner) pair runs exactly
 * once, with the right team sizes and levels, and inner reductions. Both
 * parts repeat ROUNDS times. Only results that depend on nothing but the
 * arithmetic are printed.
 *
 * Part 3: the same program again in a child (argv[1] = "--child") with
 * WEFT_PROCS=32 added to the environment (natively the variable means
 * nothing): its output must be identical to this run's.
 */
#define _GNU_SOURCE
#include <omp.h>

#include "io_common.h"

#define TEAM 8
#define ROUNDS 20
#define BARRIER_PHASES 200
#define N 200000

static char results[4096];
static size_t results_len;

static void report(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(results + results_len, sizeof results - results_len, fmt, ap);
  va_end(ap);
  SYNC_CHECK(n > 0 && results_len + (size_t)n < sizeof results, "results buffer");
  results_len += (size_t)n;
}

static uint64_t f(long i) { return (uint64_t)i * (uint64_t)i % 1000003u; }

static void team(void) {
  omp_set_num_threads(TEAM);
  uint64_t sum = 0, ordered_hash = IO_FNV_INIT;
  long critical_count = 0, bad_team = 0, bad_phase = 0;
  long phase_of[TEAM];
  for (int round = 0; round < ROUNDS; ++round) {
    uint64_t s = 0;
#pragma omp parallel for reduction(+ : s)
    for (long i = 0; i < N; ++i) s += f(i);
    sum += s;

#pragma omp parallel
    {
      if (omp_get_num_threads() != TEAM) {
#pragma omp atomic
        bad_team++;
      }
      for (int k = 0; k < 1000; ++k) {
#pragma omp critical
        critical_count++;
      }
      int me = omp_get_thread_num(), n = omp_get_num_threads();
      for (long phase = 0; phase < BARRIER_PHASES; ++phase) {
        phase_of[me] = phase;
#pragma omp barrier
        if (phase_of[(me + 1) % n] != phase || phase_of[(me + n - 1) % n] != phase) {
#pragma omp atomic
          bad_phase++;
        }
#pragma omp barrier
      }
    }

#pragma omp parallel for ordered schedule(dynamic, 7)
    for (long i = 0; i < 1000; ++i) {
      uint64_t v = f(i * 31 + round);
#pragma omp ordered
      ordered_hash = io_fnv(ordered_hash, &v, sizeof v);
    }
  }
  SYNC_CHECK(bad_team == 0, "%ld regions had a team other than %d", bad_team, TEAM);
  SYNC_CHECK(bad_phase == 0, "%ld barrier phase checks failed", bad_phase);
  SYNC_CHECK(critical_count == (long)ROUNDS * TEAM * 1000, "critical count %ld", critical_count);
  report("team of %d: reduction %llu, critical %ld, ordered %016llx, barriers consistent\n", TEAM,
         (unsigned long long)sum, critical_count, (unsigned long long)ordered_hash);
}

static void nested(void) {
  omp_set_max_active_levels(2);
  long seen_total = 0, bad = 0;
  uint64_t inner_sums = 0;
  for (int round = 0; round < ROUNDS; ++round) {
    int seen[4][4] = {{0}};
#pragma omp parallel num_threads(4)
    {
      int outer = omp_get_thread_num();
      if (omp_get_num_threads() != 4) {
#pragma omp atomic
        bad++;
      }
      uint64_t s = 0;
#pragma omp parallel num_threads(4) reduction(+ : s)
      {
        int inner = omp_get_thread_num();
        if (omp_get_num_threads() != 4 || omp_get_level() != 2 || omp_get_active_level() != 2 ||
            omp_get_ancestor_thread_num(1) != outer) {
#pragma omp atomic
          bad++;
        }
#pragma omp atomic
        seen[outer][inner]++;
#pragma omp barrier
        for (long i = inner; i < 10000; i += 4) s += f(i + outer * 10000);
      }
#pragma omp atomic
      inner_sums += s;
    }
    for (int o = 0; o < 4; ++o)
      for (int i = 0; i < 4; ++i) {
        if (seen[o][i] != 1) bad++;
        seen_total += seen[o][i];
      }
  }
  SYNC_CHECK(bad == 0, "nested regions: %ld wrong team sizes, levels or pairs", bad);
  report("nested 4 x 4: every (outer, inner) pair ran once per round (%ld), inner sums %llu\n",
         seen_total, (unsigned long long)inner_sums);
}

int main(int argc, char** argv) {
  io_watchdog(IO_WATCHDOG_S);
  team();
  nested();
  fputs(results, stdout);
  if (argc > 1 && strcmp(argv[1], "--child") == 0) return 0;

  char* cargv[] = {argv[0], (char*)"--child", NULL};
  int out;
  pid_t pid = io_spawn_self_env(cargv, "WEFT_PROCS=32", &out);
  char child[sizeof results];
  long n = io_read_full(out, child, sizeof child - 1);
  close(out);
  io_wait_child_ok(pid, "WEFT_PROCS=32 run");
  SYNC_CHECK(n == (long)results_len && memcmp(child, results, results_len) == 0,
             "the WEFT_PROCS=32 run printed something else:\n%.*s", (int)(n > 0 ? n : 0), child);
  printf("WEFT_PROCS=32: the same results\n");
  return 0;
}
