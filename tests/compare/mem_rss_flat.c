/* mem_rss_flat: rounds of many short-lived threads (each allocates, uses
 * TLS, exits) must leave memory flat: whatever a round leaves behind
 * (caches, allocator slack) the next rounds reuse. A leak of even 1 KB per
 * thread would add 20 MB per round under weft. Checked under weft, where
 * each round is 20,000 threads; natively rounds are smaller and only the
 * output (identical) is compared. Also under weft: once they are all joined,
 * the page tables of their stacks are given back too (a stack kept for
 * reuse keeps a 4 KB page-table page: 20,000 of them would be 80 MB). */
#include "mem_common.h"
#include "sync_common.h"

#define ROUNDS 10
#define SLACK_KB 8192 /* allocator and cache fluctuation between rounds */
#define PTE_KEPT_KB 16384 /* page tables of the stacks weft keeps for reuse */

static __thread char tls_buf[256];

static void* worker(void* arg) {
  char* p = malloc(64 + (long)arg % 512);
  SYNC_CHECK(p != NULL, "malloc failed");
  snprintf(tls_buf, sizeof tls_buf, "%ld", (long)arg);
  p[0] = tls_buf[0];
  free(p);
  return NULL;
}

int main(void) {
  long n = sync_scaled(20000, 2000);
  pthread_t* t = malloc(sizeof(pthread_t) * (size_t)n);
  long first_half_max = 0, second_half_max = 0;
  long pte_before = mem_status_kb("VmPTE");
  for (int r = 0; r < ROUNDS; r++) {
    for (long i = 0; i < n; i++) sync_start(&t[i], worker, (void*)i, 0);
    for (long i = 0; i < n; i++) sync_join(t[i]);
    long kb = mem_rss_pte_kb();
    long* half = r < ROUNDS / 2 ? &first_half_max : &second_half_max;
    if (kb > *half) *half = kb;
  }
  if (sync_under_weft()) {
    SYNC_CHECK(second_half_max <= first_half_max + SLACK_KB,
               "memory grew from %ld KB (rounds 1-5) to %ld KB (rounds 6-10)", first_half_max,
               second_half_max);
    long pte_after = mem_status_kb("VmPTE");
    SYNC_CHECK(pte_after <= pte_before + PTE_KEPT_KB,
               "page tables: %ld KB before the rounds, %ld KB after all were joined", pte_before,
               pte_after);
  }
  printf("%d rounds of short-lived threads joined\n", ROUNDS);
  free(t);
  return 0;
}
