/* core/async_cancel_entry.S — where an asynchronously cancelled G goes
 * (core/async_cancel.h).
 *
 * The SIGCANCEL handler does not unwind from inside the handler, as NPTL
 * does: the M must come out of the handler with its signal mask restored
 * by sigreturn, since it goes on to run other Gs. It makes the interrupted
 * code "call" weft_async_cancel instead and returns; on entry
 *   %rsp          16-byte aligned, below the interrupted red zone;
 *   (%rsp)        the interrupted %rip;
 *   8(%rsp)       the interrupted %rsp.
 * The stub never returns: weft_async_cancel_act unwinds the G with
 * PTHREAD_CANCELED. The CFI describes the interrupted frame for that
 * unwind: its CFA-to-be is the saved %rsp, its %rip the saved one, every
 * other register still holds its interrupted value (the stub changes
 * none), and as a signal frame the unwinder looks the interrupted frame up
 * at the saved %rip itself, not at the byte before (it made no call).
 */
	.text
	.globl	weft_async_cancel
	.hidden	weft_async_cancel
	.type	weft_async_cancel, @function
weft_async_cancel:
	.cfi_startproc
	.cfi_signal_frame
	/* DW_CFA_def_cfa_expression: CFA = *(%rsp + 8) */
	.cfi_escape 0x0f, 0x03, 0x77, 0x08, 0x06
	/* DW_CFA_expression: %rip is saved at %rsp + 0 */
	.cfi_escape 0x10, 0x10, 0x02, 0x77, 0x00
	call	weft_async_cancel_act
	ud2
	.cfi_endproc
	.size	weft_async_cancel, .-weft_async_cancel

	.section .note.GNU-stack,"",@progbits
