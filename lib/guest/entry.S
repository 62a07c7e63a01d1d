/* entry.S - a guest program's first instructions at EL1: stack, .bss, vectors, then
 * guest_entry. x0 holds the IPA of the boot information the hypervisor wrote (root VM) or of
 * the device tree the RM staged (any other VM). */
	.section .text.entry, "ax"
	.global _start
_start:
	mov	x19, x0
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
1:	cmp	x1, x2
	b.hs	2f
	stp	xzr, xzr, [x1], #16
	b	1b
2:	adrp	x1, __stack_top
	add	x1, x1, :lo12:__stack_top
	mov	sp, x1
	adrp	x1, rm_vectors
	add	x1, x1, :lo12:rm_vectors
	msr	vbar_el1, x1
	isb
	mov	x0, x19
	bl	guest_entry
3:	wfi
	b	3b

/* A guest program takes no exceptions of its own but IRQs once it installs a handler
 * (gic_set_handler) and the aborts it probes for (probe.S); any other is a bug (guest_trap). */
.macro trap_slot kind
	.balign	0x80
	trap_slot_body \kind
.endm

.macro trap_slot_body kind
	mov	x0, #\kind
	mrs	x1, esr_el1
	mrs	x2, far_el1
	mrs	x3, elr_el1
	b	guest_trap
.endm

	.section .text.vectors, "ax"
	.balign	0x800
rm_vectors:
	.rept	4
	trap_slot 0
	.endr
	.balign	0x80		/* synchronous, current EL with SP_ELx: a probe's, or fatal */
	adrp	x0, guest_probe_fixup
	ldr	x0, [x0, :lo12:guest_probe_fixup]
	cbnz	x0, guest_probe_caught
	trap_slot_body 1
	.balign	0x80		/* IRQ, current EL with SP_ELx: the program runs in EL1h */
	b	irq_entry
	trap_slot 3
	trap_slot 4
	.rept	8
	trap_slot 5
	.endr

/* Saves what AAPCS64 lets guest_irq clobber (x0-x18, x29, x30; programs are built without
 * FP/SIMD registers), and returns to the interrupted code. ELR_EL1 and SPSR_EL1 survive:
 * IRQs stay masked until the eret, and any other exception is fatal. */
irq_entry:
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
	bl	guest_irq
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
