// core/stats.cpp — see core/stats.h.
#include "core/stats.h"

namespace weft {

bool stats_on = false;
StatCounter stat_counters[kNumStats];

void stat_raise_peak(Stat s, int64_t now) {
  std::atomic<int64_t>& peak = stat_counters[s].value;
  int64_t old = peak.load(std::memory_order_relaxed);
  while (now > old && !peak.compare_exchange_weak(old, now, std::memory_order_relaxed)) {
  }
}

void stats_reset() {
  for (StatCounter& c : stat_counters) c.value.store(0, std::memory_order_relaxed);
  stat_counters[kStatThreadsPeak].value.store(1, std::memory_order_relaxed);
  stat_counters[kStatMsPeak].value.store(1, std::memory_order_relaxed);
}

}  // namespace weft
