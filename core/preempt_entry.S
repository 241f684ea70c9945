/* core/preempt_entry.S — where a preempted G goes (core/preempt.cpp).
 *
 * The preemption signal's handler does not switch: it makes the interrupted
 * code "call" weft_async_preempt and returns, so the kernel's sigreturn
 * restores the signal mask and everything else as usual. On entry
 *   (%rsp)        the interrupted %rip;
 *   %rsp + 136    the interrupted %rsp (the 128-byte red zone of the
 *                 interrupted function lies in between, untouched).
 * All general registers, the flags and the extended state (xsave: x87,
 * SSE, AVX, AVX-512, MXCSR; fxsave where there is no xsave) are saved on
 * the G's stack; the x87 stack is emptied (the interrupted code may be in
 * the middle of an x87 computation, and the ABI has calls start with it
 * empty); weft_preempt_yield() runs (it may resume on another M),
 * everything is restored and `ret $128` lands on the interrupted
 * instruction with the interrupted stack pointer.
 */
	.text
	.globl	weft_async_preempt
	.hidden	weft_async_preempt
	.type	weft_async_preempt, @function
weft_async_preempt:
	.cfi_startproc
	/* The interrupted frame did not call: the unwinder (an asynchronous
	 * cancellation acting on resumption, core/async_cancel.h) must look up
	 * its CFI at the saved %rip itself, not at the byte before. */
	.cfi_signal_frame
	.cfi_def_cfa %rsp, 136
	.cfi_offset %rip, -136
	pushfq
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rbp
	.cfi_def_cfa %rbp, 264
	.cfi_offset %rbx, -160
	.cfi_offset %rbp, -200
	.cfi_offset %r12, -240
	.cfi_offset %r13, -248
	.cfi_offset %r14, -256
	.cfi_offset %r15, -264
	andq	$-64, %rsp
	subq	weft_xsave_size(%rip), %rsp
	xorl	%eax, %eax		/* the xsave header must start zeroed */
	movq	%rax, 512(%rsp)
	movq	%rax, 520(%rsp)
	movq	%rax, 528(%rsp)
	movq	%rax, 536(%rsp)
	movq	%rax, 544(%rsp)
	movq	%rax, 552(%rsp)
	movq	%rax, 560(%rsp)
	movq	%rax, 568(%rsp)
	cmpb	$0, weft_have_xsave(%rip)
	je	1f
	movl	weft_xsave_mask(%rip), %eax
	movl	weft_xsave_mask+4(%rip), %edx
	xsave64	(%rsp)
	jmp	2f
1:	fxsave64 (%rsp)
2:	fninit			/* calls (and the Gs this M runs next) expect an empty x87 stack */
	cld
	call	weft_preempt_yield
	cmpb	$0, weft_have_xsave(%rip)
	je	3f
	movl	weft_xsave_mask(%rip), %eax
	movl	weft_xsave_mask+4(%rip), %edx
	xrstor64 (%rsp)
	jmp	4f
3:	fxrstor64 (%rsp)
4:	movq	%rbp, %rsp
	.cfi_def_cfa %rsp, 264
	popq	%r15
	.cfi_adjust_cfa_offset -8
	popq	%r14
	.cfi_adjust_cfa_offset -8
	popq	%r13
	.cfi_adjust_cfa_offset -8
	popq	%r12
	.cfi_adjust_cfa_offset -8
	popq	%r11
	.cfi_adjust_cfa_offset -8
	popq	%r10
	.cfi_adjust_cfa_offset -8
	popq	%r9
	.cfi_adjust_cfa_offset -8
	popq	%r8
	.cfi_adjust_cfa_offset -8
	popq	%rbp
	.cfi_adjust_cfa_offset -8
	popq	%rdi
	.cfi_adjust_cfa_offset -8
	popq	%rsi
	.cfi_adjust_cfa_offset -8
	popq	%rdx
	.cfi_adjust_cfa_offset -8
	popq	%rcx
	.cfi_adjust_cfa_offset -8
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	popq	%rax
	.cfi_adjust_cfa_offset -8
	popfq
	.cfi_adjust_cfa_offset -8
	ret	$128
	.cfi_endproc
	.size	weft_async_preempt, .-weft_async_preempt

	.section .note.GNU-stack,"",@progbits
