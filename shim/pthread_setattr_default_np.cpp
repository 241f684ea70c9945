// shim/pthread_setattr_default_np.cpp — the attributes a thread created
// without any gets. glibc keeps them (and pthread_getattr_default_np reads
// them there); weft caches the two it needs on every create.
#include <pthread.h>

#include "core/export.h"
#include "core/real.h"
#include "core/stack.h"
#include "shim/thread.h"

namespace weft {
namespace {

std::atomic<size_t> stack_size{0};
std::atomic<size_t> guard_size{0};

void refresh() {
  pthread_attr_t attr;
  size_t stack = 0, guard = 4096;
  if (pthread_getattr_default_np(&attr) == 0) {
    pthread_attr_getstacksize(&attr, &stack);
    pthread_attr_getguardsize(&attr, &guard);
    pthread_attr_destroy(&attr);
  }
  guard_size.store(guard, std::memory_order_relaxed);
  stack_size.store(stack ? stack : default_stack_size(), std::memory_order_release);
}

}  // namespace

size_t default_thread_stack_size() {
  if (!stack_size.load(std::memory_order_acquire)) refresh();
  return stack_size.load(std::memory_order_relaxed);
}

size_t default_thread_guard_size() {
  if (!stack_size.load(std::memory_order_acquire)) refresh();
  return guard_size.load(std::memory_order_relaxed);
}

}  // namespace weft

WEFT_EXPORT int pthread_setattr_default_np(const pthread_attr_t* attr) {
  int err = weft::real<int (*)(const pthread_attr_t*)>("pthread_setattr_default_np")(attr);
  if (err == 0) weft::refresh();
  return err;
}
