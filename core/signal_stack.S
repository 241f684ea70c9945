/* core/signal_stack.S — weft_call_on_stack(fn, a0, a1, a2, top): calls
 * fn(a0, a1, a2) with the stack pointer at `top` (16-byte aligned down),
 * and returns on the caller's stack. A handler with SA_ONSTACK runs there
 * on its thread's alternate signal stack (core/signal.cpp). The frame
 * pointer chain and the CFI lead back to the caller, so a backtrace or an
 * unwind from the handler crosses it.
 */
	.text
	.globl	weft_call_on_stack
	.hidden	weft_call_on_stack
	.type	weft_call_on_stack, @function
weft_call_on_stack:
	.cfi_startproc
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	movq	%r8, %rsp
	andq	$-16, %rsp
	movq	%rdi, %rax
	movq	%rsi, %rdi
	movq	%rdx, %rsi
	movq	%rcx, %rdx
	call	*%rax
	movq	%rbp, %rsp
	.cfi_def_cfa_register %rsp
	popq	%rbp
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.size	weft_call_on_stack, .-weft_call_on_stack
	.section .note.GNU-stack,"",@progbits
