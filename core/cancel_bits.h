// core/cancel_bits.h — glibc's cancellation state of a thread.
//
// glibc 2.36 keeps a thread's cancellation state and request in one word of
// its struct pthread, `cancelhandling` (nptl/descr.h), which its own
// pthread_setcancelstate/setcanceltype/testcancel and the cancellable
// system-call wrappers read and update through THREAD_SELF: for a G that is
// the G's own TCB, so weft shares the word with glibc instead of keeping a
// copy. A request is marked by setting CANCELING and CANCELED; it acts once
// cancellation is enabled, and at once if the type is asynchronous, unless
// the thread is already exiting.
#pragma once

#include "core/self.h"

namespace weft::cancel_bits {

inline constexpr int kDisabled = 1 << 0;   // CANCELSTATE_BITMASK
inline constexpr int kAsync = 1 << 1;      // CANCELTYPE_BITMASK
inline constexpr int kCanceling = 1 << 2;
inline constexpr int kCanceled = 1 << 3;
inline constexpr int kExiting = 1 << 4;
inline constexpr int kTerminated = 1 << 5;

inline int* word(void* tcb) { return &tcb_field<int>(tcb, tcb_off::kCancelHandling); }
inline int load(void* tcb) { return __atomic_load_n(word(tcb), __ATOMIC_SEQ_CST); }

// glibc's cancel_enabled_and_canceled: a cancellation point acts.
inline bool due(int ch) {
  return (ch & (kDisabled | kCanceled | kExiting | kTerminated)) == kCanceled;
}
// glibc's cancel_enabled_and_canceled_and_async: acts wherever it is safe.
inline bool due_async(int ch) {
  return (ch & (kDisabled | kAsync | kCanceled | kExiting | kTerminated)) == (kAsync | kCanceled);
}

}  // namespace weft::cancel_bits
