/* fp_state.S - fills every FP/SIMD register and FPCR with a pattern and counts the registers
 * that no longer hold it: proof that vCPU switches keep each VM's FP/SIMD state its own. */
	.arch	armv8-a+fp+simd
	.text

/* Register n's pattern: low half seed + n, high half ~(seed + n). */
.macro fill n
	add	x2, x0, #\n
	mvn	x3, x2
	fmov	d\n, x2
	mov	v\n\().d[1], x3
.endm

/* Adds 1 to x1 if register n differs from its pattern. */
.macro check n
	add	x2, x0, #\n
	mvn	x3, x2
	fmov	x4, d\n
	mov	x5, v\n\().d[1]
	cmp	x4, x2
	ccmp	x5, x3, #0, eq
	cinc	x1, x1, ne
.endm

/* void fp_state_fill(uint64_t seed): q0-q31 as above; FPCR.RMode (bits 23:22) = seed % 4.
 * First lets EL1 use FP/SIMD at all (CPACR_EL1.FPEN): the guest library leaves it off. */
	.global	fp_state_fill
fp_state_fill:
	mrs	x2, cpacr_el1
	orr	x2, x2, #(3 << 20)
	msr	cpacr_el1, x2
	isb
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	fill	\n
	.endr
	and	x2, x0, #3
	lsl	x2, x2, #22
	msr	fpcr, x2
	ret

/* unsigned fp_state_mismatches(uint64_t seed): how many of q0-q31 and FPCR's rounding mode
 * differ from what fp_state_fill(seed) wrote. */
	.global	fp_state_mismatches
fp_state_mismatches:
	mov	x1, #0
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	check	\n
	.endr
	mrs	x4, fpcr
	ubfx	x4, x4, #22, #2
	and	x2, x0, #3
	cmp	x4, x2
	cinc	x1, x1, ne
	mov	x0, x1
	ret
