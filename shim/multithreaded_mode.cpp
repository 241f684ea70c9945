// shim/multithreaded_mode.cpp — the process-wide switch glibc makes at its
// first pthread_create, made at weft's first thread creation.
//
// glibc's pthread_create, the first time it runs, installs the SIGSETXID
// handler (late_init), clears libc's hidden __libc_single_threaded_internal
// and the exported __libc_single_threaded (which a PIE may hold a copy of),
// and enables stdio's locks (_IO_enable_locks). libstdc++ reads the exported
// flag to choose plain or atomic reference counts, stdio and libc read the
// hidden ones: a process whose threads are all Gs would keep all of them
// set. Only glibc's own pthread_create reaches the hidden ones; the
// runtime's own kernel threads (the monitor and the M spawner) come from
// it, so starting them before the first G does it all.
#include <atomic>
#include <pthread.h>

#include "core/monitor.h"
#include "core/sigmask.h"
#include "core/trace.h"
#include "core/warn.h"
#include "core/self.h"
#include "core/tls.h"
#include "shim/identity.h"
#include "shim/thread.h"

namespace weft {

namespace {
// The child of a fork has one thread: the one that forked (core/fork.cpp).
void count_one_thread_after_fork() { live_threads.store(1, std::memory_order_relaxed); }
}  // namespace

void enter_multithreaded_mode() {
  static std::atomic<bool> counted{false};
  if (!counted.load(std::memory_order_relaxed) && !counted.exchange(true))
    pthread_atfork(nullptr, nullptr, count_one_thread_after_fork);
  // Once per process (start_monitor): a fork child starts its own again.
  static std::atomic<bool> failed{false};
  // The main thread's own flag, which glibc sets on the creating thread:
  // ld.so's lock-prefix choice (catomic_*) reads it per TCB.
  tcb_field<int>(main_tcb, tcb_off::kMultipleThreads) = 1;
  // Before any other kernel thread exists: they inherit the mask it sets.
  signals_enter_multithreaded();
  if (!start_monitor() && !failed.exchange(true))
    warn("cannot start the monitor thread; a thread blocked in the kernel holds up the others");
  start_tracer();
  ptrace_threads_begin();
}

}  // namespace weft
