/* el0.S - aarch32-test's trip to AArch32 EL0: a T32 program of trapped WFIs (16- and 32-bit,
 * in and out of IT blocks) that counts which instructions after them ran, and the way back. */
	.text

/* The EL1 state a return from EL0 needs: SP, x19-x30, VBAR_EL1. */
	.bss
	.balign	16
el1_saved:
	.skip	8 * 16
	.text

/* void el0_run(el0_result_t *out): runs t32_program in AArch32 User mode (T32, IRQs
 * unmasked, A/F masked) until it calls SVC or takes any exception to EL1 but an IRQ, whose
 * vector (0x80-byte slot index), ESR_EL1, ELR_EL1 and r0-r3 land in *out. An IRQ goes to
 * el0_irq (main.c) and back to EL0. */
	.global	el0_run
el0_run:
	adrp	x9, el1_saved
	add	x9, x9, :lo12:el1_saved
	mov	x10, sp
	stp	x10, x0, [x9, #0]
	stp	x19, x20, [x9, #16]
	stp	x21, x22, [x9, #32]
	stp	x23, x24, [x9, #48]
	stp	x25, x26, [x9, #64]
	stp	x27, x28, [x9, #80]
	stp	x29, x30, [x9, #96]
	mrs	x10, vbar_el1
	str	x10, [x9, #112]
	adr	x10, el0_vectors
	msr	vbar_el1, x10
	adr	x10, t32_program
	msr	elr_el1, x10
	mov	x10, #0x170		/* M = User (0x10), T, F, A; I clear */
	msr	spsr_el1, x10
	isb
	eret

/* Every vector slot: x0 = its index, then back to el0_run's caller. */
.macro el0_slot n
	.balign	0x80
	mov	x8, #\n
	b	el0_back
.endm

	.balign	0x800
el0_vectors:
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12
	el0_slot \n
	.endr
	.balign	0x80			/* 13: IRQ from AArch32 EL0 */
	b	el0_irq_entry
	.irp	n, 14,15
	el0_slot \n
	.endr

/* Saves what AAPCS64 lets el0_irq clobber (EL0's r0-r14 live in x0-x14), and returns to
 * EL0. ELR_EL1 and SPSR_EL1 (ITSTATE included) survive: IRQs stay masked until the eret. */
el0_irq_entry:
	stp	x0, x1, [sp, #-176]!
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x29, [sp, #144]
	str	x30, [sp, #160]
	bl	el0_irq
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x29, [sp, #144]
	ldr	x30, [sp, #160]
	ldp	x0, x1, [sp], #176
	eret

el0_back:
	adrp	x9, el1_saved
	add	x9, x9, :lo12:el1_saved
	ldp	x10, x11, [x9, #0]
	mov	sp, x10
	str	x8, [x11, #0]
	mrs	x10, esr_el1
	mrs	x12, elr_el1
	stp	x10, x12, [x11, #8]
	mov	w0, w0			/* r0-r3: the upper halves are not AArch32 state */
	mov	w1, w1
	mov	w2, w2
	mov	w3, w3
	stp	x0, x1, [x11, #24]
	stp	x2, x3, [x11, #40]
	ldr	x10, [x9, #112]
	msr	vbar_el1, x10
	isb
	ldp	x19, x20, [x9, #16]
	ldp	x21, x22, [x9, #32]
	ldp	x23, x24, [x9, #48]
	ldp	x25, x26, [x9, #64]
	ldp	x27, x28, [x9, #80]
	ldp	x29, x30, [x9, #96]
	ret

/* The EL0 program, in T32, encoded by hand (the AArch64 assembler has no T32): each
 * .hword is one 16-bit instruction or half of a 32-bit one. A WFI traps only with no
 * interrupt pending (QEMU), and completes when the virtual timer fires (el0_irq, taken
 * right after it, arms it again); it must return to the instruction after it, with ITSTATE moved on as if it had executed. r0-r3 count what ran:
 * want 3, 3, 3, 5. */
	.balign	4
t32_program:
	.hword	0x2000		/* movs r0, #0 */
	.hword	0x2100		/* movs r1, #0 */
	.hword	0x2200		/* movs r2, #0 */
	.hword	0x2300		/* movs r3, #0 */
	/* 1. 16-bit WFI: the 16-bit ADD after it must run (a 4-byte step skips it). */
	.hword	0xbf30		/* wfi */
	.hword	0x3001		/* adds r0, #1 */
	.hword	0x3002		/* adds r0, #2 */
	/* 2. 32-bit WFI. */
	.hword	0xf3af, 0x8003	/* wfi.w */
	.hword	0x3101		/* adds r1, #1 */
	.hword	0x3102		/* adds r1, #2 */
	/* 3. 16-bit WFI whose condition holds, the last instruction of an IT block: the block
	 * ends with it, and both ADDs after it run. (Not first of a longer block: QEMU 7.2
	 * reports the ITSTATE of the instruction after a trapped WFI instead of the WFI's own,
	 * so stepping over one in mid-block, done as the architecture says, would end the block
	 * one instruction early. The unit test covers that case, tests/unit/test_trapped_insn.c.) */
	.hword	0x2a00		/* cmp r2, #0 (Z set) */
	.hword	0xbf08		/* it eq */
	.hword	0xbf30		/* wfieq */
	.hword	0x3201		/* adds r2, #1 */
	.hword	0x3202		/* adds r2, #2 */
	/* 4. 16-bit WFI whose condition fails (Z clear): not executed, so it may or may not
	 * trap; either way it has no effect and the next instruction runs. */
	.hword	0x2a00		/* cmp r2, #0 (r2 = 3: Z clear) */
	.hword	0xbf08		/* it eq */
	.hword	0xbf30		/* wfieq */
	.hword	0x3301		/* adds r3, #1 */
	/* 5. 16-bit WFE, first in an ITT block, then the block's second instruction. QEMU 7.2
	 * never traps WFE (it only yields); bothy steps over a trapped one as over a WFI. */
	.hword	0x2b01		/* cmp r3, #1 (Z set) */
	.hword	0xbf04		/* itt eq */
	.hword	0xbf20		/* wfeeq */
	.hword	0x3304		/* addeq r3, #4 */
	.hword	0xdf00		/* svc #0 */
	.balign	4
