/* tests/compare/mem_common.h — memory figures of the running process for the
 * tests/compare/mem_* programs (see sync_common.h for the compare model). */
#ifndef WEFT_TESTS_COMPARE_MEM_COMMON_H
#define WEFT_TESTS_COMPARE_MEM_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A field of /proc/self/status in KB (VmRSS, VmPTE), or -1. */
static inline long mem_status_kb(const char* field) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  size_t n = strlen(field);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, field, n) == 0 && line[n] == ':') v = atol(line + n + 1);
  if (f) fclose(f);
  return v;
}

/* Resident memory plus page tables: what a thread really costs. */
static inline long mem_rss_pte_kb(void) { return mem_status_kb("VmRSS") + mem_status_kb("VmPTE"); }

#endif /* WEFT_TESTS_COMPARE_MEM_COMMON_H */
