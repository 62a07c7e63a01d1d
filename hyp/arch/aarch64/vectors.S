/* vectors.S - the EL2 exception vector table: save every general register into a
 * trap_frame, call the C handler, restore and eret. Also the eret path into a guest. */
#include "asm_macros.h"
#include "trap_frame.h"

.macro save_frame
	sub	sp, sp, #TRAP_FRAME_SIZE
	save_registers
.endm

/* Saves x2-x30, ELR_EL2 and SPSR_EL2 into the frame at \base (x21, x22 are free once saved). */
.macro save_upper_registers base
	stp	x2, x3, [\base, #16 * 1]
	stp	x4, x5, [\base, #16 * 2]
	stp	x6, x7, [\base, #16 * 3]
	stp	x8, x9, [\base, #16 * 4]
	stp	x10, x11, [\base, #16 * 5]
	stp	x12, x13, [\base, #16 * 6]
	stp	x14, x15, [\base, #16 * 7]
	stp	x16, x17, [\base, #16 * 8]
	stp	x18, x19, [\base, #16 * 9]
	stp	x20, x21, [\base, #16 * 10]
	stp	x22, x23, [\base, #16 * 11]
	stp	x24, x25, [\base, #16 * 12]
	stp	x26, x27, [\base, #16 * 13]
	stp	x28, x29, [\base, #16 * 14]
	mrs	x21, elr_el2
	stp	x30, x21, [\base, #16 * 15]
	mrs	x22, spsr_el2
	str	x22, [\base, #TRAP_FRAME_SPSR]
.endm

.macro save_registers
	stp	x0, x1, [sp, #16 * 0]
	save_upper_registers sp
.endm

/* An exception taken at EL2 is always fatal and may come from an overflowed stack: switch
 * to this CPU's emergency stack (x0/x1 parked in SP_EL0/TPIDR_EL0, which are guest state
 * that no longer matters), record the old SP, and report from there. */
.macro fatal_vector handler
	.balign	0x80
	msr	sp_el0, x0
	msr	tpidr_el0, x1
	mrs	x0, tpidr_el2
	adrp	x1, hyp_emergency_stacks
	add	x1, x1, :lo12:hyp_emergency_stacks
	add	x0, x1, x0, lsl #HYP_EMERGENCY_STACK_SHIFT
	add	x0, x0, #HYP_EMERGENCY_STACK_SIZE
	mov	x1, sp
	sub	sp, x0, #TRAP_FRAME_SIZE
	str	x1, [sp, #TRAP_FRAME_SP]
	mrs	x0, sp_el0
	mrs	x1, tpidr_el0
	b	\handler\()_entry
.endm

.macro fatal_entry handler
\handler\()_entry:
	save_registers
	mov	x0, sp
	bl	\handler
	b	.	/* handlers of fatal exceptions never return */
.endm

/* One 128-byte vector slot: save, call handler(frame), restore. */
.macro vector handler
	.balign	0x80
	save_frame
	mov	x0, sp
	bl	\handler
	b	restore_frame
.endm

/* A slot for exceptions from a guest: its registers go straight into the frame of the vCPU
 * loaded on this CPU (cpu_guest_frame, kept by the scheduler), so a switch to another vCPU
 * copies no registers. x0 and x1 wait on the stack while the frame is found. Then save, call
 * handler(frame); if the handler returns, the same vCPU goes on (a switch erets from C
 * through trap_frame_return). x19 is free to carry the frame across the call: the guest's
 * value is already saved. All of it fits the 32-instruction slot, so no branch out of it. */
.macro guest_vector handler
	.balign	0x80
\handler\()_slot:
	stp	x0, x1, [sp, #-16]!
	mrs	x0, tpidr_el2
	adrp	x1, cpu_guest_frame
	add	x1, x1, :lo12:cpu_guest_frame
	ldr	x0, [x1, x0, lsl #3]
	save_upper_registers x0
	ldp	x2, x3, [sp], #16
	stp	x2, x3, [x0, #16 * 0]
	mov	x19, x0
	bl	\handler
	mov	x0, x19
	b	load_frame_and_eret
	.if	. - \handler\()_slot > 0x80
	.error	"guest_vector overflows its 128-byte slot"
	.endif
.endm

	.section .text.vectors, "ax"
	.balign	0x800
	.global hyp_vectors
hyp_vectors:
	fatal_vector exception_hyp_sp0	/* current EL, SP_EL0: never used by bothy */
	fatal_vector exception_hyp_sp0
	fatal_vector exception_hyp_sp0
	fatal_vector exception_hyp_sp0
	fatal_vector exception_hyp_sync	/* current EL, SP_EL2 */
	vector	exception_hyp_irq	/* only the idle loop unmasks IRQs at EL2 */
	fatal_vector exception_hyp_fiq
	fatal_vector exception_hyp_serror
	guest_vector exception_lower_sync	/* lower EL, AArch64 */
	guest_vector exception_lower_irq
	guest_vector exception_lower_fiq
	guest_vector exception_lower_serror
	vector	exception_lower_aarch32	/* lower EL, AArch32: EL1 never is (AArch32 EL0 uses the above) */
	vector	exception_lower_aarch32
	vector	exception_lower_aarch32
	vector	exception_lower_aarch32

	fatal_entry exception_hyp_sp0
	fatal_entry exception_hyp_sync
	fatal_entry exception_hyp_fiq
	fatal_entry exception_hyp_serror

restore_frame:
	mov	x0, sp
	add	x1, x0, #TRAP_FRAME_SIZE
	mov	sp, x1
	b	load_frame_and_eret

	/* The idle loop starts on a fresh stack: nothing below it is live any more. */
	.global idle_enter
idle_enter:
	mrs	x1, tpidr_el2
	set_cpu_stack x1, x2, x3
	b	sched_idle_loop

	/* Entering a guest from C: the frame may live anywhere (a vCPU's saved context), so
	 * reset SP to the top of this CPU's stack; the next trap starts from a clean stack. */
	.global trap_frame_return
trap_frame_return:
	mrs	x1, tpidr_el2
	set_cpu_stack x1, x2, x3

load_frame_and_eret:
	ldp	x21, x22, [x0, #TRAP_FRAME_ELR]
	msr	elr_el2, x21
	msr	spsr_el2, x22
	ldp	x30, xzr, [x0, #16 * 15]
	ldp	x28, x29, [x0, #16 * 14]
	ldp	x26, x27, [x0, #16 * 13]
	ldp	x24, x25, [x0, #16 * 12]
	ldp	x22, x23, [x0, #16 * 11]
	ldp	x20, x21, [x0, #16 * 10]
	ldp	x18, x19, [x0, #16 * 9]
	ldp	x16, x17, [x0, #16 * 8]
	ldp	x14, x15, [x0, #16 * 7]
	ldp	x12, x13, [x0, #16 * 6]
	ldp	x10, x11, [x0, #16 * 5]
	ldp	x8, x9, [x0, #16 * 4]
	ldp	x6, x7, [x0, #16 * 3]
	ldp	x4, x5, [x0, #16 * 2]
	ldp	x2, x3, [x0, #16 * 1]
	ldp	x0, x1, [x0, #16 * 0]
	eret
