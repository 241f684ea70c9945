// core/signal.cpp — see core/signal.h.
#include "core/signal.h"

#include <unistd.h>

#include "core/sched.h"
#include "core/sys.h"
#include "core/timer_heap.h"

namespace weft {

void interrupt_wait(G* g) {
  uint64_t ws = g->wait_state.load(std::memory_order_acquire);
  if ((ws & 3) != kWaitPending || !complete_wait(g, ws >> 2, kWaitInterrupted)) return;
  timer_del(g);
  if (g->timer.on_timeout) g->timer.on_timeout(g);  // unlink from its wait list
  ready(g, false);
}

namespace {
// Marks the bit, then interrupts g if it waits. fin_park does the mirror
// image (status kGParking, then bits), so a G that is about to park is not
// missed.
void post(G* g, uint64_t bit) {
  g->pending_signals.fetch_or(bit, std::memory_order_seq_cst);
  uint32_t status = g->status.load(std::memory_order_seq_cst);
  if (status == kGWaiting || status == kGParking) interrupt_wait(g);
}
}  // namespace

void interrupt_g(G* g) { post(g, uint64_t{1} << (kInterruptOnly - 1)); }

void signal_g(G* g, int sig) {
  uint64_t bit = uint64_t{1} << (sig - 1);
  if (g->status.load(std::memory_order_acquire) == kGSyscall) {
    // Its M is blocked on its behalf: interrupt the call there.
    sys::call6(SYS_tgkill, getpid(), g->m->ktid, sig);
    return;
  }
  post(g, bit);
}

void raise_pending_signals(G* self) {
  uint64_t bits = self->pending_signals.exchange(0, std::memory_order_acq_rel);
  self->raised_signals = bits;
  for (int sig = 1; bits; sig++, bits >>= 1)
    if ((bits & 1) && sig != kInterruptOnly) sys::call6(SYS_tgkill, getpid(), self->m->ktid, sig);
}

}  // namespace weft
