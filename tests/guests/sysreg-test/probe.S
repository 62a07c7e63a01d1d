/* probe.S - sysreg-test's register probes: an MRS or MSR of one register with a vector table
 * that turns a synchronous exception at EL1 into a recorded ESR_EL1 and a step past it. */
	.text

/* Sync from the current EL (SP_ELx): ESR_EL1 stored at x10 (the probe's result slot),
 * ELR_EL1 past the 4-byte instruction; clobbers x9, which the probes leave free. Any other
 * exception fails the program. */
	.balign	0x800
probe_vectors:
	.rept	4
	.balign	0x80
	b	probe_unexpected
	.endr
	.balign	0x80
	mrs	x9, esr_el1
	str	x9, [x10]
	mrs	x9, elr_el1
	add	x9, x9, #4
	msr	elr_el1, x9
	eret
	.rept	11
	.balign	0x80
	b	probe_unexpected
	.endr
probe_unexpected:
	mov	x0, #1
	mrs	x1, esr_el1
	mrs	x2, far_el1
	mrs	x3, elr_el1
	b	guest_trap

/* uint64_t probe_read_<name>(uint64_t *esr): the register's value (0 if the read took an
 * exception) and in *esr the exception's ESR_EL1, or 0 if there was none.
 * uint64_t probe_write_<name>(uint64_t value): ESR_EL1 of the write's exception, or 0. */
.macro probe name, reg
	.global	probe_read_\name
probe_read_\name:
	mov	x10, x0
	str	xzr, [x10]
	mrs	x11, vbar_el1
	adr	x12, probe_vectors
	msr	vbar_el1, x12
	isb
	mov	x0, #0
	mrs	x0, \reg
	msr	vbar_el1, x11
	isb
	ret
	.global	probe_write_\name
probe_write_\name:
	sub	sp, sp, #16
	mov	x10, sp
	str	xzr, [x10]
	mrs	x11, vbar_el1
	adr	x12, probe_vectors
	msr	vbar_el1, x12
	isb
	msr	\reg, x0
	isb
	msr	vbar_el1, x11
	isb
	ldr	x0, [sp], #16
	ret
.endm

	probe	tpidr2, S3_3_C13_C0_5		/* TPIDR2_EL0 (SME) */
	probe	lorc, S3_0_C10_C4_3		/* LORC_EL1 (LOR) */
	probe	lorid, S3_0_C10_C4_7		/* LORID_EL1 */
	probe	disr, S3_0_C12_C1_1		/* DISR_EL1 (RAS) */
	probe	errselr, S3_0_C5_C3_1		/* ERRSELR_EL1 (RAS) */
	probe	amcr, S3_3_C13_C2_0		/* AMCR_EL0 (AMU) */
	probe	pmscr, S3_0_C9_C9_0		/* PMSCR_EL1 (SPE) */
