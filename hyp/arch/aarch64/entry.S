/* entry.S - the first instructions on every physical CPU: stack, vectors, then C.
 * CPU 0 enters at _start from QEMU; secondaries at secondary_entry via PSCI CPU_ON. */
#include "asm_macros.h"

	.section .text.entry, "ax"
	.global _start
_start:
	msr	daifset, #0xf
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	not_at_el2
	/* Clear .bss before any C runs; the stacks live there, so do it before using one. */
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
1:	cmp	x1, x2
	b.hs	2f
	stp	xzr, xzr, [x1], #16
	b	1b
2:	mov	x19, #0
	b	cpu_common

	.global secondary_entry
secondary_entry:
	/* x0 = PSCI context ID = this CPU's index (set by smp_start_secondaries). */
	msr	daifset, #0xf
	mov	x19, x0

cpu_common:
	msr	tpidr_el2, x19
	set_cpu_stack x19, x1, x2
	adrp	x1, hyp_vectors
	add	x1, x1, :lo12:hyp_vectors
	msr	vbar_el2, x1
	isb
	mov	x0, x19
	cbnz	x19, 3f
	bl	boot_cpu_main
3:	bl	secondary_cpu_main

not_at_el2:
	/* Nothing can be printed safely outside EL2; QEMU must be run with virtualization=on. */
	wfe
	b	not_at_el2

	/* Not in .bss (never cleared, mapped per stack): see hyp.ld and mmu.c. */
	.section .stacks, "aw", %nobits
	.balign	4096
	.global hyp_stacks
hyp_stacks:
	.space	HYP_STACK_STRIDE * PLATFORM_CPU_COUNT
	.global hyp_emergency_stacks
hyp_emergency_stacks:
	.space	HYP_EMERGENCY_STACK_SIZE * PLATFORM_CPU_COUNT
