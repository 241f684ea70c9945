// preload/malloc.h — what the thread life cycle tells the allocator.
#pragma once

namespace weft {

// Called once per exiting thread (shim/thread_start.cpp).
void note_thread_exit();

}  // namespace weft
