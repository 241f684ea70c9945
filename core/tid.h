// core/tid.h — thread ids: what gettid() says a G is, and which G an id
// names.
//
// Model. Under NPTL a thread's id is its kernel task's tid. A G has no task
// of its own (its M's changes whenever it migrates, and the M runs other Gs
// meanwhile), so weft gives each G an id of its own when it is created and
// keeps it in the G's TCB `tid` field, where glibc's own code (lock owners,
// the loader's recursive locks) already reads it. Ids lie in (4194304,
// 0x3fffffff]: above any pid (PID_MAX_LIMIT), so no id ever names a kernel
// task, and inside FUTEX_TID_MASK, as a lock owner must be. They are handed
// out in increasing order and wrap after about 10^9 threads, skipping any id
// still in use, so an id is unique while its thread lives and is not reused
// soon after it exits (the kernel recycles tids sooner). The main thread's
// id is the process id (its TCB says so already, as it does in a fork child
// for the forking G once _Fork has written the child's tid there).
// M0's g0 gets an id too (it has a TCB of weft's making); a lookup never
// answers with a g0.
//
// Invariants. The registry maps an id to its G from creation (tid_assign)
// until the G leaves (tid_retire); tid_retire returns only once no lookup
// holds the G (tid_hold/tid_unhold), so a holder may use the G's memory.
// The registry's lock is a leaf: nothing is called while it is held.
#pragma once

namespace weft {

struct G;

// Gives g a new unique id, stores it in g's TCB and registers it.
int tid_assign(G* g);
// Registers the main thread (its TCB's id is the process id).
void tid_set_main(G* g);
// Unregisters g (run by g itself, leaving) and waits until no lookup holds
// it.
void tid_retire(G* g);
// The live G whose id is tid, held so that it cannot finish leaving until
// tid_unhold(g); nullptr if no G has that id.
G* tid_hold(int tid);
void tid_unhold(G* g);
// In a fork child: only self is left, under its TCB's new id (the child's
// pid), as the main thread.
void tid_after_fork(G* self);

}  // namespace weft
