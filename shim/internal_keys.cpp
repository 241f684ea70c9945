// shim/internal_keys.cpp — see shim/internal_keys.h.
#include "shim/internal_keys.h"

#include <atomic>
#include <errno.h>
#include <limits.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/self.h"
#include "core/spinlock.h"
#include "core/sys.h"

namespace weft {
namespace {

constexpr unsigned kInternalKeys = 2;  // jemalloc uses one

void (*destructors[kInternalKeys])(void*);
std::atomic<unsigned> nkeys{0};

// Initial-exec: libweft is loaded at start-up, so this is static TLS, in
// every G's block as in every thread's.
__thread __attribute__((tls_model("initial-exec"))) void* values[kInternalKeys];

// The real key of threads that are not Gs (see the header).
SpinLock native_key_lock;
std::atomic<bool> have_native_key{false};
pthread_key_t native_key;

// A destructor that sets a value again arms the hook again (setspecific
// below), for another of glibc's rounds.
void native_exit(void*) { run_internal_key_destructors(); }

bool main_thread() { return sys::call6(SYS_gettid) == sys::call6(SYS_getpid); }

// Arms the exit hook of a thread that is not a G: it runs the destructors
// when glibc runs the thread's key destructors.
int arm_native_exit() {
  if (!have_native_key.load(std::memory_order_acquire)) {
    SpinLockGuard l(native_key_lock);
    if (!have_native_key.load(std::memory_order_relaxed)) {
      if (int err = pthread_key_create(&native_key, native_exit)) return err;
      have_native_key.store(true, std::memory_order_release);
    }
  }
  return pthread_setspecific(native_key, &native_key);
}

}  // namespace

bool run_internal_key_destructors() {
  unsigned n = nkeys.load(std::memory_order_acquire);
  for (unsigned i = 0; i < n && i < kInternalKeys; i++) {
    void* v = values[i];
    if (!v) continue;
    values[i] = nullptr;
    if (destructors[i]) destructors[i](v);
  }
  for (unsigned i = 0; i < n && i < kInternalKeys; i++)
    if (values[i]) return true;
  return false;
}

}  // namespace weft

using namespace weft;

int weft_internal_key_create(pthread_key_t* key, void (*destructor)(void*)) {
  unsigned i = nkeys.load(std::memory_order_relaxed);
  do {
    if (i >= kInternalKeys) return EAGAIN;
  } while (!nkeys.compare_exchange_weak(i, i + 1, std::memory_order_acq_rel));
  destructors[i] = destructor;
  *key = i;
  return 0;
}

int weft_internal_setspecific(pthread_key_t key, const void* value) {
  if (key >= nkeys.load(std::memory_order_acquire)) return EINVAL;
  bool first = !values[key];
  values[key] = const_cast<void*>(value);
  if (value && first && !current_g() && !main_thread()) return arm_native_exit();
  return 0;
}
