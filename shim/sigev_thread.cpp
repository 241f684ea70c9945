// shim/sigev_thread.cpp — see shim/sigev_thread.h.
#include "shim/sigev_thread.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>

namespace weft {
namespace {

// A dispatcher only reads a descriptor and starts threads.
constexpr size_t kDispatcherStack = 64 * 1024;

struct Call {
  void (*fn)(sigval);
  sigval value;
};

void* run_call(void* arg) {
  Call call = *static_cast<Call*>(arg);
  free(arg);
  call.fn(call.value);
  return nullptr;
}

// The settings glibc carries over from sigev_notify_attributes. Read and
// written through the attribute API, so "never set" stays never set where
// it matters (the stack size: WEFT_STACK_SIZE and pthread_setattr_default_np
// apply to a thread whose attribute has none).
int copy_settings(pthread_attr_t* dst, const pthread_attr_t* src, bool with_affinity) {
  int inherit = PTHREAD_INHERIT_SCHED, scope = PTHREAD_SCOPE_SYSTEM, err = 0;
  pthread_attr_getinheritsched(src, &inherit);
  if (inherit == PTHREAD_EXPLICIT_SCHED) {
    int policy = SCHED_OTHER;
    sched_param param{0};
    pthread_attr_getschedpolicy(src, &policy);
    pthread_attr_getschedparam(src, &param);
    err = pthread_attr_setinheritsched(dst, inherit);
    if (!err) err = pthread_attr_setschedpolicy(dst, policy);
    if (!err) err = pthread_attr_setschedparam(dst, &param);
  }
  pthread_attr_getscope(src, &scope);
  if (!err) err = pthread_attr_setscope(dst, scope);
  size_t guard = 0;
  pthread_attr_getguardsize(src, &guard);
  if (!err) err = pthread_attr_setguardsize(dst, guard);
  // getstack gives (top - size, size) with the size as set (0 if never);
  // the top is not NULL only after setstack or setstackaddr (see
  // shim/pthread_create.cpp). Every thread of the notification then runs on
  // that one stack, as natively.
  void* addr = nullptr;
  size_t raw_size = 0, size = 0;
  pthread_attr_getstack(src, &addr, &raw_size);
  char* top = static_cast<char*>(addr) + raw_size;
  pthread_attr_getstacksize(src, &size);  // the default if never set
  if (!err && top) err = pthread_attr_setstack(dst, top - size, size);
  else if (!err && raw_size) err = pthread_attr_setstacksize(dst, raw_size);
  cpu_set_t cpus;
  if (!err && with_affinity && pthread_attr_getaffinity_np(src, sizeof cpus, &cpus) == 0 &&
      CPU_COUNT(&cpus) != CPU_SETSIZE)
    err = pthread_attr_setaffinity_np(dst, sizeof cpus, &cpus);
  return err;
}

}  // namespace

int sigev_attr_init(pthread_attr_t* dst, const pthread_attr_t* src, bool with_affinity,
                    const sigset_t* mask) {
  int err = pthread_attr_init(dst);
  if (err) return err;
  if (src) err = copy_settings(dst, src, with_affinity);
  if (!err) err = pthread_attr_setdetachstate(dst, PTHREAD_CREATE_DETACHED);
  if (!err) err = pthread_attr_setsigmask_np(dst, mask);
  if (err) pthread_attr_destroy(dst);
  return err;
}

int sigev_thread_start(const pthread_attr_t* attr, void (*fn)(sigval), sigval value) {
  Call* call = static_cast<Call*>(malloc(sizeof(Call)));
  if (!call) return EAGAIN;
  *call = Call{fn, value};
  pthread_t thread;
  int err = pthread_create(&thread, attr, run_call, call);
  if (err) free(call);
  return err;
}

int sigev_dispatcher_start(void* (*fn)(void*), void* arg) {
  pthread_attr_t attr;
  sigset_t all;
  sigfillset(&all);
  int err = pthread_attr_init(&attr);
  if (err) return err;
  err = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (!err) err = pthread_attr_setstacksize(&attr, kDispatcherStack);
  if (!err) err = pthread_attr_setsigmask_np(&attr, &all);
  pthread_t thread;
  if (!err) err = pthread_create(&thread, &attr, fn, arg);
  pthread_attr_destroy(&attr);
  return err;
}

}  // namespace weft
