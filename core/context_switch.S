/* core/context_switch.S — the G switch.
 *
 * weft_switch(void **save_sp, void *next_sp, void *next_tp)
 * Saves the callee-saved registers, MXCSR and the x87 control word on the
 * current stack, stores the stack pointer in *save_sp, loads next_sp, points
 * %fs at next_tp (the next context's TCB) and restores the same set from the
 * next stack. Everything else is caller-saved in the SysV ABI, so this is a
 * complete switch for code that calls it; a signal handler that calls it keeps
 * the interrupted registers in its own frame, which makes it usable there too.
 * %fs is written with wrfsbase when the CPU and kernel allow it
 * (weft_have_fsgsbase), else with arch_prctl(ARCH_SET_FS). The control
 * words are reloaded only when they differ from the current ones (they
 * almost never do, and ldmxcsr/fldcw cost more than the compare).
 */
	.text
	.globl	weft_switch
	.hidden	weft_switch
	.type	weft_switch, @function
weft_switch:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	movq	(%rsp), %r8		/* current control words, bytes 0..5 */
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	cmpb	$0, weft_have_fsgsbase(%rip)
	je	1f
	wrfsbase %rdx
	jmp	2f
1:	movq	%rdx, %rsi		/* arch_prctl(ARCH_SET_FS, next_tp) */
	movl	$0x1002, %edi
	movl	$158, %eax
	syscall
2:	movq	(%rsp), %rcx
	xorq	%r8, %rcx
	shlq	$16, %rcx		/* bytes 6..7 are padding */
	jz	3f
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
3:	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.cfi_endproc
	.size	weft_switch, .-weft_switch

/* First code of a new context (see make_context): calls weft_context_start,
 * which never returns. The undefined return address ends every unwind here. */
	.globl	weft_context_trampoline
	.hidden	weft_context_trampoline
	.type	weft_context_trampoline, @function
weft_context_trampoline:
	.cfi_startproc
	.cfi_undefined rip
	xorl	%ebp, %ebp
	movq	%r12, %rdi
	call	weft_context_start
	ud2
	.cfi_endproc
	.size	weft_context_trampoline, .-weft_context_trampoline

	.section .note.GNU-stack,"",@progbits
