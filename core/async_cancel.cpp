// core/async_cancel.cpp — see core/async_cancel.h.
//
// Invariants.
// - A G is on the list (G::acancel_listed) only while it is alive: it takes
//   itself off in async_cancel_forget, after setting EXITING, before its
//   memory can be reused. A canceller links a G and then re-reads EXITING;
//   the G sets EXITING and then reads acancel_listed (both sequentially
//   consistent), so at least one of them sees the other and unlinks: the
//   list never keeps an exited G. Whoever unlinks does it under list_lock,
//   which the poker holds too, so a listed G cannot go while it is poked.
// - The handler diverts only the current G of its M (%fs), only when that
//   G has a due asynchronous request, runs as an ordinary G (not in a
//   blocking system call, whose scope weft would have to end), and was
//   interrupted where it holds nothing of the runtime's (see the header).
//   A poke that lands elsewhere, or on an M that now runs another G, does
//   nothing: the handler is installed with SA_RESTART, so an interrupted
//   call of that other G restarts (except the calls the kernel never
//   restarts after a handler, as with preemption's signal).
#include "core/async_cancel.h"

#include <errno.h>
#include <new>
#include <pthread.h>
#include <signal.h>

#include "core/cancel_bits.h"
#include "core/preempt.h"
#include "core/sched.h"
#include "core/stack.h"
#include "core/syscall_cancel.h"

extern "C" void weft_async_cancel();

namespace weft {
namespace {

constexpr size_t kRedZone = 128;
// Stack the unwind needs below the interrupted frame (the unwinder, the
// personality routines, cleanup handlers and destructors it calls).
constexpr size_t kUnwindReserve = 16 * 1024;
constexpr int64_t kRetryNs = 1000 * 1000;

SpinLock list_lock;
G* list_head = nullptr;             // linked by G::acancel_next
std::atomic<int> nlisted{0};
int64_t last_retry_ns = 0;          // the monitor's

void unlink_locked(G* g) {
  for (G** pp = &list_head; *pp; pp = &(*pp)->acancel_next) {
    if (*pp != g) continue;
    *pp = g->acancel_next;
    g->acancel_listed.store(false, std::memory_order_seq_cst);
    nlisted.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
}

// Under list_lock: signals the M that runs g, if g runs.
void poke_locked(G* g) {
  if (g->status.load(std::memory_order_acquire) != kGRunning) return;
  M* m = g->m;  // M slots are never freed; a stale one only gets a poke that does nothing
  if (m) send_cancel_signal(m->ktid);
}

// Whether an instruction in libc is a system call the G sits at: about to
// make it (or made to restart it), or just back from it, interrupted.
bool at_system_call(uintptr_t ip, long rax) {
  auto* at = reinterpret_cast<const unsigned char*>(ip);
  if (at[0] == 0x0f && at[1] == 0x05) return true;
  return rax == -EINTR && at[-2] == 0x0f && at[-1] == 0x05;
}

bool safe_point(uintptr_t ip, long rax) {
  switch (code_of(ip)) {
    case CodeOf::kProgram:
      return true;
    case CodeOf::kLibc:
      return at_system_call(ip, rax);
    default:
      return false;
  }
}

// Room for the unwind below sp, when sp is on g's own stack (a stack weft
// did not make, such as a sigaltstack or the main thread's, is not known).
bool room_for_unwind(const G* g, uintptr_t sp) {
  return stack_room(g, sp, kRedZone + 16 + kUnwindReserve) != StackRoom::kFull;
}

}  // namespace

void async_cancel_request(G* g) {
  if (!cancel_bits::due_async(cancel_bits::load(g->tcb))) return;
  SpinLockGuard l(list_lock);
  if (!g->acancel_listed.load(std::memory_order_relaxed)) {
    g->acancel_next = list_head;
    list_head = g;
    nlisted.fetch_add(1, std::memory_order_relaxed);
    g->acancel_listed.store(true, std::memory_order_seq_cst);
  }
  if (cancel_bits::load(g->tcb) & cancel_bits::kExiting) {
    unlink_locked(g);
    return;
  }
  poke_locked(g);
}

void async_cancel_forget(G* g) {
  __atomic_fetch_or(cancel_bits::word(g->tcb), cancel_bits::kExiting, __ATOMIC_SEQ_CST);
  if (!g->acancel_listed.load(std::memory_order_seq_cst)) return;
  SpinLockGuard l(list_lock);
  if (g->acancel_listed.load(std::memory_order_relaxed)) unlink_locked(g);
}

void async_cancel_retry(int64_t now_ns) {
  if (nlisted.load(std::memory_order_relaxed) == 0 || now_ns - last_retry_ns < kRetryNs) return;
  last_retry_ns = now_ns;
  SpinLockGuard l(list_lock);
  for (G* g = list_head; g;) {
    G* next = g->acancel_next;
    // No longer asynchronous, or disabled: glibc itself acts when the
    // thread makes it due again (setcanceltype, setcancelstate, a
    // cancellable wrapper's switch to asynchronous).
    if (!cancel_bits::due_async(cancel_bits::load(g->tcb)))
      unlink_locked(g);
    else
      poke_locked(g);
    g = next;
  }
}

void async_cancel_forget_after_fork() {
  new (&list_lock) SpinLock();
  list_head = nullptr;
  nlisted.store(0, std::memory_order_relaxed);
  if (G* g = current_g()) g->acancel_listed.store(false, std::memory_order_relaxed);
}

namespace {
// Makes the interrupted code "call" weft_async_cancel (see the entry).
void divert(ucontext_t* uc) {
  greg_t* r = uc->uc_mcontext.gregs;
  uintptr_t sp = uintptr_t(r[REG_RSP]);
  auto* frame = reinterpret_cast<uintptr_t*>((sp - kRedZone - 16) & ~uintptr_t{15});
  frame[0] = uintptr_t(r[REG_RIP]);
  frame[1] = sp;
  r[REG_RSP] = greg_t(frame);
  r[REG_RIP] = greg_t(reinterpret_cast<uintptr_t>(&weft_async_cancel));
}
}  // namespace

void async_cancel_on_signal(ucontext_t* uc) {
  G* g = current_g();
  if (!g || g->is_g0 || g->status.load(std::memory_order_relaxed) != kGRunning) return;
  if (!cancel_bits::due_async(cancel_bits::load(g->tcb))) return;
  greg_t* r = uc->uc_mcontext.gregs;
  if (!safe_point(uintptr_t(r[REG_RIP]), long(r[REG_RAX])) ||
      !room_for_unwind(g, uintptr_t(r[REG_RSP])))
    return;
  divert(uc);
}

bool async_cancel_in_libc_call(ucontext_t* uc) {
  G* g = current_g();
  greg_t* r = uc->uc_mcontext.gregs;
  if (!cancel_bits::due_async(cancel_bits::load(g->tcb)) ||
      code_of(uintptr_t(r[REG_RIP])) != CodeOf::kLibc || !room_for_unwind(g, uintptr_t(r[REG_RSP])))
    return false;
  divert(uc);
  return true;
}

void async_cancel_point(G* self) {
  // glibc's pthread_testcancel acts on any due request: the result
  // (PTHREAD_CANCELED), EXITING, and the unwind to the thread's cleanup
  // handlers and first frame.
  if (self && cancel_bits::due_async(cancel_bits::load(self->tcb))) pthread_testcancel();
}

}  // namespace weft

extern "C" [[noreturn]] void weft_async_cancel_act() {
  pthread_testcancel();
  __builtin_trap();  // the request was due when the handler diverted the G
}
