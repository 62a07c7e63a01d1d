/* secondary.S - psci-test's secondary vCPU: what a vCPU that PSCI CPU_ON just started finds in
 * x0, TPIDR_EL1, CPACR_EL1 and d0, recorded in psci_seen, then dirtied and switched off again. */
	.arch	armv8-a+fp+simd
	.text
#include "psci_test.h"

/* Entered at EL1 with the MMU off, x0 = CPU_ON's context_id, everything else reset. Records
 * x0, TPIDR_EL1, CPACR_EL1 and (with FP/SIMD enabled) d0 in psci_seen, then bumps
 * psci_seen.entries last, so that vCPU 0, which waits for it, reads a complete record. Then
 * leaves values a reset must clear in all four and calls PSCI CPU_OFF, which never returns. */
	.global	psci_secondary_entry
psci_secondary_entry:
	adrp	x9, psci_seen
	add	x9, x9, :lo12:psci_seen
	mrs	x1, tpidr_el1
	mrs	x2, cpacr_el1
	stp	x0, x1, [x9, #8]
	str	x2, [x9, #24]
	orr	x3, x2, #(3 << 20)		/* CPACR_EL1.FPEN: FP/SIMD on at EL1 */
	msr	cpacr_el1, x3
	isb
	fmov	x4, d0
	str	x4, [x9, #32]
	dmb	sy
	ldr	x5, [x9]
	add	x5, x5, #1
	str	x5, [x9]
	dmb	sy
	/* Dirty: a vCPU started next must find none of this. */
	mvn	x6, x0
	msr	tpidr_el1, x6
	fmov	d0, x6
	isb
	ldr	x0, =PSCI_CPU_OFF_ID
	hvc	#0
1:	wfi					/* CPU_OFF returned: vCPU 0 sees no new entry */
	b	1b
