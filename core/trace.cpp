// core/trace.cpp — WEFT_DEBUG (interface in core/trace.h), in the spirit of
// Go's GODEBUG=schedtrace,scheddetail.
//
// Model. With schedtrace=MS a kernel thread of its own (the tracer; not the
// monitor, because the tracer may block on locks and must not delay what the
// monitor does) wakes every MS milliseconds and prints one SCHED line to
// stderr, and with scheddetail=1 one line per P, per M and per G (the first
// kDetailLines of each, oldest first). It reads the scheduler without
// stopping it, so a line is a snapshot that may be off by what moved
// meanwhile, never a wrong pointer:
// - Ps and Ms live in fixed arrays (all_ps, all_ms) that are never freed;
//   the idle and free M lists are read under sched.lock, briefly.
// - Gs: weft keeps no list of its own. glibc's thread lists link every live
//   G's TCB (for_each_linked_g, core/tls.h), and a G on them cannot finish
//   exiting while their lock is held: the first kDetailLines Gs' fields are
//   copied out under that lock (relaxed loads: they may be changing), the
//   rest only counted (core/stats.h), and start functions are named after
//   it is released, because dladdr takes ld.so's lock, which dlopen holds
//   while it takes the lists' lock.
// The tracer blocks every signal, so no handler of the program runs on it.
// stats prints the counters of core/stats.h at exit, from a destructor of
// libweft.so (which runs after the program's: it is linked -z initfirst); a
// process that ends in _exit or a fatal signal prints none.
#include "core/trace.h"

#include <dlfcn.h>
#include <signal.h>
#include <string.h>

#include "core/sched_internal.h"
#include "core/stats.h"
#include "core/sys.h"
#include "core/tls.h"
#include "core/warn.h"

namespace weft {
namespace {

constexpr int kDetailLines = 64;   // Ps, Ms and Gs listed per trace
constexpr size_t kTracerStack = 128 * 1024;
constexpr int64_t kMaxPeriodMs = 3600 * 1000;

// Written by debug_configure before any thread exists, then only read.
int64_t period_ns = 0;  // schedtrace; 0: off
bool detail = false;    // scheddetail
bool print_stats = false;
int64_t start_ns = 0;
std::atomic<bool> tracer_started{false};

// One "weft: " line, written with one write(2): lines up to PIPE_BUF bytes
// do not interleave with other writers' on a pipe. Longer ones are cut.
class Line {
 public:
  Line() { put("weft: "); }
  Line& put(const char* s) {
    while (*s && n_ < kMax) buf_[n_++] = *s++;
    return *this;
  }
  Line& num(int64_t v) {
    char d[24];
    int k = 0;
    uint64_t u = v < 0 ? 0 - uint64_t(v) : uint64_t(v);
    do d[k++] = char('0' + u % 10);
    while (u /= 10);
    if (v < 0) d[k++] = '-';
    while (k && n_ < kMax) buf_[n_++] = d[--k];
    return *this;
  }
  Line& hex(uintptr_t v) {
    put("0x");
    int shift = 60;
    while (shift > 0 && !(v >> shift)) shift -= 4;
    for (; shift >= 0 && n_ < kMax; shift -= 4) buf_[n_++] = "0123456789abcdef"[(v >> shift) & 15];
    return *this;
  }
  void emit() {
    buf_[n_++] = '\n';
    sys::write(2, buf_, n_);
  }

 private:
  static constexpr size_t kMax = 4095;  // and the newline
  char buf_[kMax + 1];
  size_t n_ = 0;
};

// Reads a field another thread may be writing (a snapshot, never torn).
template <class T>
T peek(const T& field) {
  return __atomic_load_n(&field, __ATOMIC_RELAXED);
}

uint32_t runq_length(P* p) {
  uint32_t h = p->runq_head.load(std::memory_order_acquire);
  uint32_t t = p->runq_tail.load(std::memory_order_acquire);
  uint32_t n = t - h > kRunqSize ? 0 : t - h;  // raced with a pop
  return n + (p->runnext.load(std::memory_order_relaxed) ? 1 : 0);
}

// ---- the SCHED line -----------------------------------------------------------

void print_sched(int64_t now) {
  int32_t idle_ms;
  {
    SpinLockGuard l(sched.lock);
    idle_ms = sched.nmidle;
  }
  int n = sched.nallp.load(std::memory_order_acquire);
  int in_syscall = 0;
  for (int i = 0; i < n; i++) in_syscall += sched.allp[i]->status.load(std::memory_order_relaxed) == kPSyscall;
  Line l;
  l.put("SCHED ").num((now - start_ns) / 1000000).put("ms: procs=").num(sched.nprocs);
  l.put(" idleprocs=").num(sched.npidle.load(std::memory_order_relaxed));
  l.put(" ms=").num(sched.mcount.load(std::memory_order_relaxed));
  l.put(" spinningms=").num(sched.nmspinning.load(std::memory_order_relaxed));
  l.put(" idlems=").num(idle_ms);
  l.put(" syscallprocs=").num(in_syscall);
  l.put(" sparelent=").num(sched.nspare_lent.load(std::memory_order_relaxed));
  l.put(" gs=").num(stat_threads_alive());
  l.put(" runqueue=").num(sched.gq_size.load(std::memory_order_relaxed)).put(" [");
  for (int i = 0; i < n; i++) {
    if (i) l.put(" ");
    l.num(runq_length(sched.allp[i]));
  }
  l.put("]").emit();
}

// ---- scheddetail ---------------------------------------------------------------

const char* p_status_name(uint32_t s) {
  switch (s) {
    case kPIdle: return "idle";
    case kPRunning: return "running";
    case kPSyscall: return "syscall";
    case kPSpareIdle: return "spareidle";
  }
  return "?";
}

void print_ps() {
  int n = sched.nallp.load(std::memory_order_acquire);
  for (int i = 0; i < n && i < kDetailLines; i++) {
    P* p = sched.allp[i];
    M* m = peek(p->m);
    Line l;
    l.put("  P").num(p->id).put(": status=").put(p_status_name(p->status.load(std::memory_order_relaxed)));
    l.put(" m=").num(m ? m->id : -1).put(" runqsize=").num(runq_length(p));
    l.put(" timers=").num(peek(p->timer_len));
    l.put(" schedtick=").num(p->schedtick.load(std::memory_order_relaxed));
    l.put(" syscalltick=").num(p->syscalltick.load(std::memory_order_relaxed));
    l.put(" freegs=").num(peek(p->nfree));
    if (p->spare) l.put(" spare");
    l.emit();
  }
  if (n > kDetailLines) Line().put("  ... ").num(n - kDetailLines).put(" more Ps").emit();
}

enum MSlot : uint8_t { kMLive, kMIdle, kMFree };
MSlot m_slots[kMaxMs];  // the tracer's alone

void print_ms() {
  int32_t slots;
  {
    SpinLockGuard l(sched.lock);
    slots = sched.mslots;
    memset(m_slots, kMLive, size_t(slots));
    for (M* m = sched.midle; m; m = m->idle_next) m_slots[m->id] = kMIdle;
    for (M* m = sched.mfree; m; m = m->free_next) m_slots[m->id] = kMFree;
  }
  int listed = 0, more = 0;
  for (int i = 0; i < slots; i++) {
    if (m_slots[i] == kMFree) continue;
    if (listed == kDetailLines) {
      more++;
      continue;
    }
    listed++;
    M& m = all_ms[i];
    P* p = peek(m.p);
    Line l;
    l.put("  M").num(i).put(": p=").num(p ? p->id : -1);
    l.put(" spinning=").num(peek(m.spinning)).put(" idle=").num(m_slots[i] == kMIdle);
    l.put(" ktid=").num(peek(m.ktid)).emit();
  }
  if (more) Line().put("  ... ").num(more).put(" more Ms").emit();
}

// What a G line shows, copied out under the thread lists' lock.
struct GInfo {
  int id;  // the tid glibc keeps in its TCB: a mutex's owner field names it
  uint32_t status;
  int m;
  void* fn;
  bool is_main;
  const void* futex;
  bool timer;
  int64_t timer_when;
  int32_t poll_fd, poll_nfds;
  char name[16];
};

struct GSample {
  GInfo g[kDetailLines];
  int n = 0;
};

bool sample_g(G* g, void* arg) {
  auto* s = static_cast<GSample*>(arg);
  GInfo& i = s->g[s->n++];
  i.id = peek(tcb_field<int>(g->tcb, tcb_off::kTid));
  i.status = g->status.load(std::memory_order_relaxed);
  M* m = peek(g->m);
  i.m = (i.status == kGRunning || i.status == kGSyscall) && m ? m->id : -1;
  i.fn = reinterpret_cast<void*>(peek(g->fn));
  i.is_main = g->is_main;
  i.futex = peek(g->wq_queued) ? peek(g->wq_addr) : nullptr;
  i.timer = peek(g->timer.heap) != nullptr;
  i.timer_when = peek(g->timer.when);
  i.poll_nfds = peek(g->poll_nfds);
  i.poll_fd = peek(g->poll_fd);
  for (size_t k = 0; k < sizeof i.name; k++) i.name[k] = peek(g->name[k]);
  i.name[sizeof i.name - 1] = 0;
  return s->n < kDetailLines;
}

const char* g_status_name(uint32_t s) {
  switch (s) {
    case kGIdle: return "idle";
    case kGRunnable: return "runnable";
    case kGRunning: return "running";
    case kGWaiting: return "waiting";
    case kGSyscall: return "syscall";
    case kGDead: return "dead";
    case kGParking: return "parking";
    case kGParkReadied: return "runnable";
  }
  return "?";
}

// The start function by name when ld.so knows one, else object+offset.
void put_start_function(Line& l, const GInfo& i) {
  if (i.is_main) {
    l.put("main");
    return;
  }
  Dl_info d;
  if (!i.fn || !dladdr(i.fn, &d) || !d.dli_fname) {
    l.hex(reinterpret_cast<uintptr_t>(i.fn));
    return;
  }
  if (d.dli_sname && d.dli_saddr == i.fn) {
    l.put(d.dli_sname);
    return;
  }
  const char* base = strrchr(d.dli_fname, '/');
  l.put(base ? base + 1 : d.dli_fname).put("+");
  l.hex(reinterpret_cast<uintptr_t>(i.fn) - reinterpret_cast<uintptr_t>(d.dli_fbase));
}

// The first kDetailLines Gs; the others are only counted (stats), so that
// the lists' lock is held for a few dozen Gs, never for all of them.
void print_gs(int64_t now) {
  static GSample s;  // the tracer's alone
  s.n = 0;
  for_each_linked_g(sample_g, &s);
  for (int k = 0; k < s.n; k++) {
    const GInfo& i = s.g[k];
    Line l;
    l.put("  G").num(i.id).put(": status=").put(g_status_name(i.status));
    l.put(" m=").num(i.m).put(" fn=");
    put_start_function(l, i);
    if (i.futex) l.put(" futex=").hex(reinterpret_cast<uintptr_t>(i.futex));
    if (i.poll_nfds) {
      l.put(" fd=").num(i.poll_fd);
      if (i.poll_nfds > 1) l.put("+").num(i.poll_nfds - 1);
    }
    if (i.timer) l.put(" timer=").num((i.timer_when - now) / 1000000).put("ms");
    if (i.name[0]) l.put(" name=").put(i.name);
    l.emit();
  }
  int64_t more = stat_threads_alive() - s.n;
  if (s.n == kDetailLines && more > 0) Line().put("  ... ").num(more).put(" more Gs").emit();
}

void* tracer_main(void*) {
  sigset_t all;
  sigfillset(&all);
  sys::call6(SYS_rt_sigprocmask, SIG_SETMASK, long(&all), 0, _NSIG / 8);
  int64_t next = sys::now_ns() + period_ns;
  for (;;) {
    timespec ts = sys::ns_to_timespec(next);
    sys::call6(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, long(&ts), 0);
    int64_t now = sys::now_ns();
    if (now < next) continue;
    print_sched(now);
    if (detail) {
      print_ps();
      print_ms();
      print_gs(now);
    }
    next += period_ns;
    if (next <= now) next = now + period_ns;  // late: skip, do not burst
  }
}

// ---- WEFT_DEBUG ----------------------------------------------------------------

bool parse_int(const char* s, const char* end, int64_t max, int64_t* out) {
  if (s == end) return false;
  int64_t v = 0;
  for (; s < end; s++) {
    if (*s < '0' || *s > '9') return false;
    v = v * 10 + (*s - '0');
    if (v > max) return false;
  }
  *out = v;
  return true;
}

bool key_is(const char* s, const char* end, const char* key) {
  size_t n = strlen(key);
  return size_t(end - s) == n && memcmp(s, key, n) == 0;
}

// One item: "key" or "key=value". False if it is not understood.
bool apply_item(const char* s, const char* end) {
  const char* eq = static_cast<const char*>(memchr(s, '=', size_t(end - s)));
  const char* key_end = eq ? eq : end;
  const char* val = eq ? eq + 1 : end;
  int64_t v = 1;  // "stats" alone means stats=1
  if (key_is(s, key_end, "schedtrace")) {
    if (!parse_int(val, end, kMaxPeriodMs, &v)) return false;
    period_ns = v * 1000000;
  } else if (key_is(s, key_end, "scheddetail")) {
    if (eq && !parse_int(val, end, 1, &v)) return false;
    detail = v;
  } else if (key_is(s, key_end, "stats")) {
    if (eq && !parse_int(val, end, 1, &v)) return false;
    print_stats = v;
  } else {
    return false;
  }
  return true;
}

void warn_bad_item(const char* s, const char* end) {
  char msg[256] = "WEFT_DEBUG: cannot parse '";
  size_t n = strlen(msg);
  for (; s < end && n < 120; s++) msg[n++] = *s;
  const char* tail = "' (expected comma-separated schedtrace=MS, scheddetail=1, stats); ignored";
  memcpy(msg + n, tail, strlen(tail) + 1);
  warn(msg);
}

const char* const kStatNames[kNumStats] = {
    "threads_created", "threads_exited", "threads_peak", "ms_created",    "ms_exited",
    "ms_peak",         "steals",         "handoffs",     "spare_lent",    "preemptions",
    "netpoll_wakeups", "stack_hits",     "stack_misses",
};

__attribute__((destructor)) void print_stats_at_exit() {
  if (!print_stats) return;
  Line l;
  l.put("stats: pid=").num(sys::call6(SYS_getpid));
  for (int i = 0; i < kNumStats; i++) l.put(" ").put(kStatNames[i]).put("=").num(stat_get(Stat(i)));
  l.emit();
}

}  // namespace

void debug_configure(const char* spec) {
  start_ns = sys::now_ns();
  if (!spec) return;
  const char* bad = nullptr;
  const char* bad_end = nullptr;
  for (const char* s = spec; *s;) {
    const char* end = strchr(s, ',');
    if (!end) end = s + strlen(s);
    if (end > s && !apply_item(s, end) && !bad) {
      bad = s;
      bad_end = end;
    }
    s = *end ? end + 1 : end;
  }
  if (bad) warn_bad_item(bad, bad_end);
  stats_on = print_stats || period_ns;
  stats_reset();
}

void start_tracer() {
  if (!period_ns || tracer_started.load(std::memory_order_relaxed) || tracer_started.exchange(true))
    return;
  if (!create_kernel_thread(tracer_main, nullptr, kTracerStack))
    warn("WEFT_DEBUG: cannot start the schedtrace thread");
}

void debug_forget_after_fork() {
  start_ns = sys::now_ns();
  stats_reset();
  tracer_started.store(false, std::memory_order_relaxed);
}

}  // namespace weft
