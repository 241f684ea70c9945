// core/mthreads.cpp — Ms (kernel threads), idle Ps and spare Ps.
//
// Model. An M is a kernel thread made with glibc's pthread_create, so glibc
// knows it (TLS, set*id, signals). Making one allocates, so only a G makes
// one inline; a g0 (which holds a P and must not wait for the allocator's
// weft mutexes) and the monitor (which must never block) hand the request to
// the spawner, a kernel thread of its own that may block in the allocator
// without stopping anything else.
//
// Idle Ms sleep on park_word in sched.midle. startm pops one and hands it a
// P (nextp) under sched.lock, so an M whose sleep times out at that moment
// sees it was chosen. An idle M beyond the first kIdleReserve idle ones
// that stays idle for kIdleExitNs exits: its kernel thread ends and its
// slot of all_ms goes to sched.mfree once the thread no longer touches it.
// M0 (the process's main thread) never exits. At most sched.maxm Ms live
// at once (WEFT_MAX_THREADS); at the cap, a hand-off waits for an M to free
// up and one "weft:" line says so.
//
// Spare Ps are extra Ps lent by the monitor while an M holds a P but is
// stuck in the kernel out of weft's sight (core/monitor.cpp). A spare that
// runs out of work goes back to the spare list, not to the idle Ps: it
// exists only as long as it is needed.
//
// Everything named *_locked runs under sched.lock; nothing else is taken
// while it is held.
#include <errno.h>
#include <new>
#include <pthread.h>
#include <signal.h>

#include "core/real.h"
#include "core/sched_internal.h"
#include "core/stats.h"
#include "core/sys.h"
#include "core/tls.h"
#include "core/warn.h"

namespace weft {
namespace {

constexpr size_t kMStackSize = 256 * 1024;
constexpr int kIdleReserve = 1;  // idle Ms kept for quick hand-offs
constexpr int64_t kIdleExitNs = 2000000000;  // 2 s

void pidle_push_locked(P* p);  // below, with the idle Ps

// ---- idle and free Ms (under sched.lock) ------------------------------------

M* midle_get_locked() {
  M* m = sched.midle;
  if (!m) return nullptr;
  sched.midle = m->idle_next;
  sched.nmidle--;
  return m;
}

void midle_remove_locked(M* m) {
  for (M** pp = &sched.midle; *pp; pp = &(*pp)->idle_next) {
    if (*pp == m) {
      *pp = m->idle_next;
      sched.nmidle--;
      return;
    }
  }
}

// A slot for a new M, or nullptr at the cap.
M* mslot_get_locked() {
  if (sched.mcount.load(std::memory_order_relaxed) >= sched.maxm) return nullptr;
  M* m = sched.mfree;
  if (m) {
    sched.mfree = m->free_next;
  } else {
    if (sched.mslots >= kMaxMs) return nullptr;
    m = &all_ms[sched.mslots];
    m->id = sched.mslots++;
  }
  sched.mcount.fetch_add(1, std::memory_order_relaxed);
  return m;
}

void warn_m_cap() {
  static std::atomic<bool> warned{false};
  if (!warned.exchange(true))
    warn("the cap on kernel threads (WEFT_MAX_THREADS) is reached; threads blocked in the kernel "
         "now hold up others until one returns");
}

// ---- Ms -------------------------------------------------------------------

// The signal mask Ms start with: the one of the thread that first created a
// thread (the spawner itself blocks everything, and new threads inherit the
// creator's mask).
sigset_t m_signal_mask;

void* m_thread_main(void* arg) {
  sys::call6(SYS_rt_sigprocmask, SIG_SETMASK, long(&m_signal_mask), 0, 8);
  M* m = static_cast<M*>(arg);
  m->ktid = sys::gettid();
  m->g0.tcb = thread_pointer();
  m->native_robust_head = static_cast<char*>(m->g0.tcb) + tcb_off::kRobustHead;
  m->g0.m = m;
  m->g0.is_g0 = true;
  tcb_field<G*>(m->g0.tcb, tcb_off::kCurrentG) = &m->g0;
  m_loop(m);
  // Exiting (stopm): glibc's thread exit below runs as a plain native
  // thread; then the slot may be reused by the next M.
  tcb_field<G*>(m->g0.tcb, tcb_off::kCurrentG) = nullptr;
  m->g0.tcb = nullptr;  // glibc may give the TCB to its next thread (core/fork.cpp)
  SpinLockGuard l(sched.lock);
  m->free_next = sched.mfree;
  sched.mfree = m;
  return nullptr;
}

}  // namespace

using CreateFn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);

void block_signals() {
  // sigfillset leaves out glibc's SIGCANCEL and SIGSETXID: set*id() must
  // still reach these kernel threads.
  sigset_t all;
  sigfillset(&all);
  sys::call6(SYS_rt_sigprocmask, SIG_BLOCK, long(&all), 0, 8);
}

bool create_kernel_thread(void* (*fn)(void*), void* arg, size_t stack) {
  static CreateFn real_create = real<CreateFn>("pthread_create");
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  // glibc carves the static TLS out of the requested size (EINVAL if it
  // does not fit), and a program's may be larger than the stack we need.
  pthread_attr_setstacksize(&attr, stack + tls_layout.static_size);
  pthread_t t;
  int err = real_create(&t, &attr, fn, arg);
  pthread_attr_destroy(&attr);
  return err == 0;
}

namespace {

// Starts a new kernel thread that begins with p (and spinning, if asked).
bool newm(P* p, bool spinning) {
  M* m;
  {
    SpinLockGuard l(sched.lock);
    m = mslot_get_locked();
  }
  if (!m) {
    warn_m_cap();
    return false;
  }
  int id = m->id;
  new (m) M();
  m->id = id;
  m->nextp = p;
  m->spinning = spinning;
  if (create_kernel_thread(m_thread_main, m, kMStackSize)) {
    stat_add(kStatMsCreated);
    stat_peak(kStatMsPeak, sched.mcount.load(std::memory_order_relaxed));
    return true;
  }
  SpinLockGuard l(sched.lock);
  sched.mcount.fetch_sub(1, std::memory_order_relaxed);
  m->free_next = sched.mfree;
  sched.mfree = m;
  return false;
}

// ---- the spawner ------------------------------------------------------------

std::atomic<uint32_t> spawn_word{0};  // Ms asked for and not yet made
std::atomic<bool> spawner_running{false};

}  // namespace

void give_back(P* p, bool spinning) {
  {
    SpinLockGuard l(sched.lock);
    pidle_push_locked(p);
  }
  if (spinning) sched.nmspinning.fetch_sub(1, std::memory_order_relaxed);
}

namespace {

// Makes the Ms asked for: for Ps that need one, and one ahead each time
// the idle reserve is used (and at start), since making a kernel thread
// takes the loader's TLS lock and allocates, and the G holding one of those
// may be just what a P waiting for an M must run. New Ms start without a P
// (a P waiting for one stays idle meanwhile) and take an idle P if work is
// still there (find_runnable).
void* spawner_main(void*) {
  block_signals();
  for (;;) {
    if (!spawn_word.load(std::memory_order_acquire)) {
      sys::futex_wait(reinterpret_cast<uint32_t*>(&spawn_word), 0, nullptr);
      continue;
    }
    bool made = newm(nullptr, false);
    spawn_word.fetch_sub(1, std::memory_order_release);
    if (!made) spawn_word.store(0, std::memory_order_relaxed);  // at the cap: asked again later
  }
}

// Asks the spawner for one more M (the idle reserve ran out).
void request_reserve_m() {
  if (!spawner_running.load(std::memory_order_acquire)) return;
  spawn_word.fetch_add(1, std::memory_order_release);
  sys::futex_wake(reinterpret_cast<uint32_t*>(&spawn_word), 1);
}

// Gives p back to the idle list and asks the spawner for an M to take it,
// unless as many are on the way as there are idle Ps.
bool request_m(P* p, bool spinning) {
  if (!spawner_running.load(std::memory_order_acquire)) return false;
  give_back(p, spinning);
  if (spawn_word.load(std::memory_order_relaxed) >=
      uint32_t(sched.npidle.load(std::memory_order_relaxed)))
    return true;
  spawn_word.fetch_add(1, std::memory_order_release);
  sys::futex_wake(reinterpret_cast<uint32_t*>(&spawn_word), 1);
  return true;
}

}  // namespace

void mthreads_forget_after_fork() {
  spawn_word.store(0, std::memory_order_relaxed);
  spawner_running.store(false, std::memory_order_relaxed);
}

bool start_m_spawner() {
  sys::call6(SYS_rt_sigprocmask, SIG_BLOCK, 0, long(&m_signal_mask), 8);
  if (!create_kernel_thread(spawner_main, nullptr, kMStackSize)) return false;
  // The first reserve M is made here, before the first thread exists: no G
  // can hold the loader's locks yet. Later ones come while the reserve is
  // in use, so a G holding them still finds an M.
  for (int i = 0; i < kIdleReserve; i++) newm(nullptr, false);
  spawner_running.store(true, std::memory_order_release);
  return true;
}

// ---- idle Ps ----------------------------------------------------------------

namespace {
// Onto the idle list, a lent spare too (it waits there for the M asked for
// it, and goes back to the spares when an M next finds nothing for it).
void pidle_push_locked(P* p) {
  p->m = nullptr;
  p->status.store(kPIdle, std::memory_order_relaxed);
  p->idle_next = sched.pidle;
  sched.pidle = p;
  sched.npidle.fetch_add(1, std::memory_order_release);
}
}  // namespace

void pidle_put_locked(P* p) {
  if (p->spare) {
    p->m = nullptr;
    p->status.store(kPSpareIdle, std::memory_order_relaxed);
    p->idle_next = sched.spare_idle;
    sched.spare_idle = p;
    sched.nspare_lent.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  pidle_push_locked(p);
}

P* pidle_get_locked() {
  P* p = sched.pidle;
  if (!p) return nullptr;
  sched.pidle = p->idle_next;
  sched.npidle.fetch_sub(1, std::memory_order_release);
  p->status.store(kPRunning, std::memory_order_relaxed);
  return p;
}

P* spare_get_locked() {
  P* p = sched.spare_idle;
  if (p) {
    sched.spare_idle = p->idle_next;
  } else {
    int n = sched.nallp.load(std::memory_order_relaxed);
    if (n >= kMaxAllP) return nullptr;
    p = &all_ps[n];
    p->id = n;
    p->spare = true;
    sched.allp[n] = p;
    sched.nallp.store(n + 1, std::memory_order_release);
  }
  sched.nspare_lent.fetch_add(1, std::memory_order_relaxed);
  stat_add(kStatSpareLent);
  p->status.store(kPRunning, std::memory_order_relaxed);
  return p;
}

void acquirep(M* m, P* p) {
  m->p = p;
  p->m = m;
  p->status.store(kPRunning, std::memory_order_relaxed);
}

// ---- handing Ps to Ms -------------------------------------------------------

void startm(P* p, bool spinning) {
  sched.lock.lock();
  if (!p) {
    p = pidle_get_locked();
    if (!p) {
      sched.lock.unlock();
      if (spinning) sched.nmspinning.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
  }
  M* m = midle_get_locked();
  bool reserve_used = m && sched.nmidle < kIdleReserve;
  if (m) {
    m->spinning = spinning;
    m->nextp = p;
    m->park_word.store(1, std::memory_order_release);
  }
  sched.lock.unlock();
  if (m) {
    sys::futex_wake(reinterpret_cast<uint32_t*>(&m->park_word), 1);
    if (reserve_used) request_reserve_m();
    return;
  }
  // Only the spawner makes Ms: a G may get here from inside the allocator
  // (a mutex unlock's wake), and making a kernel thread allocates.
  if (request_m(p, spinning)) return;
  // No kernel thread to be had: the Gs run when an M frees up.
  give_back(p, spinning);
}

void wakep() {
  if (sched.npidle.load(std::memory_order_acquire) == 0) return;
  int32_t expected = 0;
  if (!sched.nmspinning.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) return;
  startm(nullptr, true);
}

void stop_spinning(M* m) {
  if (!m->spinning) return;
  m->spinning = false;
  // The last spinner to find work makes sure another looks for more.
  if (sched.nmspinning.fetch_sub(1, std::memory_order_acq_rel) == 1) wakep();
}

void handoffp(P* p) {
  for (;;) {
    if (!runq_empty(p) || sched.gq_size.load(std::memory_order_acquire) ||
        p->timer_next.load(std::memory_order_acquire) != INT64_MAX) {
      p->status.store(kPRunning, std::memory_order_relaxed);
      startm(p, false);
      return;
    }
    // Idle only if the global queue is still empty under the lock: a G
    // queued there before saw no idle P to wake (its wakep came too early).
    SpinLockGuard l(sched.lock);
    if (sched.gq_size.load(std::memory_order_relaxed) == 0) {
      pidle_put_locked(p);
      return;
    }
  }
}

void retire_m(M* m) {
  m->retire = false;
  if (P* p = m->p) {
    m->p = nullptr;
    p->m = nullptr;
    handoffp(p);
  }
  sched.mcount.fetch_sub(1, std::memory_order_relaxed);
  stat_add(kStatMsExited);
}

StopResult stopm(M* m, int64_t deadline_ns) {
  {
    SpinLockGuard l(sched.lock);
    m->park_word.store(0, std::memory_order_relaxed);
    m->idle_next = sched.midle;
    sched.midle = m;
    sched.nmidle++;
  }
  // Idle since it last ran a G, across the timer wake-ups in between.
  if (!m->idle_since) m->idle_since = sys::now_ns();
  int64_t& idle_since = m->idle_since;
  for (;;) {
    if (m->park_word.load(std::memory_order_acquire)) break;
    int64_t until = deadline_ns;
    bool may_exit = m != &all_ms[0];
    if (may_exit && idle_since + kIdleExitNs < until) until = idle_since + kIdleExitNs;
    timespec ts;
    if (until != INT64_MAX) ts = sys::ns_to_timespec(until);
    long r = sys::futex_wait(reinterpret_cast<uint32_t*>(&m->park_word), 0,
                             until == INT64_MAX ? nullptr : &ts);
    if (r != -ETIMEDOUT) continue;
    SpinLockGuard l(sched.lock);
    if (m->park_word.load(std::memory_order_acquire)) break;  // handed a P meanwhile
    if (until == deadline_ns) {
      midle_remove_locked(m);
      return StopResult::kTimedOut;
    }
    if (sched.nmidle > kIdleReserve) {
      midle_remove_locked(m);
      sched.mcount.fetch_sub(1, std::memory_order_relaxed);
      stat_add(kStatMsExited);
      return StopResult::kExit;
    }
    idle_since = sys::now_ns();  // part of the reserve: keep waiting
  }
  m->p = nullptr;
  acquirep(m, m->nextp);
  m->nextp = nullptr;
  return StopResult::kHanded;
}

}  // namespace weft
