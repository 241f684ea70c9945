// shim/robust_list.h — the per-thread list of robust mutexes held, kept in
// the glibc/kernel format, and what happens to it when a G exits.
//
// Model: the list lives in the running thread's TCB (tcb_off::kRobustHead,
// struct robust_list_head {list, futex_offset, list_op_pending}, preceded by
// glibc's robust_prev). Entries are &mutex->__data.__list.__next; __prev
// links back (the kernel only follows __next). An empty list points at the
// head itself. Native threads registered this head with set_robust_list, so
// the kernel releases their mutexes when they die; a G's head is never
// registered (the kernel's list is per task), so the runtime calls
// release_robust_mutexes() when a G exits.
//
// A process-shared robust mutex held by a G holds its M's real tid, and the
// M's task has the G's list registered while the G holds one (core/wire.h),
// so the kernel releases it if the whole process dies.
#pragma once
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/self.h"

namespace weft {

// Walks the current thread's robust list and does what the kernel does for
// a dying task: each mutex still owned by self_tid() gets FUTEX_OWNER_DIED
// (tid cleared, FUTEX_WAITERS kept) and one waiter is woken; a pending
// operation is finished the same way. Leaves the list empty. Called by the
// runtime at G exit, on the exiting G.
void release_robust_mutexes();

namespace robust {

// True while the current thread's robust list holds a process-shared mutex.
bool holds_process_shared();

struct Head {
  void* list;
  long futex_offset;
  void* list_op_pending;
};

// glibc's __pthread_list_t: a robust entry points at `next`, so stepping
// back one pointer gives the node.
struct Node {
  void* prev;
  void* next;
};

inline constexpr long kFutexOffset =
    static_cast<long>(offsetof(pthread_mutex_t, __data.__lock)) -
    static_cast<long>(offsetof(pthread_mutex_t, __data.__list.__next));

inline Head* head() {
  Head* h = &tcb_field<Head>(thread_pointer(), tcb_off::kRobustHead);
  // glibc initialises this for every thread it makes; a TCB that was never
  // set up (all zero) gets the empty list here rather than a crash.
  if (h->list == nullptr) {
    h->list = h;
    h->futex_offset = kFutexOffset;
  }
  return h;
}

inline void* entry(pthread_mutex_t* m) { return &m->__data.__list.__next; }
inline Node* node_of(void* e) {
  return reinterpret_cast<Node*>(
      (reinterpret_cast<uintptr_t>(e) & ~uintptr_t{1}) - offsetof(Node, next));
}
// Keeps the compiler from reordering list stores: the kernel may read the
// list at any instant (the thread can die anywhere).
inline void barrier() { __asm__ volatile("" ::: "memory"); }

// Announces the mutex an operation is in flight on, so a death mid-way is
// still handled (set before touching the lock word, cleared after).
inline void set_op_pending(pthread_mutex_t* m) {
  head()->list_op_pending = entry(m);
  barrier();
}
inline void clear_op_pending() {
  barrier();
  head()->list_op_pending = nullptr;
}

// Pushes `m` (just acquired) at the front of the list.
inline void enqueue(pthread_mutex_t* m) {
  Head* h = head();
  void* first = h->list;
  node_of(first)->prev = entry(m);  // the head's "node" prev is robust_prev
  m->__data.__list.__next = static_cast<__pthread_list_t*>(first);
  m->__data.__list.__prev = reinterpret_cast<__pthread_list_t*>(h);
  barrier();
  h->list = entry(m);
}

// Unlinks `m` (about to be released).
inline void dequeue(pthread_mutex_t* m) {
  void* next = m->__data.__list.__next;
  void* prev = m->__data.__list.__prev;
  node_of(next)->prev = prev;
  node_of(prev)->next = next;
  barrier();
  m->__data.__list.__prev = nullptr;
  m->__data.__list.__next = nullptr;
}

}  // namespace robust
}  // namespace weft
