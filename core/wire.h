// core/wire.h — wiring a G to its M (Go's LockOSThread).
//
// A wired G runs only on its M, and that M runs nothing else: when the G
// parks, the M gives its P away and sleeps on the G's stack. weft wires a G
// while it holds a process-shared robust mutex: the kernel marks such a
// mutex OWNER_DIED when the owning *task* dies only if the lock word holds
// that task's tid and the mutex is on the robust list the task registered.
// So the wired G locks with its M's real tid, and its M's task registers the
// G's own robust list for the time being.
#pragma once

namespace weft {

struct G;

// No-ops for callers that are not Gs. wire is idempotent; unwire undoes it.
void wire_current();
void unwire_current();
bool is_wired();
// The tid that owns process-shared robust mutexes for the caller: its M's
// kernel tid when wired, else self_tid().
int wired_tid();

}  // namespace weft
