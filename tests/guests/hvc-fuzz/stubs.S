/* stubs.S - hypercall immediates must be literals, so every one the fuzzer uses gets its own
 * `hvc #imm; ret` stub here; fuzz_call_stub picks one at run time with x0..x7 from memory. */
#include "stubs.h"

	.section .text.fuzz_stubs, "ax"
	.balign	8
	.global	fuzz_stubs
fuzz_stubs:
	.set	fuzz_imm, FUZZ_NATIVE_FIRST
	.rept	FUZZ_NATIVE_COUNT
	hvc	#fuzz_imm
	ret
	.set	fuzz_imm, fuzz_imm + 1
	.endr
	.irp	imm, FUZZ_FAR_IMMEDIATES
	hvc	#\imm
	ret
	.endr
	hvc	#0		/* FUZZ_STUB_HVC0: SMCCC through HVC */
	ret
	smc	#0		/* FUZZ_STUB_SMC0: SMCCC through SMC (trapped by HCR_EL2.TSC) */
	ret
fuzz_stubs_end:
	.if	(fuzz_stubs_end - fuzz_stubs) != FUZZ_STUB_COUNT * FUZZ_STUB_BYTES
	.error	"stub table size does not match stubs.h"
	.endif

/* void fuzz_call_stub(uint32_t index, uint64_t regs[8]) */
	.section .text.fuzz_call_stub, "ax"
	.global	fuzz_call_stub
	.type	fuzz_call_stub, %function
fuzz_call_stub:
	stp	x29, x30, [sp, #-32]!
	mov	x29, sp
	str	x1, [sp, #16]
	adrp	x9, fuzz_stubs
	add	x9, x9, :lo12:fuzz_stubs
	add	x9, x9, w0, uxtw #3
	mov	x10, x1
	ldp	x0, x1, [x10]
	ldp	x2, x3, [x10, #16]
	ldp	x4, x5, [x10, #32]
	ldp	x6, x7, [x10, #48]
	blr	x9		/* a hypercall may clobber x8-x17 only */
	ldr	x10, [sp, #16]
	stp	x0, x1, [x10]
	stp	x2, x3, [x10, #16]
	stp	x4, x5, [x10, #32]
	stp	x6, x7, [x10, #48]
	ldp	x29, x30, [sp], #32
	ret
	.size	fuzz_call_stub, . - fuzz_call_stub
