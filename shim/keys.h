// shim/keys.h — thread-specific data at thread exit.
//
// pthread_key_create/getspecific/setspecific (and C11 tss_*) stay glibc's:
// they keep values in THREAD_SELF's struct pthread, which under weft is the
// running G's own TCB, so values are per G with no help. What glibc does in
// start_thread at exit (__nptl_deallocate_tsd, not exported) is done here.
#pragma once

namespace weft {

// Runs the destructors of the current thread's non-NULL key values, weft's
// internal ones included (up to PTHREAD_DESTRUCTOR_ITERATIONS rounds), and
// frees glibc's second-level key blocks.
void run_key_destructors();

}  // namespace weft
