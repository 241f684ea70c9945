// preload/malloc.h — what the thread life cycle tells the allocator.
#pragma once

namespace weft {

// Called once per reaped thread: joined, or exited detached
// (shim/thread_start.cpp), after its stack block was released.
void note_thread_reaped();

}  // namespace weft
