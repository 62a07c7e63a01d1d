/* child.S - the program of the bench guest's child VM, at EL1 in its own VM on the root VM's
 * CPU and priority. It is data to the root VM, which copies it to the start of the child's
 * memory, so it is position independent (adr only) and 2 KiB aligned for its vector table.
 *
 * The child runs with its MMU off and no HCR_EL2.DC, so its data accesses are Device
 * accesses: all state is in registers, and memory is touched only by aligned 64-bit
 * loads/stores of the mailbox (child.h) and 32-bit GIC register accesses.
 *
 * Registers: x19-x22 GIC addresses and the SGI1R value, x23 SGIs taken, x24 yields returned
 * from, x25 the mailbox, x26 the SGI count to wait for, x27 spurious IRQs, x28 the wait
 * loop's limit. The hypercall ABI may change x0-x17; the IRQ handler uses x0-x1. */
#include "child.h"
#include "platform_config.h"
#include "bothy_types.h"

#define GICD_CTLR 0x0
#define GICD_CTLR_ARE_GRP1 0x12 /* ARE | EnableGrp1NS */
#define GICR_WAKER 0x14
#define GICR_WAKER_PROCESSOR_SLEEP 2
#define GICR_SGI_FRAME 0x10000
#define GICR_IGROUPR0 0x80
#define GICR_ISENABLER0 0x100
#define SPSR_I 0x80
#define SGI_WAIT_LIMIT 0x1000 /* loop iterations to wait for the SGI before giving up */

/* The yield and mailbox tail of both loops: identical instructions, so they cancel out of
 * the difference between the two measurements. Loops back to \loop unless told to stop. */
.macro yield_and_report loop
	mov	x0, #0
	mov	x1, #0
	mov	x2, #0
	hvc	#CHILD_HVC_SCHEDULER_YIELD
	add	x24, x24, #1
	stp	x24, x23, [x25, #CHILD_MB_YIELDS]
	ldr	x3, [x25, #CHILD_MB_STOP]
	cbz	x3, \loop
	b	child_power_off
.endm

	.section .rodata.bench_child, "a"
	.balign	0x800
	.global	bench_child_start
bench_child_start:
	adr	x25, bench_child_start
	add	x25, x25, #CHILD_MAILBOX_OFFSET
	mov	x23, #0
	mov	x24, #0
	mov	x27, #0
	cmp	x0, #CHILD_MODE_SGI
	b.eq	sgi_mode
	cbz	x0, yield_loop
	mov	x0, #CHILD_FAULT_BAD_MODE
	b	child_unexpected

/* Mode 0: nothing but scheduler_yield. */
yield_loop:
	yield_and_report yield_loop

/* Mode 1: the virtual GIC set up for SGI 0 in Group 1, then per iteration: SGI to itself,
 * take it, EOI it, yield. */
sgi_mode:
	adr	x1, child_vectors
	msr	vbar_el1, x1
	mov	x1, #0xff
	msr	icc_pmr_el1, x1
	mov	x1, #1
	msr	icc_igrpen1_el1, x1
	isb
	movz	x19, #(PLATFORM_GICD_BASE >> 16), lsl #16
	movk	x19, #(PLATFORM_GICD_BASE & 0xffff)
	mov	w1, #GICD_CTLR_ARE_GRP1
	str	w1, [x19, #GICD_CTLR]
	movz	x20, #(PLATFORM_GICR_BASE >> 16), lsl #16	/* redistributor of vCPU 0 */
	movk	x20, #(PLATFORM_GICR_BASE & 0xffff)
	ldr	w1, [x20, #GICR_WAKER]
	bic	w1, w1, #GICR_WAKER_PROCESSOR_SLEEP
	str	w1, [x20, #GICR_WAKER]
	add	x21, x20, #GICR_SGI_FRAME
	mov	w1, #1
	str	w1, [x21, #GICR_IGROUPR0]	/* SGI 0: Group 1 */
	str	w1, [x21, #GICR_ISENABLER0]	/* SGI 0: enabled */
	mov	x22, #1				/* ICC_SGI1R: INTID 0, Aff3-1 0, TargetList {0} */
sgi_loop:
	add	x26, x23, #1
	mov	x28, #SGI_WAIT_LIMIT
	msr	icc_sgi1r_el1, x22		/* traps: the vGIC makes SGI 0 pending */
	isb
	msr	daifclr, #2			/* the IRQ is taken here ... */
1:	cmp	x23, x26			/* ... and the handler returns with IRQs masked */
	b.eq	2f
	subs	x28, x28, #1
	b.ne	1b
	mov	x0, #CHILD_FAULT_SGI_TIMEOUT	/* never came: stop rather than spin for good */
	b	child_unexpected
2:	yield_and_report sgi_loop

/* PSCI CPU_OFF: the root VM sees the vCPU powered off (vcpu_run_check). */
child_power_off:
	movz	x0, #(PSCI_FUNCTION_CPU_OFF >> 16), lsl #16
	movk	x0, #(PSCI_FUNCTION_CPU_OFF & 0xffff)
	hvc	#0
	b	child_power_off

/* x0 = CHILD_MB_FAULT_KIND value: record it with ESR_EL1 and ELR_EL1, then power off. */
child_unexpected:
	mrs	x1, esr_el1
	mrs	x2, elr_el1
	stp	x0, x1, [x25, #CHILD_MB_FAULT_KIND]
	str	x2, [x25, #CHILD_MB_FAULT_ELR]
	b	child_power_off

.macro unexpected_slot index
	.balign	0x80
	mov	x0, #(\index + 1)
	b	child_unexpected
.endm

	.balign	0x800
child_vectors:
	.irp	n, 0, 1, 2, 3, 4
	unexpected_slot \n
	.endr
	/* Slot 5, 0x280: IRQ from the current EL with SP_EL1. */
	.balign	0x80
	mrs	x0, icc_iar1_el1
	and	x1, x0, #0xffffff
	cmp	x1, #1020
	b.hs	child_spurious			/* nothing acknowledged: nothing to EOI */
	msr	icc_eoir1_el1, x0		/* EOImode 0: priority drop and deactivate */
	cbnz	x1, child_other_irq
	add	x23, x23, #1
	mrs	x0, spsr_el1
	orr	x0, x0, #SPSR_I			/* back to the wait loop with IRQs masked */
	msr	spsr_el1, x0
	eret
	.irp	n, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	unexpected_slot \n
	.endr

child_spurious:
	add	x27, x27, #1
	str	x27, [x25, #CHILD_MB_SPURIOUS]
	eret

child_other_irq:
	orr	x0, x1, #CHILD_FAULT_IRQ_INTID
	b	child_unexpected

	.balign	8
	.global	bench_child_end
bench_child_end:	/* vcpu_bench.c checks it is below CHILD_MAILBOX_OFFSET */
