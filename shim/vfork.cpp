// shim/vfork.cpp — vfork and __vfork.
//
// The child borrows the calling thread: its memory, its stack and its TCB
// (%fs still points at the calling G's), while the kernel holds the parent's
// task until the child execs or exits and the other Ms run on. If the child
// ran weft's runtime as that G (a wrapped write or wait that parks it, a
// mutex it waits for), weft would switch the child's task to other Gs'
// stacks: the parent's threads would run in the child. So the G is hidden
// for the duration: its TCB's G pointer is cleared before the system call,
// every call in the child takes the path of a thread weft does not run
// (plain system calls, kernel futexes), and the parent puts the pointer
// back when the kernel resumes it. The child also starts with the calling
// thread's own signal mask in the kernel (shim/new_image.h), the mask a
// vfork child has natively and that an exec in it keeps.
//
// Written in assembly as glibc's is: the child returns from this very
// frame and may overwrite the stack below the caller's, so the return
// address travels in a register across the system call.
#include <errno.h>
#include <stdint.h>

#include "core/blocking.h"
#include "core/g.h"
#include "core/self.h"
#include "core/sigmask.h"
#include "core/wire.h"

extern "C" {
__attribute__((visibility("hidden"))) void* weft_vfork_enter();
__attribute__((visibility("hidden"))) long weft_vfork_leave(void* g, long ret);
}

__asm__(
    ".text\n"
    ".globl vfork\n"
    ".type vfork,@function\n"
    ".globl __vfork\n"
    ".type __vfork,@function\n"
    ".p2align 4\n"
    "vfork:\n"
    "__vfork:\n"
    "  .cfi_startproc\n"
    "  subq $8, %rsp\n"
    "  .cfi_adjust_cfa_offset 8\n"
    "  call weft_vfork_enter\n"
    "  addq $8, %rsp\n"
    "  .cfi_adjust_cfa_offset -8\n"
    "  movq %rax, %rsi\n"          // the hidden G, kept across the call
    "  popq %rdi\n"                // the return address, likewise
    "  .cfi_adjust_cfa_offset -8\n"
    "  .cfi_register rip, rdi\n"
    "  movl $58, %eax\n"           // SYS_vfork
    "  syscall\n"
    "  pushq %rdi\n"
    "  .cfi_adjust_cfa_offset 8\n"
    "  .cfi_rel_offset rip, 0\n"
    "  testq %rax, %rax\n"
    "  jz 1f\n"                    // the child: 0, still no G
    "  movq %rsi, %rdi\n"
    "  movq %rax, %rsi\n"
    "  subq $8, %rsp\n"
    "  .cfi_adjust_cfa_offset 8\n"
    "  call weft_vfork_leave\n"
    "  addq $8, %rsp\n"
    "  .cfi_adjust_cfa_offset -8\n"
    "1:\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size vfork, .-vfork\n"
    ".size __vfork, .-__vfork\n");

namespace {
// What weft_vfork_enter did, in the low bits of the G pointer it returns.
constexpr uintptr_t kWired = 1;     // wired the G here (unwire after)
constexpr uintptr_t kBlocking = 2;  // entered a blocking system call
}  // namespace

// The parent's kernel thread waits in the kernel until the child execs or
// exits, so this is a blocking system call for weft (its P goes on to
// another M meanwhile), and the G is wired so that the signal mask is put
// back on the kernel thread that the child copied it from.
void* weft_vfork_enter() {
  using namespace weft;
  G* g = current_g();
  if (!g || g->is_g0) {
    sigmask_kernel_for_exec();
    return nullptr;
  }
  uintptr_t flags = 0;
  if (!is_wired()) {
    wire_current();
    flags |= kWired;
  }
  if (enter_blocking_syscall()) flags |= kBlocking;
  sigmask_kernel_for_exec();
  tcb_field<G*>(g->tcb, tcb_off::kCurrentG) = nullptr;
  return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(g) | flags);
}

long weft_vfork_leave(void* tagged, long ret) {
  using namespace weft;
  uintptr_t bits = reinterpret_cast<uintptr_t>(tagged);
  G* g = reinterpret_cast<G*>(bits & ~(kWired | kBlocking));
  if (g) tcb_field<G*>(g->tcb, tcb_off::kCurrentG) = g;
  sigmask_kernel_restore();
  if (bits & kBlocking) exit_blocking_syscall();
  if (bits & kWired) unwire_current();
  if (ret < 0 && ret > -4096) {
    errno = int(-ret);
    return -1;
  }
  return ret;
}
