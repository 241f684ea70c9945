// preload/start.cpp — bringing the runtime up, or deciding not to.
//
// Start-up runs once, on the main thread: from weft's constructor (linked
// -z initfirst, so before other libraries' constructors), or earlier if a
// pthread_create comes first. Until then, and forever after a fallback,
// interposed functions forward to glibc; the synchronization functions work
// for any caller (core/futex.h), so the program is correct either way.
// If glibc does not look like the 2.36 layout weft was built against,
// weft prints one "weft: <reason>; running threads natively" line and falls
// back; WEFT_STRICT=1 makes that fatal.
#include <atomic>
#include <limits.h>
#include <signal.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/context.h"
#include "core/preempt.h"
#include "core/real.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/stack.h"
#include "core/sys.h"
#include "core/tls.h"
#include "core/trace.h"
#include "core/warn.h"
#include "preload/checks.h"
#include "preload/malloc_conf.h"
#include "shim/identity.h"
#include "shim/thread.h"

bool weft_have_fsgsbase = false;

namespace weft {

namespace {

enum State : int { kNotStarted = 0, kStarting = 1, kActive = 2, kNative = 3 };
std::atomic<int> state{kNotStarted};
SpinLock start_lock;
G main_g;

constexpr size_t kG0StackSize = 256 * 1024;
constexpr unsigned long kHwcap2Fsgsbase = 1ul << 1;

// weft's constructor runs before libc's (initfirst), when getenv does not
// work yet; glibc passes the environment to constructors, so read that.
char** start_env = nullptr;

const char* env(const char* name) {
  if (!start_env) return getenv(name);
  size_t n = strlen(name);
  for (char** e = start_env; *e; e++)
    if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
  return nullptr;
}

int procs_from_env() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) n = 1;
  if (n > kMaxProcs) n = kMaxProcs;
  const char* s = env("WEFT_PROCS");
  if (!s || !*s) return int(n);
  char* end;
  long v = strtol(s, &end, 10);
  if (*end || v < 1 || v > kMaxProcs) {
    warn("WEFT_PROCS must be an integer in 1..256; using the number of online CPUs");
    return int(n);
  }
  return int(v);
}

// WEFT_MAX_THREADS: the cap on weft's kernel threads (Ms), as Go's
// debug.SetMaxThreads: 10,000 unless set, from 4 (M0, and room for Ms that
// block) to kMaxMs.
int max_ms_from_env() {
  const char* s = env("WEFT_MAX_THREADS");
  if (!s || !*s) return kMaxMs;
  char* end;
  long v = strtol(s, &end, 10);
  if (*end || v < 4 || v > kMaxMs) {
    warn("WEFT_MAX_THREADS must be an integer in 4..10000; using 10000");
    return kMaxMs;
  }
  return int(v);
}

// WEFT_PREEMPT_MS: the time slice after which a G that runs without
// blocking is preempted (0: never), 10 ms as Go unless set, up to 1000.
// WEFT_PREEMPT_SIGNAL: the signal weft uses for it, SIGURG (23) unless set;
// one the program does not rely on (its own deliveries are passed on).
void apply_preemption_from_env() {
  long ms = 10, sig = SIGURG;
  char* end;
  if (const char* s = env("WEFT_PREEMPT_MS"); s && *s) {
    long v = strtol(s, &end, 10);
    if (*end || v < 0 || v > 1000)
      warn("WEFT_PREEMPT_MS must be an integer in 0..1000; using 10");
    else
      ms = v;
  }
  if (const char* s = env("WEFT_PREEMPT_SIGNAL"); s && *s) {
    long v = strtol(s, &end, 10);
    if (*end || v < 1 || v > SIGRTMAX || v == SIGKILL || v == SIGSTOP || v == SIGSEGV ||
        v == SIGBUS || v == SIGFPE || v == SIGILL || v == SIGTRAP || (v >= 32 && v < SIGRTMIN))
      warn("WEFT_PREEMPT_SIGNAL must be a catchable signal number; using SIGURG (23)");
    else
      sig = v;
  }
  const char* why = nullptr;
  if (!preempt_init(int(sig), ms * 1000000, &why)) warn(why);
}

// WEFT_STACK_SIZE: the stack size of threads created with default
// attributes, instead of RLIMIT_STACK's (bytes, or with a K/M/G suffix). It
// becomes glibc's default thread attribute, so pthread_getattr_default_np
// and pthread_attr_getstacksize report it. A bad value is said and ignored.
void apply_stack_size_from_env() {
  const char* s = env("WEFT_STACK_SIZE");
  if (!s || !*s) return;
  char* end;
  unsigned long long v = strtoull(s, &end, 10);
  int shift = 0;
  switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
  }
  constexpr unsigned long long kMax = 1ull << 30;
  if (*end || *s == '-' || v == 0 || v > (kMax >> shift) || (v << shift) < (unsigned long long)PTHREAD_STACK_MIN) {
    warn("WEFT_STACK_SIZE must be a size from 16K to 1G (bytes, or with K, M or G); ignored");
    return;
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  bool ok = pthread_attr_setstacksize(&attr, size_t(v << shift)) == 0 &&
            real<int (*)(const pthread_attr_t*)>("pthread_setattr_default_np")(&attr) == 0;
  pthread_attr_destroy(&attr);
  if (!ok) warn("WEFT_STACK_SIZE could not be applied; ignored");
}

// The stack size of a thread created without attributes, as glibc sets it.
size_t default_stack_size() {
  pthread_attr_t attr;
  size_t size = 8 << 20;
  if (pthread_getattr_default_np(&attr) == 0) {
    pthread_attr_getstacksize(&attr, &size);
    pthread_attr_destroy(&attr);
  }
  return size;
}

bool strict() {
  const char* s = env("WEFT_STRICT");
  return s && *s && *s != '0';
}

void fall_back(const char* why) {
  if (strict()) fatal(why);
  char msg[256];
  size_t n = 0;
  for (const char* p = why; *p && n < 200; p++) msg[n++] = *p;
  const char* tail = "; running threads natively";
  for (const char* p = tail; *p; p++) msg[n++] = *p;
  msg[n] = 0;
  warn(msg);
  state.store(kNative, std::memory_order_release);
}

void start() {
  const char* why = nullptr;
  if (sys::gettid() != getpid()) return fall_back("started on a thread other than main");
  if (!check_glibc_layout(&why) || !tls_init(&why)) return fall_back(why);
  apply_stack_size_from_env();
  if (!stacks_init(default_stack_size())) return fall_back("cannot map thread stacks");
  weft_have_fsgsbase = (getauxval(AT_HWCAP2) & kHwcap2Fsgsbase) != 0;
  int nprocs = procs_from_env();

  main_g.tcb = main_tcb;
  main_g.is_main = true;
  prctl(PR_GET_NAME, main_g.name);
  M* m0 = &all_ms[0];
  char* g0_top;
  void* g0_tcb = g0_alloc(&m0->g0, kG0StackSize, &g0_top);
  if (!g0_tcb) return fall_back("cannot allocate the scheduler's stack");
  g_entry_hook = thread_start;
  sched_init(nprocs, max_ms_from_env(), &main_g, g0_tcb, g0_top);
  identity_init(&main_g, &m0->g0);
  apply_preemption_from_env();
  debug_configure(env("WEFT_DEBUG"));
  // From here on the main thread is a G.
  tcb_field<G*>(main_tcb, tcb_off::kCurrentG) = &main_g;
  tcb_field<G*>(main_tcb, tcb_off::kHandleG) = &main_g;
  state.store(kActive, std::memory_order_release);
}

}  // namespace

bool runtime_active() { return state.load(std::memory_order_acquire) == kActive; }

bool ensure_runtime() {
  int s = state.load(std::memory_order_acquire);
  if (s == kActive) return true;
  if (s == kNative) return false;
  SpinLockGuard l(start_lock);
  if (state.load(std::memory_order_acquire) == kNotStarted) {
    state.store(kStarting, std::memory_order_relaxed);
    start();
    if (state.load(std::memory_order_relaxed) == kStarting) state.store(kNative);
  }
  return state.load(std::memory_order_acquire) == kActive;
}

}  // namespace weft

__attribute__((constructor(101))) static void weft_constructor(int, char**, char** envp) {
  weft::configure_malloc(envp);
  weft::start_env = envp;
  weft::ensure_runtime();
  weft::start_env = nullptr;
}
