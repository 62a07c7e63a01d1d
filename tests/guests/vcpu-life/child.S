/* child.S - the vcpu-life guest's child VM program, at EL1 with its MMU off (so every access
 * is a Device access: aligned 64-bit mailbox stores only). Position independent: main.c
 * copies it to the start of the child's memory. x25 holds the mailbox, x24 the count. */
#include "bothy_types.h"
#include "child.h"

	.section .rodata.life_child, "a"
	.balign	0x800
	.global	life_child_start
life_child_start:
	adr	x25, life_child_start
	add	x25, x25, #CHILD_MAILBOX_OFFSET
	adr	x1, child_vectors
	msr	vbar_el1, x1
	isb
	mov	x24, #0
	cmp	x0, #CHILD_MODE_ABORT
	b.eq	abort_mode
	cmp	x0, #CHILD_MODE_OFF
	b.eq	power_off
spin:
	add	x24, x24, #1
	str	x24, [x25, #CHILD_MB_COUNT]
	b	spin

/* Each abort's handler stores its registers at x26 and resumes at x27. */
abort_mode:
	add	x26, x25, #CHILD_MB_LOAD_ESR
	adr	x27, 1f
	adr	x1, load
	str	x1, [x25, #CHILD_MB_LOAD_PC]
	adr	x2, life_child_start
	add	x2, x2, #(CHILD_UNMAPPED_OFFSET >> 12), lsl #12
load:	ldr	x3, [x2]
	b	spin			/* not reached: the load must abort */
1:	mov	x1, #1
	str	x1, [x25, #CHILD_MB_STAGE]
	add	x26, x25, #CHILD_MB_FETCH_ESR
	adr	x27, 2f
	adr	x2, life_child_start
	add	x2, x2, #(CHILD_UNMAPPED_FETCH_OFFSET >> 12), lsl #12
	br	x2
2:	mov	x1, #2
	str	x1, [x25, #CHILD_MB_STAGE]
	b	spin

power_off:
	movz	x0, #(PSCI_FUNCTION_CPU_OFF >> 16), lsl #16
	movk	x0, #(PSCI_FUNCTION_CPU_OFF & 0xffff)
	hvc	#0
	b	power_off

.macro unexpected_slot n
	.balign	0x80
	mov	x0, #(\n + 1)
	str	x0, [x25, #CHILD_MB_UNEXPECTED]
	b	.
.endm

	.balign	0x800
child_vectors:
	.irp	n, 0, 1, 2, 3
	unexpected_slot \n
	.endr
	.balign	0x80		/* synchronous, current EL with SP_ELx: the expected aborts */
	mrs	x0, esr_el1
	mrs	x1, far_el1
	stp	x0, x1, [x26]
	mrs	x0, elr_el1
	mrs	x1, spsr_el1
	stp	x0, x1, [x26, #16]
	msr	elr_el1, x27
	eret
	.irp	n, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	unexpected_slot \n
	.endr

	.balign	8
	.global	life_child_end
life_child_end:
