// shim/multithreaded_mode.cpp — the process-wide switch glibc makes at its
// first pthread_create, made at weft's first thread creation.
//
// glibc's pthread_create, the first time it runs, installs the SIGSETXID
// handler (late_init), clears libc's hidden __libc_single_threaded_internal
// and the exported __libc_single_threaded (which a PIE may hold a copy of),
// and enables stdio's locks (_IO_enable_locks). libstdc++ reads the exported
// flag to choose plain or atomic reference counts, stdio and libc read the
// hidden ones: a process whose threads are all Gs would keep all of them
// set, and with WEFT_PROCS=1 no M ever comes from glibc to clear them. Only
// glibc's own pthread_create reaches the hidden ones, so the first G created
// is preceded by one short-lived native thread, which makes glibc do it all.
#include <pthread.h>

#include "core/real.h"
#include "core/self.h"
#include "core/tls.h"
#include "shim/thread.h"

namespace weft {
namespace {

void* returns_at_once(void*) { return nullptr; }

}  // namespace

void enter_multithreaded_mode() {
  // Only one caller can find the flags set: before the first G exists, the
  // main thread is the only G, and any other caller is a thread glibc made,
  // whose creation cleared them already.
  static std::atomic<bool> done{false};
  if (done.load(std::memory_order_relaxed) || done.exchange(true, std::memory_order_relaxed)) return;
  // The main thread's own flag, which glibc sets on the creating thread:
  // ld.so's lock-prefix choice (catomic_*) reads it per TCB.
  tcb_field<int>(main_tcb, tcb_off::kMultipleThreads) = 1;
  if (__libc_single_threaded) {
    using CreateFn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
    static CreateFn real_create = real<CreateFn>("pthread_create");
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    // On failure (no kernel thread to be had) the flags stay set: the
    // program then behaves as if the G were not there, which NPTL would
    // have refused with EAGAIN; weft's own waits are correct either way.
    real_create(&t, &attr, returns_at_once, nullptr);
    pthread_attr_destroy(&attr);
  }
}

}  // namespace weft
