// core/spinlock.cpp — see core/spinlock.h: an M sleeping for one of the
// runtime's own locks says so, for the monitor (core/monitor.cpp).
#include "core/spinlock.h"

#include "core/sched.h"

namespace weft {

void runtime_sleep_begin() {
  if (G* g = current_g()) g->m->runtime_sleeps.fetch_add(1, std::memory_order_relaxed);
}

void runtime_sleep_end() {
  if (G* g = current_g()) g->m->runtime_sleeps.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace weft
