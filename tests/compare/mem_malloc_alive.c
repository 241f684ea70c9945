/* mem_malloc_alive: 10,000 threads (the native cap) each malloc and free a few blocks of 16 B..2 KiB, then stay
 * alive blocked on a gate. Under weft, jemalloc's per-thread cache must not
 * cost tens of KB a thread: RSS + page tables per live thread <= 20 KB.
 * The blocks' contents are checked, so a broken allocator fails natively or
 * under weft alike; the printed lines are the same in both. */
#include "mem_common.h"
#include "sync_common.h"

#define THREADS 10000
#define BLOCKS 8
#define MAX_KB_PER_THREAD 20

static struct sync_gate gate;
static long base_kb;

static void* worker(void* arg) {
  unsigned seed = (unsigned)(long)arg * 2654435761u;
  void* p[BLOCKS];
  size_t sz[BLOCKS];
  for (int i = 0; i < BLOCKS; i++) {
    seed = seed * 1103515245u + 12345u;
    sz[i] = 16 + (seed >> 8) % 2033;
    p[i] = malloc(sz[i]);
    SYNC_CHECK(p[i] != NULL, "malloc(%zu) failed", sz[i]);
    memset(p[i], i + 1, sz[i]);
  }
  for (int i = 0; i < BLOCKS; i++) {
    SYNC_CHECK(((unsigned char*)p[i])[sz[i] - 1] == i + 1, "block %d overwritten", i);
    free(p[i]);
  }
  sync_gate_arrive(&gate);
  return NULL;
}

static void check_memory(void) {
  if (!sync_under_weft()) return;
  long per_thread = (mem_rss_pte_kb() - base_kb) / THREADS;
  SYNC_CHECK(per_thread <= MAX_KB_PER_THREAD, "%ld KB per live thread (limit %d)", per_thread,
             MAX_KB_PER_THREAD);
  sync_check_kernel_tasks("10,000 threads alive after malloc/free");
}

int main(void) {
  static pthread_t t[THREADS];
  sync_gate_init(&gate, THREADS);
  base_kb = mem_rss_pte_kb();
  for (long i = 0; i < THREADS; i++) sync_start(&t[i], worker, (void*)i, 0);
  sync_gate_open(&gate, check_memory);
  for (int i = 0; i < THREADS; i++) sync_join(t[i]);
  sync_gate_destroy(&gate);
  printf("%d threads each allocated and freed %d blocks, all alive at once\n", THREADS, BLOCKS);
  return 0;
}
