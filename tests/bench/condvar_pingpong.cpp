// Benchmark: mutex + condition-variable ping-pong between two threads.
//
// One round trip: the benchmark thread hands the turn to a partner (set flag,
// signal, wait) and the partner hands it back the same way, so every round
// trip is two blocking waits and two wake-ups through one mutex and two
// condvars. Nothing is pinned: natively the threads usually sit on different
// cores; the driver runs weft with WEFT_PROCS=1 and 2.
// Goal (issue): weft >= 10x faster per round trip (aim 100x).
#include <benchmark/benchmark.h>

#include "bench_common.h"

namespace {

struct Table {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t to_partner = PTHREAD_COND_INITIALIZER;
  pthread_cond_t to_main = PTHREAD_COND_INITIALIZER;
  int turn = 0;  // 0: main's turn, 1: partner's turn
  bool stop = false;
  long returns = 0;  // round trips the partner completed
};

void* partner(void* p) {
  Table* t = static_cast<Table*>(p);
  pthread_mutex_lock(&t->m);
  for (;;) {
    while (t->turn != 1 && !t->stop) pthread_cond_wait(&t->to_partner, &t->m);
    if (t->stop) break;
    t->turn = 0;
    ++t->returns;
    pthread_cond_signal(&t->to_main);
  }
  pthread_mutex_unlock(&t->m);
  return nullptr;
}

void BM_CondvarPingPong(benchmark::State& state) {
  Table t;
  pthread_t th = bench::spawn(partner, &t);
  for (auto _ : state) {
    pthread_mutex_lock(&t.m);
    t.turn = 1;
    pthread_cond_signal(&t.to_partner);
    while (t.turn != 0) pthread_cond_wait(&t.to_main, &t.m);
    pthread_mutex_unlock(&t.m);
  }
  pthread_mutex_lock(&t.m);
  t.stop = true;
  pthread_cond_signal(&t.to_partner);
  pthread_mutex_unlock(&t.m);
  bench::join(th);
  if (t.returns != long(state.iterations())) state.SkipWithError("lost a round trip");
  state.SetLabel("goal>=10x");
}
BENCHMARK(BM_CondvarPingPong)->UseRealTime()->MinTime(0.2);

}  // namespace

BENCHMARK_MAIN();
