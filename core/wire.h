// core/wire.h — wiring a G to its M (Go's LockOSThread).
//
// A wired G runs only on its M, and that M runs nothing else: when the G
// parks, the M gives its P away and sleeps on the G's stack. A G is wired
// for one or more reasons, and stays wired until the last is undone:
// - kWireRobust: while it holds a process-shared robust mutex. The kernel
//   marks such a mutex OWNER_DIED when the owning *task* dies only if the
//   lock word holds that task's tid and the mutex is on the robust list the
//   task registered. So the wired G locks with its M's real tid, and its M's
//   task registers the G's own robust list for the time being.
// - kWireTrace: once it has made a ptrace request (shim/ptrace.cpp), until
//   it exits: the kernel takes requests for a tracee only from the task
//   that traces it. When it exits, its M (unless M0) ends its kernel thread
//   with it (exit_current), so that the kernel detaches its tracees as it
//   does when a tracing thread exits.
// - kWireFork: from a fork() until it has no children left (shim/ptrace.cpp):
//   a child that calls PTRACE_TRACEME is traced by the task that forked it.
// exit_current unwires an exiting G (a robust mutex's wiring is undone
// before, with the mutexes).
#pragma once
#include <stdint.h>

namespace weft {

struct G;

enum WireReason : uint8_t { kWireRobust = 1, kWireTrace = 2, kWireFork = 4 };

// No-ops for callers that are not Gs. Wiring for a reason the G is already
// wired for does nothing; unwiring a reason it is not wired for does
// nothing.
void wire_current(WireReason why = kWireRobust);
void unwire_current(WireReason why = kWireRobust);
bool is_wired();
bool wired_for(WireReason why);
// The tid that owns process-shared robust mutexes for the caller: its M's
// kernel tid when wired, else self_tid().
int wired_tid();

}  // namespace weft
