/* shim/sigsetjmp_entry.S — __sigsetjmp (sigsetjmp's real name), see
 * shim/siglongjmp.cpp.
 *
 * A setjmp must run in its caller's frame, so this entry only stores the
 * calling G's signal mask in the jmp_buf (weft_sigsetjmp_stash, a plain C
 * call with the arguments kept) and then jumps to glibc's __sigsetjmp with
 * the stack and every callee-saved register as its caller left them.
 */
	.text
	.globl	__sigsetjmp
	.type	__sigsetjmp, @function
__sigsetjmp:
	.cfi_startproc
	pushq	%rdi
	.cfi_adjust_cfa_offset 8
	pushq	%rsi
	.cfi_adjust_cfa_offset 8
	subq	$8, %rsp
	.cfi_adjust_cfa_offset 8
	call	weft_sigsetjmp_stash
	addq	$8, %rsp
	.cfi_adjust_cfa_offset -8
	popq	%rsi
	.cfi_adjust_cfa_offset -8
	popq	%rdi
	.cfi_adjust_cfa_offset -8
	jmp	*%rax
	.cfi_endproc
	.size	__sigsetjmp, .-__sigsetjmp
	.section .note.GNU-stack,"",@progbits
