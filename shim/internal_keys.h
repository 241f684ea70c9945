// shim/internal_keys.h — thread-specific data for weft's own users
// (jemalloc), outside the program's PTHREAD_KEYS_MAX keys.
//
// jemalloc creates a pthread key to learn of a thread's exit and free its
// per-thread state (arena binding, thread cache). Natively a program gets
// all 1024 keys; under weft it must too, so the Makefile redirects
// jemalloc's pthread_key_create and pthread_setspecific to
// weft_internal_key_create and weft_internal_setspecific (objcopy,
// preload/jemalloc.syms). Their values live in libweft's static TLS, which
// is per G as it is per thread, and their destructors run in the same
// rounds as the program's keys: at G exit (run_key_destructors). For a
// kernel thread that is not a G (glibc's helper threads, every thread after
// a native fallback) one real glibc key runs them at its exit: created when
// such a thread first sets a value, so only processes with such threads
// give up one of the program's keys (as with jemalloc natively). The main
// thread needs none: it exits as a G, and nothing runs key destructors at
// exit(); a g0 never exits.
#pragma once
#include <pthread.h>

extern "C" {
int weft_internal_key_create(pthread_key_t* key, void (*destructor)(void*));
int weft_internal_setspecific(pthread_key_t key, const void* value);
}

namespace weft {

// One round: runs the destructors of the calling thread's non-NULL
// internal values (each cleared first). True if a destructor set a value
// again: that asks for another round.
bool run_internal_key_destructors();

}  // namespace weft
