// core/monitor.cpp — the monitor (Go's sysmon): a kernel thread without a P
// that keeps the scheduler live where no M can.
//
// Model. It wakes every 20 us, backing off while it finds nothing to do, to
// 1 ms while any P is busy and to 10 ms while all are idle, and samples each P's progress counters (P::schedtick,
// P::syscalltick) into its own table (samples[], touched by nobody else):
// - A P in a system call (kPSyscall) whose call was already running at the
//   previous sample is retaken and handed on (core/handoff.cpp) if anything
//   could use it: queued Gs or timers, or nobody idle or spinning to run
//   the global queue; any such P is retaken after 10 ms (Go's retake).
// - A P whose M made no scheduling progress for kStuckNs (1 ms) while
//   work waits for it (queued Gs, due timers, or a global queue that no idle
//   P can take) is stuck if its kernel thread sleeps in the kernel other
//   than for one of weft's own locks (M::runtime_sleeps): state S in
//   /proc/self/task/TID/stat, or D for kStuckDiskNs (20 ms; mmap_lock waits
//   in a storm of thread creations are D too). That is an inline system
//   call in the program or a library, glibc's internal locks (stdio's FILE
//   locks, the loader's lock), a slow page fault. The monitor moves that P's
//   queued Gs to the global queue (the thieves' side of the run-queue
//   protocol: the stuck M keeps its P and finds it as it left it, minus
//   those Gs), fires its due timers, and lends a spare P (core/mthreads.cpp)
//   so the work runs on another M. One spare at a time per stall, lent again
//   once it went back for want of work. A kernel thread that is running is
//   not stuck: a G that computes without yielding is for preemption.
// - A P whose M runs the same G on the CPU for a time slice while work
//   waits gets that G preempted (core/preempt.cpp); its M then runs the
//   P's due timers at the switch.
// - Timers more than 1 ms late fire here when no M of theirs will run them
//   soon: the P is idle, a spare, in a system call, or preemption is off;
//   their Gs go to the global queue.
// - If Gs wait on descriptors and nobody polled for 10 ms, it polls.
// - Gs with an asynchronous cancellation not acted upon yet have their M
//   signalled again every millisecond (core/async_cancel.h).
// Reaction time: a blocked system call loses its P after one to two
// monitor periods (40 us when the monitor is busy, up to 2 ms when it has
// backed off); a stuck M is noticed after 1 ms plus up to a period.
// The monitor never allocates and never blocks on a lock a G may hold: new
// Ms come from the spawner.
#include "core/monitor.h"

#include <fcntl.h>

#include "core/async_cancel.h"
#include "core/netpoll.h"
#include "core/preempt.h"
#include "core/prio_runq.h"
#include "core/sched_internal.h"
#include "core/sys.h"
#include "core/timer_heap.h"
#include "core/warn.h"

namespace weft {
namespace {

constexpr int64_t kMinDelayNs = 20 * 1000;
constexpr int64_t kMaxDelayNs = 10 * 1000 * 1000;     // every P idle
constexpr int64_t kMaxBusyDelayNs = 1000 * 1000;      // some P busy
constexpr int kIdleRoundsBeforeBackoff = 50;
constexpr int64_t kRetakeAnywayNs = 10 * 1000 * 1000;
constexpr int64_t kNetpollEveryNs = 10 * 1000 * 1000;
// An M asleep in the kernel for less than this may be waiting for one of
// weft's own short locks or the kernel's (mmap_lock under a storm of thread
// creations): not worth a spare P, which would itself soon wait the same.
constexpr int64_t kStuckNs = 1000 * 1000;
constexpr int64_t kStuckDiskNs = 20 * 1000 * 1000;
constexpr int64_t kPreemptRetryNs = 1000 * 1000;
// A timer this late has no M to run it (its P's M is busy or stuck, or the
// P is idle or a spare with no M): the monitor fires it.
constexpr int64_t kTimerLateNs = 1000 * 1000;

struct Sample {
  uint32_t schedtick = 0;
  int64_t progress_at = 0;  // when schedtick was last seen to change
  uint32_t syscalltick = 0;
  int64_t syscall_since = 0;
  P* lent = nullptr;  // the spare lent for the current stall
  int64_t preempt_sent = 0;
};
Sample samples[kMaxAllP];

// The state letter of kernel thread `tid` of this process in
// /proc/self/task/TID/stat (R running, S sleeping, D uninterruptible...),
// or 0 if it cannot be read.
char task_state(int tid) {
  char path[48] = "/proc/self/task/";
  char digits[12];
  int n = 0;
  for (unsigned v = unsigned(tid); v; v /= 10) digits[n++] = char('0' + v % 10);
  size_t len = 16;
  while (n) path[len++] = digits[--n];
  for (const char* s = "/stat"; *s; s++) path[len++] = *s;
  path[len] = 0;
  long fd = sys::call6(SYS_openat, AT_FDCWD, long(path), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[256];
  long got = sys::call6(SYS_read, fd, long(buf), sizeof buf - 1);
  sys::call6(SYS_close, fd);
  if (got <= 0) return 0;
  // "tid (comm) S ...": the comm may hold spaces and parentheses.
  const char* close = nullptr;
  for (long i = 0; i < got; i++)
    if (buf[i] == ')') close = buf + i;
  if (!close || close + 2 >= buf + got) return 0;
  return close[2];
}

P* lend_spare() {
  P* p;
  {
    SpinLockGuard l(sched.lock);
    p = spare_get_locked();
  }
  if (!p) {
    static bool warned = false;
    if (!warned) {
      warned = true;
      warn("too many threads stuck in the kernel where weft cannot see them; the others wait");
    }
    return nullptr;
  }
  startm(p, false);
  return p;
}

bool check_syscall(P* p, Sample& s, int64_t now) {
  uint32_t t = p->syscalltick.load(std::memory_order_relaxed);
  if (t != s.syscalltick) {
    s.syscalltick = t;
    s.syscall_since = now;
    return false;
  }
  bool someone_idle = sched.nmspinning.load(std::memory_order_relaxed) +
                          sched.npidle.load(std::memory_order_relaxed) > 0;
  if (runq_empty(p) && p->timer_next.load(std::memory_order_relaxed) == INT64_MAX &&
      someone_idle && now - s.syscall_since < kRetakeAnywayNs)
    return false;
  return retake_syscall_p(p);
}

// The M runs the same G on the CPU for a whole slice while work waits:
// ask for it to be switched out, at most once per kPreemptRetryNs (a G
// interrupted inside the runtime is left alone and asked again).
bool maybe_preempt(P* p, M* m, Sample& s, uint32_t tick, int64_t now) {
  int64_t slice = preempt_slice_ns();
  if (!slice || now - s.progress_at < slice || now - s.preempt_sent < kPreemptRetryNs) return false;
  s.preempt_sent = now;
  preempt_request(p, m, tick);
  return true;
}

bool check_running(P* p, Sample& s, int64_t now) {
  uint32_t t = p->schedtick.load(std::memory_order_relaxed);
  if (t != s.schedtick) {
    s.schedtick = t;
    s.progress_at = now;
    s.lent = nullptr;
    return false;
  }
  bool work_waits = !runq_empty(p) || p->timer_next.load(std::memory_order_relaxed) <= now ||
                    ((sched.gq_size.load(std::memory_order_relaxed) || rt_waiting()) &&
                     sched.npidle.load(std::memory_order_relaxed) == 0);
  if (!work_waits) return false;
  M* m = p->m;
  if (now - s.progress_at < kStuckNs || !m || m->runtime_sleeps.load(std::memory_order_relaxed))
    return false;
  char state = task_state(m->ktid);
  if (state == 'R') return maybe_preempt(p, m, s, t, now);
  // Asleep: 'S' waits for an event (an inline futex wait, a read); 'D' is
  // uninterruptible (disk, a fault on a slow file, but also mmap_lock in a
  // storm of thread creations), so it must last longer to count.
  int64_t stuck_after = state == 'S' ? kStuckNs : state == 'D' ? kStuckDiskNs : INT64_MAX;
  if (now - s.progress_at < stuck_after) return false;
  // The stuck M may wake, queue more work and sleep again without ever
  // switching: drain at every sample, lend again once the spare is back.
  runq_drain_to_global(p);
  run_timers(p, now);
  if (s.lent && s.lent->status.load(std::memory_order_relaxed) != kPSpareIdle) return true;
  if (sched.npidle.load(std::memory_order_relaxed) == 0 &&
      sched.nmspinning.load(std::memory_order_relaxed) == 0)
    s.lent = lend_spare();
  else
    wakep();
  return true;
}

void* monitor_main(void*) {
  block_signals();
  int64_t delay = kMinDelayNs;
  int idle_rounds = 0;
  for (;;) {
    timespec ts = sys::ns_to_timespec(delay);
    sys::call6(SYS_nanosleep, long(&ts), 0);
    int64_t now = sys::now_ns();
    bool acted = false;
    bool busy = false;  // some P runs Gs or a system call
    for (int i = 0, n = sched.nallp.load(std::memory_order_acquire); i < n; i++) {
      P* p = sched.allp[i];
      uint32_t status = p->status.load(std::memory_order_acquire);
      // A running P's own M runs its timers at its next switch, into
      // runnext (soon: preemption forces one); others need the monitor.
      if ((status != kPRunning || !preempt_slice_ns()) &&
          p->timer_next.load(std::memory_order_relaxed) <= now - kTimerLateNs) {
        run_timers(p, now);
        acted = true;
      }
      switch (status) {
        case kPSyscall: busy = true; acted |= check_syscall(p, samples[i], now); break;
        case kPRunning: busy = true; acted |= check_running(p, samples[i], now); break;
        default: samples[i].lent = nullptr; break;
      }
    }
    // Work queued with an idle P and nobody looking: its wakep came too
    // early or found no kernel thread to be had.
    if (sched.gq_size.load(std::memory_order_relaxed) && sched.npidle.load(std::memory_order_relaxed) &&
        !sched.nmspinning.load(std::memory_order_relaxed)) {
      wakep();
      acted = true;
    }
    // Signals for Gs that were in weft's own code when their M was poked.
    for (int i = 0, n = sched.mslots; i < n; i++)
      if (all_ms[i].poke_pending.load(std::memory_order_relaxed)) poke_m(&all_ms[i]);
    if (netpoll_has_waiters() && now - netpoll_last_poll_ns() >= kNetpollEveryNs)
      acted |= netpoll_poll(0) > 0;
    async_cancel_retry(now);
    if (acted) {
      delay = kMinDelayNs;
      idle_rounds = 0;
    } else if (++idle_rounds > kIdleRoundsBeforeBackoff) {
      int64_t most = busy ? kMaxBusyDelayNs : kMaxDelayNs;
      delay = delay * 2 < most ? delay * 2 : most;
    }
  }
}

std::atomic<bool> started{false};

}  // namespace

bool start_monitor() {
  constexpr size_t kStack = 64 * 1024;
  if (started.load(std::memory_order_relaxed) || started.exchange(true, std::memory_order_relaxed))
    return true;
  bool spawner = start_m_spawner();
  return create_kernel_thread(monitor_main, nullptr, kStack) && spawner;
}

bool monitor_started() { return started.load(std::memory_order_relaxed); }

void monitor_forget_after_fork() {
  started.store(false, std::memory_order_relaxed);
  for (Sample& s : samples) s = Sample();
}

}  // namespace weft
