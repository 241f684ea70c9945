// shim/ipc_wait.cpp — System V messages and semaphores, and POSIX message
// queues: their waits are in the kernel (another process may be the other
// end), so a G makes them as blocking system calls. msgrcv, msgsnd and the
// mq_* calls are cancellation points, semop and semtimedop are not (as in
// glibc).
#include <mqueue.h>
#include <sys/msg.h>
#include <sys/sem.h>

#include "core/export.h"
#include "shim/blocking_call.h"

using namespace weft;

WEFT_EXPORT ssize_t msgrcv(int id, void* msg, size_t size, long type, int flags) {
  if (!current_g()) return WEFT_CALL_REAL(msgrcv, id, msg, size, type, flags);
  return blocking::libc_result(blocking::call_cancellable(
      [&] { return sys::call6(SYS_msgrcv, id, (long)msg, (long)size, type, flags); }));
}

WEFT_EXPORT int msgsnd(int id, const void* msg, size_t size, int flags) {
  if (!current_g()) return WEFT_CALL_REAL(msgsnd, id, msg, size, flags);
  return static_cast<int>(blocking::libc_result(blocking::call_cancellable(
      [&] { return sys::call6(SYS_msgsnd, id, (long)msg, (long)size, flags); })));
}

namespace {
int semtimedop_g(int id, struct sembuf* ops, size_t n, const struct timespec* timeout) {
  return static_cast<int>(blocking::libc_result(blocking::call(
      [&] { return sys::call6(SYS_semtimedop, id, (long)ops, (long)n, (long)timeout); })));
}

ssize_t mq_timedreceive_g(mqd_t q, char* msg, size_t len, unsigned* prio,
                          const struct timespec* abs) {
  return blocking::libc_result(blocking::call_cancellable([&] {
    return sys::call6(SYS_mq_timedreceive, q, (long)msg, (long)len, (long)prio, (long)abs);
  }));
}

int mq_timedsend_g(mqd_t q, const char* msg, size_t len, unsigned prio,
                   const struct timespec* abs) {
  return static_cast<int>(blocking::libc_result(blocking::call_cancellable([&] {
    return sys::call6(SYS_mq_timedsend, q, (long)msg, (long)len, prio, (long)abs);
  })));
}
}  // namespace

WEFT_EXPORT int semop(int id, struct sembuf* ops, size_t n) {
  if (!current_g()) return WEFT_CALL_REAL(semop, id, ops, n);
  return semtimedop_g(id, ops, n, nullptr);
}

WEFT_EXPORT int semtimedop(int id, struct sembuf* ops, size_t n, const struct timespec* timeout) {
  if (!current_g()) return WEFT_CALL_REAL(semtimedop, id, ops, n, timeout);
  return semtimedop_g(id, ops, n, timeout);
}

WEFT_EXPORT ssize_t mq_receive(mqd_t q, char* msg, size_t len, unsigned* prio) {
  if (!current_g()) return WEFT_CALL_REAL(mq_receive, q, msg, len, prio);
  return mq_timedreceive_g(q, msg, len, prio, nullptr);
}

WEFT_EXPORT ssize_t mq_timedreceive(mqd_t q, char* msg, size_t len, unsigned* prio,
                                    const struct timespec* abs) {
  if (!current_g()) return WEFT_CALL_REAL(mq_timedreceive, q, msg, len, prio, abs);
  return mq_timedreceive_g(q, msg, len, prio, abs);
}

WEFT_EXPORT int mq_send(mqd_t q, const char* msg, size_t len, unsigned prio) {
  if (!current_g()) return WEFT_CALL_REAL(mq_send, q, msg, len, prio);
  return mq_timedsend_g(q, msg, len, prio, nullptr);
}

WEFT_EXPORT int mq_timedsend(mqd_t q, const char* msg, size_t len, unsigned prio,
                             const struct timespec* abs) {
  if (!current_g()) return WEFT_CALL_REAL(mq_timedsend, q, msg, len, prio, abs);
  return mq_timedsend_g(q, msg, len, prio, abs);
}
