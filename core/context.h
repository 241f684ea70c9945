// core/context.h — saved execution contexts and the switch between them.
//
// A context is just a stack pointer: weft_switch pushes the callee-saved
// registers on the old stack and pops them from the new one (see
// context_switch.S). A fresh context starts in weft_context_start(arg).
#pragma once
#include <stddef.h>
#include <stdint.h>

extern "C" {
void weft_switch(void** save_sp, void* next_sp, void* next_tp);
void weft_context_trampoline();
// Defined by the scheduler: the first C++ frame of every new context.
[[noreturn]] void weft_context_start(void* arg);
extern bool weft_have_fsgsbase;
}

namespace weft {

// Prepares a stack whose top is `top` so that switching to the returned stack
// pointer calls weft_context_start(arg) with 16-byte alignment, inheriting the
// creator's MXCSR and x87 control word (as a cloned kernel thread does).
inline void* make_context(void* top, void* arg) {
  uintptr_t x = (reinterpret_cast<uintptr_t>(top) - 32) & ~uintptr_t{15};
  uint64_t* sp = reinterpret_cast<uint64_t*>(x);
  *--sp = reinterpret_cast<uint64_t>(&weft_context_trampoline);
  *--sp = 0;                                   // rbp
  *--sp = 0;                                   // rbx
  *--sp = reinterpret_cast<uint64_t>(arg);     // r12 -> trampoline's argument
  *--sp = 0;                                   // r13
  *--sp = 0;                                   // r14
  *--sp = 0;                                   // r15
  uint32_t csr;
  uint16_t cw;
  __asm__ volatile("stmxcsr %0; fnstcw %1" : "=m"(csr), "=m"(cw));
  --sp;
  reinterpret_cast<uint32_t*>(sp)[0] = csr;
  reinterpret_cast<uint16_t*>(sp)[2] = cw;
  return sp;
}

}  // namespace weft
