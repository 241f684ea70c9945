// core/signal.cpp — see core/signal.h for the model. This file: pending
// sets, routing, and the deliveries themselves.
#include "core/signal.h"

#include <errno.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/preempt.h"
#include "core/sched.h"
#include "core/sigmask.h"
#include "core/spinlock.h"
#include "core/sys.h"
#include "core/timer_heap.h"
#include "core/tls.h"

extern "C" void weft_call_on_stack(void (*fn)(long, long, long), long a0, long a1, long a2,
                                   void* top);

namespace weft {

namespace {

// Signals pending for the process (every G blocked them when they came),
// and the siginfo of the last one of each number that was routed or kept.
std::atomic<uint64_t> process_pending{0};
SpinLock info_lock;
siginfo_t process_info[65];

void keep_info(int sig, const siginfo_t* info) {
  SpinLockGuard l(info_lock);
  process_info[sig] = *info;
}

siginfo_t kept_info(int sig) {
  SpinLockGuard l(info_lock);
  return process_info[sig];
}

// One of set that the kernel holds for this task or the process, taken now
// (the caller's task blocks it), or 0.
int dequeue_from_kernel(uint64_t set, siginfo_t* info) {
  timespec zero{0, 0};
  long sig = sys::call6(SYS_rt_sigtimedwait, long(&set), long(info), long(&zero), 8);
  return sig > 0 ? int(sig) : 0;
}

// What pthread_kill's tgkill would have carried.
siginfo_t tkill_info(int sig) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_signo = sig;
  si.si_code = SI_TKILL;
  si.si_pid = pid_t(sys::call6(SYS_getpid));
  si.si_uid = uid_t(sys::call6(SYS_getuid));
  return si;
}

// Default actions that do nothing (SIGCONT's continuing is the kernel's).
bool default_ignores(int sig) {
  return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

bool wants(G* g, uint64_t bit) {
  return (g->sigwait_set.load(std::memory_order_seq_cst) & bit) ||
         !(g->sigmask.load(std::memory_order_seq_cst) & bit);
}

// Ends g's wait, or makes its M look at its signals.
void notify(G* g) {
  uint32_t status = g->status.load(std::memory_order_seq_cst);
  if (status == kGWaiting || status == kGParking)
    interrupt_wait(g);
  else if (status == kGRunning || status == kGSyscall)
    if (M* m = g->m) poke_m(m);
}

// Takes bit from self's pending set or the process's, with its siginfo.
bool claim(G* self, int sig, siginfo_t* info) {
  uint64_t bit = sig_bit(sig);
  if (self->pending_signals.fetch_and(~bit, std::memory_order_acq_rel) & bit) {
    bool routed = self->routed_signals.fetch_and(~bit, std::memory_order_acq_rel) & bit;
    *info = routed ? kept_info(sig) : tkill_info(sig);
    return true;
  }
  if (process_pending.fetch_and(~bit, std::memory_order_acq_rel) & bit) {
    *info = kept_info(sig);
    return true;
  }
  return false;
}

// Runs the program's action for sig on self. True if a handler ran, with
// *restart = its SA_RESTART.
bool run_action(G* self, int sig, siginfo_t* info, void* uc, bool* restart) {
  KernelAction a;
  program_action(sig, &a);
  if (a.handler == SIG_IGN) return false;
  if (a.handler == SIG_DFL) {
    if (!default_ignores(sig)) take_default_action(sig);
    return false;
  }
  uint64_t saved = self->sigmask.load(std::memory_order_relaxed);
  uint64_t extra = a.mask | ((a.flags & SA_NODEFER) ? 0 : sig_bit(sig));
  self->sigmask.store((saved | extra) & ~kUnblockable, std::memory_order_seq_cst);
  if (a.flags & SA_RESETHAND) reset_program_action(sig);
  ucontext_t here;
  if (!uc) {
    memset(&here, 0, sizeof here);
    getcontext(&here);
    here.uc_sigmask.__val[0] = saved;
    uc = &here;
  }
  auto fn = reinterpret_cast<void (*)(long, long, long)>(reinterpret_cast<void*>(a.handler));
  char* here_sp = reinterpret_cast<char*>(__builtin_frame_address(0));
  bool on_alt = self->alt_sp && here_sp >= static_cast<char*>(self->alt_sp) &&
                here_sp < static_cast<char*>(self->alt_sp) + self->alt_size;
  if ((a.flags & SA_ONSTACK) && self->alt_sp && !on_alt)
    weft_call_on_stack(fn, sig, long(info), long(uc), static_cast<char*>(self->alt_sp) + self->alt_size);
  else
    fn(sig, long(info), long(uc));  // a one-argument handler ignores the others
  self->sigmask.store(saved, std::memory_order_seq_cst);
  *restart = a.flags & SA_RESTART;
  return true;
}

}  // namespace

void interrupt_wait(G* g) {
  uint64_t ws = g->wait_state.load(std::memory_order_acquire);
  if ((ws & 3) != kWaitPending || !complete_wait(g, ws >> 2, kWaitInterrupted)) return;
  timer_del(g);
  if (g->timer.on_timeout) g->timer.on_timeout(g);  // unlink from its wait list
  ready(g, false);
}

bool should_interrupt(G* g) {
  if (g->interrupt_req.load(std::memory_order_seq_cst)) return true;
  uint64_t pending = g->pending_signals.load(std::memory_order_seq_cst);
  return pending & (~g->sigmask.load(std::memory_order_seq_cst) |
                    g->sigwait_set.load(std::memory_order_seq_cst));
}

void interrupt_g(G* g) {
  g->interrupt_req.store(1, std::memory_order_seq_cst);
  uint32_t status = g->status.load(std::memory_order_seq_cst);
  if (status == kGWaiting || status == kGParking) interrupt_wait(g);
}

void signal_g(G* g, int sig) {
  uint64_t bit = sig_bit(sig);
  g->pending_signals.fetch_or(bit, std::memory_order_seq_cst);
  if (!signals_routed()) {
    // One thread: only the caller exists; it delivers at once.
    return;
  }
  if (wants(g, bit)) notify(g);
}

namespace {

struct Route {
  uint64_t bit;
  G* target = nullptr;
  bool waiter = false;
};

// Picks a G the way the kernel picks a thread: one waiting for the signal
// in sigwait, else the main thread, else the first that does not block it.
bool pick(G* g, void* arg) {
  auto* r = static_cast<Route*>(arg);
  if (g->sigwait_set.load(std::memory_order_seq_cst) & r->bit) {
    r->target = g;
    r->waiter = true;
    return false;
  }
  if (!r->target && !(g->sigmask.load(std::memory_order_seq_cst) & r->bit)) r->target = g;
  else if (g->is_main && !(g->sigmask.load(std::memory_order_seq_cst) & r->bit)) r->target = g;
  return true;
}

// Marks the signal on the G picked (still alive: the walk's lock is held).
bool pick_and_post(G* g, void* arg) {
  auto* r = static_cast<Route*>(arg);
  if (g != r->target) return true;
  g->routed_signals.fetch_or(r->bit, std::memory_order_seq_cst);
  g->pending_signals.fetch_or(r->bit, std::memory_order_seq_cst);
  if (wants(g, r->bit)) notify(g);
  return false;
}

}  // namespace

void signal_process(int sig, const siginfo_t* info) {
  KernelAction a;
  program_action(sig, &a);
  for (;;) {
    Route r{sig_bit(sig)};
    for_each_linked_g(pick, &r);
    if (!r.target) {
      if (a.handler == SIG_IGN) return;
      keep_info(sig, info);
      process_pending.fetch_or(r.bit, std::memory_order_seq_cst);
      // A G that unblocked it meanwhile did not see it: look once more.
      Route again{r.bit};
      for_each_linked_g(pick, &again);
      if (!again.target || !(process_pending.fetch_and(~r.bit) & r.bit)) return;
      continue;
    }
    if (!r.waiter) {
      if (a.handler == SIG_IGN) return;
      if (a.handler == SIG_DFL) {
        if (!default_ignores(sig)) take_default_action(sig);
        return;
      }
    }
    keep_info(sig, info);
    for_each_linked_g(pick_and_post, &r);
    return;
  }
}

void signal_process_to(G* self, int sig, const siginfo_t* info) {
  keep_info(sig, info);
  self->routed_signals.fetch_or(sig_bit(sig), std::memory_order_seq_cst);
  self->pending_signals.fetch_or(sig_bit(sig), std::memory_order_seq_cst);
  deliver_pending(self);
}

void inherit_signal_state(G* g) {
  G* self = current_g();
  uint64_t mask = 0;
  if (self && !self->is_g0)
    mask = self->sigmask.load(std::memory_order_relaxed);
  else
    sys::call6(SYS_rt_sigprocmask, SIG_BLOCK, 0, long(&mask), 8);
  g->sigmask.store(mask & ~kUnblockable, std::memory_order_relaxed);
  g->pending_signals.store(0, std::memory_order_relaxed);
  g->routed_signals.store(0, std::memory_order_relaxed);
  g->sigwait_set.store(0, std::memory_order_relaxed);
  g->interrupt_req.store(0, std::memory_order_relaxed);
  g->alt_sp = nullptr;
  g->alt_size = 0;
  g->alt_autodisarm = false;
}

uint64_t take_process_pending(uint64_t set) {
  return process_pending.fetch_and(~set, std::memory_order_acq_rel) & set;
}

void forget_process_pending() { process_pending.store(0, std::memory_order_relaxed); }

void signal_process_later(int sig) {
  // The interrupted code may hold info_lock: the siginfo is not kept.
  process_pending.fetch_or(sig_bit(sig), std::memory_order_seq_cst);
}

bool has_deliverable(G* self) {
  uint64_t skip = self->sigmask.load(std::memory_order_seq_cst) |
                  self->sigwait_set.load(std::memory_order_seq_cst);
  uint64_t any = self->pending_signals.load(std::memory_order_seq_cst) |
                 process_pending.load(std::memory_order_seq_cst);
  return any & ~skip;
}

uint64_t deliver_pending(G* self, void* uc) {
  self->interrupt_req.store(0, std::memory_order_relaxed);
  uint64_t ran = 0;
  bool all_restart = true;
  for (;;) {
    uint64_t skip = self->sigmask.load(std::memory_order_seq_cst) |
                    self->sigwait_set.load(std::memory_order_seq_cst);
    uint64_t any = (self->pending_signals.load(std::memory_order_seq_cst) |
                    process_pending.load(std::memory_order_seq_cst)) & ~skip;
    if (!any) break;
    int sig = __builtin_ctzll(any) + 1;
    siginfo_t info;
    if (!claim(self, sig, &info)) continue;
    bool restart = true;
    if (run_action(self, sig, &info, uc, &restart)) {
      ran |= sig_bit(sig);
      all_restart &= restart;
    }
  }
  self->raised_signals = ran;
  self->raised_restart = all_restart;
  return ran;
}

void take_from_kernel(G* self, uint64_t bits) {
  uint64_t opened = bits & sigmask_kernel_pending();
  for (; opened; opened &= opened - 1) {
    uint64_t one = opened & -opened;
    siginfo_t info;
    if (int sig = dequeue_from_kernel(one, &info)) {
      keep_info(sig, &info);
      self->routed_signals.fetch_or(one, std::memory_order_seq_cst);
      self->pending_signals.fetch_or(one, std::memory_order_seq_cst);
    }
  }
}

void take_own_signals_now(G* self) {
  if (!self || self->is_g0 || !signals_routed()) return;
  take_from_kernel(self, ~self->sigmask.load(std::memory_order_relaxed) & routable_signals());
  if (has_deliverable(self)) deliver_pending(self);
}

void sigmask_change(G* self, int how, uint64_t set, uint64_t* old) {
  uint64_t cur = self->sigmask.load(std::memory_order_relaxed);
  if (old) *old = cur;
  uint64_t next = how == SIG_BLOCK ? cur | set : how == SIG_UNBLOCK ? cur & ~set : set;
  next &= ~kUnblockable;
  self->sigmask.store(next, std::memory_order_seq_cst);
  if (!signals_routed()) {
    sigmask_kernel_set(next);  // the kernel delivers what this unblocks
    return;
  }
  // Sent to the process but not yet taken by the catcher (it runs on its
  // own): the kernel still holds it, and this thread, which now takes it,
  // must run its handler before returning, as the kernel's would.
  take_from_kernel(self, cur & ~next);
  if (has_deliverable(self)) deliver_pending(self);
}

uint64_t sigpending_of(G* self) {
  // The kernel's part: process-directed signals the catcher has not taken
  // yet (every kernel thread blocks them); of those, only the ones this
  // thread blocks would be pending natively (the rest would be delivered,
  // or discarded as ignored).
  uint64_t in_kernel = sigmask_kernel_pending();
  if (!signals_routed()) return in_kernel;
  in_kernel &= self->sigmask.load(std::memory_order_relaxed);
  return self->pending_signals.load(std::memory_order_seq_cst) |
         process_pending.load(std::memory_order_seq_cst) | in_kernel;
}

namespace {
// The lowest signal of set pending for self or the process, claimed; also
// one the kernel still holds for the process (the catcher has not taken it
// yet): this M blocks it too, so it may take it as the catcher would.
int take_waited(G* self, uint64_t set, siginfo_t* info) {
  if (uint64_t in_kernel = sigmask_kernel_pending() & set)
    if (int sig = dequeue_from_kernel(in_kernel, info)) return sig;
  for (;;) {
    uint64_t any = (self->pending_signals.load(std::memory_order_seq_cst) |
                    process_pending.load(std::memory_order_seq_cst)) & set;
    if (!any) return 0;
    int sig = __builtin_ctzll(any) + 1;
    if (claim(self, sig, info)) return sig;
  }
}
}  // namespace

int sigwait_g(G* self, uint64_t set, siginfo_t* info, int64_t deadline_ns, bool (*give_up)()) {
  siginfo_t local;
  if (!info) info = &local;
  set &= ~kUnblockable;
  for (;;) {
    if (int sig = take_waited(self, set, info)) return sig;
    if (deadline_ns >= 0 && deadline_ns <= sys::now_ns()) return -EAGAIN;
    self->sigwait_set.store(set, std::memory_order_seq_cst);
    if (int sig = take_waited(self, set, info)) {
      self->sigwait_set.store(0, std::memory_order_seq_cst);
      return sig;
    }
    uint64_t seq = begin_wait(self);
    WaitResult r = park_until(self, seq, deadline_ns < 0 ? 0 : deadline_ns, nullptr, nullptr);
    self->sigwait_set.store(0, std::memory_order_seq_cst);
    if (int sig = take_waited(self, set, info)) return sig;
    if (r == kWaitInterrupted && (self->raised_signals || give_up())) return -EINTR;
    if (r == kWaitTimedOut) return -EAGAIN;
  }
}

int sigsuspend_g(G* self, uint64_t mask, bool (*give_up)()) {
  uint64_t saved = self->sigmask.load(std::memory_order_relaxed);
  self->sigmask.store(mask & ~kUnblockable, std::memory_order_seq_cst);
  for (;;) {
    if (has_deliverable(self) && deliver_pending(self)) break;
    uint64_t seq = begin_wait(self);
    if (park_until(self, seq, 0, nullptr, nullptr) == kWaitInterrupted &&
        (self->raised_signals || give_up()))
      break;
  }
  self->sigmask.store(saved, std::memory_order_seq_cst);
  return -EINTR;
}

void altstack_switch_in(G* self) {
  M* m = self->m;
  int flags = !self->alt_sp ? SS_DISABLE : self->alt_autodisarm ? kSsAutoDisarm : 0;
  if (self->alt_sp == m->alt_sp && self->alt_size == m->alt_size && flags == m->alt_flags) return;
  stack_t ss;
  ss.ss_sp = self->alt_sp;
  ss.ss_size = self->alt_size;
  ss.ss_flags = flags;
  // EPERM while the M runs on its current one (a handler parked there):
  // it stays until the next switch.
  if (sys::call6(SYS_sigaltstack, long(&ss), 0) != 0) return;
  m->alt_sp = self->alt_sp;
  m->alt_size = self->alt_size;
  m->alt_flags = flags;
}

}  // namespace weft
