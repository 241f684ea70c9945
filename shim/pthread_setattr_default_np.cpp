// shim/pthread_setattr_default_np.cpp — the attributes a thread created
// without any gets. glibc keeps them (and pthread_getattr_default_np reads
// them there); weft keeps a copy for pthread_create, refreshed when they
// change. (Changing them while other threads create threads is a race in
// NPTL's contract too.)
#include <pthread.h>

#include "core/export.h"
#include "core/real.h"
#include "shim/thread.h"

namespace weft {
namespace {

pthread_attr_t defaults;
std::atomic<bool> have_defaults{false};

void refresh() {
  pthread_attr_t fresh;
  if (pthread_getattr_default_np(&fresh) != 0) pthread_attr_init(&fresh);
  bool had = have_defaults.exchange(false, std::memory_order_acq_rel);
  if (had) pthread_attr_destroy(&defaults);
  defaults = fresh;
  have_defaults.store(true, std::memory_order_release);
}

}  // namespace

const pthread_attr_t* default_thread_attr() {
  if (!have_defaults.load(std::memory_order_acquire)) refresh();
  return &defaults;
}

}  // namespace weft

WEFT_EXPORT int pthread_setattr_default_np(const pthread_attr_t* attr) {
  int err = weft::real<int (*)(const pthread_attr_t*)>("pthread_setattr_default_np")(attr);
  if (err == 0) weft::refresh();
  return err;
}
