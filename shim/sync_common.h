// shim/sync_common.h — helpers shared by the synchronization shims.
//
// Model: every object keeps glibc 2.36's size and field layout, so the
// shims touch glibc's plain `int`/`unsigned` fields with __atomic builtins
// (sequentially consistent read-modify-writes: free on x86-64, and they make
// the Dekker-style "register, then re-check" handshakes below obviously
// correct). All blocking goes through weft::futex_wait, which parks a G and
// puts a non-G caller in the kernel; nothing here allocates.
#pragma once
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "core/blocking.h"
#include "core/cancel_bits.h"
#include "core/futex.h"
#include "core/preempt.h"
#include "core/prio_runq.h"
#include "core/real.h"
#include "core/self.h"
#include "core/signal.h"

// Exports `name` as a second symbol for `target` (defined in the same file):
// the names glibc keeps only for old binaries (__pthread_mutex_lock,
// pthread_mutex_consistent_np, ...). Written with an asm label because
// <pthread.h> #defines some of those names to the current ones.
#define WEFT_EXPORT_ALIAS(target, name)                                      \
  extern "C" __attribute__((visibility("default"), alias(#target), copy(target))) \
  decltype(target) weft_alias_##name __asm__(#name)

namespace weft::sync {

template <class T>
inline T load(const T* p) {
  return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
template <class T>
inline T load_relaxed(const T* p) {
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}
template <class T>
inline void store(T* p, T v) {
  __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
template <class T>
inline void store_relaxed(T* p, T v) {
  __atomic_store_n(p, v, __ATOMIC_RELAXED);
}
// Strong CAS; on failure `expected` receives the current value.
template <class T>
inline bool cas(T* p, T& expected, T desired) {
  return __atomic_compare_exchange_n(p, &expected, desired, false,
                                     __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}
template <class T>
inline T exchange(T* p, T v) {
  return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}
template <class T>
inline T fetch_add(T* p, T v) {
  return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
template <class T>
inline T fetch_sub(T* p, T v) {
  return __atomic_fetch_sub(p, v, __ATOMIC_SEQ_CST);
}
template <class T>
inline T fetch_or(T* p, T v) {
  return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST);
}

inline void cpu_relax() { __builtin_ia32_pause(); }

// The futex word behind one of glibc's int/unsigned fields.
template <class T>
inline const uint32_t* word(const T* p) {
  static_assert(sizeof(T) == 4);
  return reinterpret_cast<const uint32_t*>(p);
}

inline bool valid_nsec(long ns) { return static_cast<unsigned long>(ns) < 1000000000ul; }

// The clocks glibc accepts for absolute futex timeouts (*_clocklock,
// *_clockwait, sem_clockwait, pthread_condattr_setclock).
inline bool futex_clock_ok(clockid_t c) {
  return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC;
}

// Deadlines at or beyond this (~2242 CE, or ~270 years of uptime) never
// come in practice; they are treated as "no deadline" (or clamped, for
// sleeps) so that nanosecond arithmetic on them cannot overflow.
inline constexpr time_t kFarFuture = time_t{1} << 33;

// Waits while *w == v, until `abs` (nullptr: forever). glibc returns
// ETIMEDOUT for a negative tv_sec without asking the kernel (which rejects
// it), so do the same before handing a deadline to core. The caller has
// checked tv_nsec.
inline int wait(const void* w, uint32_t v, const timespec* abs, clockid_t clk,
                bool pshared) {
  if (abs != nullptr && abs->tv_sec < 0) return ETIMEDOUT;
  if (abs != nullptr && abs->tv_sec >= kFarFuture) abs = nullptr;
  return futex_wait(static_cast<const uint32_t*>(w), v, abs, clk, pshared);
}

// Wakes up to n waiters; a woken thread of a higher real-time priority than
// the caller runs before wake returns, as on a kernel that preempts at once.
inline int wake(const void* w, int n, bool pshared) {
  int woken = futex_wake(static_cast<const uint32_t*>(w), n, pshared);
  preempt_point(current_g());
  return woken;
}

// A request a cancellation point acts upon (core/cancel_bits.h).
inline bool cancel_pending() { return cancel_bits::due(cancel_bits::load(thread_pointer())); }

// A cancellation point: acts on a pending request (unwinds) or returns.
inline void cancel_point() { pthread_testcancel(); }

// In a wait that is not a cancellation point (a lock, a yield): a thread
// with asynchronous cancellation acts on its request here, as NPTL's
// SIGCANCEL handler would have unwound it from its wait. The lock paths call
// it before they wait (a request made earlier, whose interruption a switch
// meanwhile consumed) and when a wait was interrupted (pthread_cancel
// interrupts the wait), with nothing of the lock held or registered.
inline bool async_cancel_pending() {
  return cancel_bits::due_async(cancel_bits::load(thread_pointer()));
}
inline void async_cancel_point() {
  if (async_cancel_pending()) pthread_testcancel();
}
// Whether the code that called an entry point (its return address) is the
// program's: a lock wait acts on asynchronous cancellation only then, never
// when weft's allocator, the loader or libc took the lock for themselves
// (an unwind would leave their other locks and state behind).
inline bool called_by_program(const void* ret) {
  return code_of(reinterpret_cast<uintptr_t>(ret)) == CodeOf::kProgram;
}

// Whether the park self just came back from was ended by a signal, not only
// by pthread_cancel's interruption (core/signal.h): a wait that is no
// cancellation point goes on after the latter, as natively, where a
// deferred request sends no signal. A caller that is not a G waits in the
// kernel, where only signals interrupt.
inline bool woken_by_signal(const G* self) {
  if (!self || self->is_g0) return true;
  return self->raised_signals != 0;
}

// Brackets the blocking wait inside a cancellation point (cond_wait,
// sem_wait, nanosleep...). NPTL lets pthread_cancel interrupt a native
// thread blocked in the kernel by switching it to asynchronous cancellation
// around the system call (pthread_cancel then signals it and the handler
// unwinds at once); this does the same for a non-G caller, so the caller
// must have pushed its cleanup first. A G is never signalled: the runtime
// marks it cancelled and wakes it, and the caller checks cancel_pending().
class AsyncCancelScope {
 public:
  AsyncCancelScope() : native_(current_g() == nullptr) {
    if (native_) pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old_);
  }
  ~AsyncCancelScope() {
    if (native_) pthread_setcanceltype(old_, &old_);
  }
  AsyncCancelScope(const AsyncCancelScope&) = delete;
  AsyncCancelScope& operator=(const AsyncCancelScope&) = delete;

 private:
  bool native_;
  int old_ = PTHREAD_CANCEL_DEFERRED;
};

// libc's definition of `name`, looked up once. A plain atomic slot instead of
// a function-local static: no guard variable, no lock, and racing first
// callers just store the same pointer.
template <class Fn>
inline Fn real_cached(Fn* slot, const char* name) {
  Fn f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if (f == nullptr) {
    f = real<Fn>(name);
    __atomic_store_n(slot, f, __ATOMIC_RELEASE);
  }
  return f;
}

// Runs libc's `name` (looked up once into *slot) as a blocking system call:
// glibc's own functions for process-shared objects and clocks weft does not
// serve may sleep in the kernel, so the G's P goes to another M meanwhile.
template <class Fn, class... Args>
inline auto call_real_blocking(Fn* slot, const char* name, Args... args) {
  BlockingSyscallScope blocking;
  return real_cached(slot, name)(args...);
}

}  // namespace weft::sync
