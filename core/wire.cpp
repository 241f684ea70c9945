// core/wire.cpp — see core/wire.h.
#include "core/wire.h"

#include "core/sched.h"
#include "core/sys.h"

namespace weft {
namespace {
constexpr long kRobustHeadSize = 24;  // struct robust_list_head
}

void wire_current(WireReason why) {
  G* g = current_g();
  if (!g || g->is_g0 || (g->wired_for & why)) return;
  if (!g->locked_m) {
    g->locked_m = g->m;
    // Asked of the kernel, not taken from M: after fork() the child's task
    // has a new tid while the runtime's records are the parent's.
    g->locked_tid = sys::gettid();
  }
  g->wired_for |= why;
  if (why == kWireRobust)
    sys::call6(SYS_set_robust_list, (long)(static_cast<char*>(g->tcb) + tcb_off::kRobustHead),
               kRobustHeadSize);
}

void unwire_current(WireReason why) {
  G* g = current_g();
  if (!g || g->is_g0 || !(g->wired_for & why)) return;
  if (why == kWireRobust)
    sys::call6(SYS_set_robust_list, (long)g->m->native_robust_head, kRobustHeadSize);
  g->wired_for &= uint8_t(~why);
  if (!g->wired_for) g->locked_m = nullptr;
}

bool is_wired() {
  G* g = current_g();
  return g && g->locked_m;
}

bool wired_for(WireReason why) {
  G* g = current_g();
  return g && !g->is_g0 && (g->wired_for & why);
}

int wired_tid() {
  G* g = current_g();
  return g && g->locked_m ? g->locked_tid : self_tid();
}

}  // namespace weft
