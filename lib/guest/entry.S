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

/* A guest program takes no exceptions of its own; any that arrives is a bug (guest_trap). */
.macro trap_slot kind
	.balign	0x80
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
	trap_slot 1
	trap_slot 2
	trap_slot 3
	trap_slot 4
	.rept	8
	trap_slot 5
	.endr
