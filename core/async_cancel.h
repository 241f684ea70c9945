// core/async_cancel.h — asynchronous cancellation of a G (a thread that set
// PTHREAD_CANCEL_ASYNCHRONOUS) that reaches no cancellation point.
//
// NPTL signals the thread (SIGCANCEL) and the handler unwinds it wherever it
// was. A G has no task of its own, and it may be inside weft, whose locks
// and scheduler state an unwind would leave behind, so weft acts only at
// points where the G holds nothing of the runtime's:
// - running the program's code (or any library's but libc's and the
//   loader's), or sitting at a system call instruction in libc (blocked in
//   the kernel, as in the cancellable wrappers weft does not replace, which
//   switch to asynchronous cancellation around the call): the canceller
//   signals the G's M with weft's SIGCANCEL, and the handler makes the G
//   "call" weft_async_cancel (core/async_cancel_entry.S), whose CFI leads
//   the unwinder back into the interrupted frame;
// - resuming from a preemption (it waited in a run queue): the preemption
//   entry checks on its way back (core/preempt.cpp);
// - parked in a weft wait that is not a cancellation point (a mutex or
//   rwlock it cannot get, a spin lock, pthread_once, a raw futex, a yield,
//   a blocking call weft makes in the kernel): pthread_cancel interrupts
//   the wait and the lock path acts (shim/sync_common.h,
//   async_cancel_point) — for mutexes and yields only when the program
//   called them, not weft's allocator, libc or the loader.
// A G interrupted anywhere else (inside weft, the loader, libc away from a
// system call) is left alone; while it has a request it is on a list that
// the monitor walks every millisecond, signalling the M of each listed G
// that runs, until the G acts or can no longer act (cancellation disabled,
// deferred, or the thread exiting: then it leaves the list).
#pragma once
#include <stdint.h>
#include <ucontext.h>

namespace weft {

struct G;

// pthread_cancel, after marking g's request: if g has asynchronous
// cancellation enabled, makes it act as soon as it is at a safe point.
void async_cancel_request(G* g);
// g itself, once it set glibc's EXITING bit: no request can act any more,
// and its memory may go.
void async_cancel_forget(G* g);
// The monitor, at every sample: signals the M of each listed G that runs.
void async_cancel_retry(int64_t now_ns);
// In a fork child: the list names Gs of the parent (and its lock may have
// been held by one of its Ms).
void async_cancel_forget_after_fork();
// The SIGCANCEL handler, for weft's signals that were not meant to end a
// system call (core/syscall_cancel.cpp): diverts the interrupted G into
// its cancellation if it has one due and is at a safe point.
void async_cancel_on_signal(ucontext_t* uc);
// The SIGCANCEL handler, for a signal that ends a G's kernel call window
// (core/syscall_cancel.h) whose call is one of glibc's own cancellation
// points (shim/blocking_call.h, call_libc_cancellable): if glibc switched
// the G to asynchronous cancellation around its wait, as it does, and the
// G sits in libc, diverts it as glibc's own handler would unwind it (a
// cleanup handler then closes the window and the blocking call). False:
// the caller makes the call fail with EINTR instead.
bool async_cancel_in_libc_call(ucontext_t* uc);
// Acts (unwinds with PTHREAD_CANCELED) if self has an asynchronous request
// due; the caller holds nothing of the runtime's.
void async_cancel_point(G* self);

}  // namespace weft
