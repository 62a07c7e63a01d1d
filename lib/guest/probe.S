/* probe.S - touching an address that may abort: a load or a fetch whose synchronous
 * exception (taken at EL1 through entry.S's vectors) is caught and recorded, not fatal. */
	.section .bss.probe, "aw", %nobits
	.balign	8
	.global	guest_probe_fixup
guest_probe_fixup:		/* where the vector resumes on an abort; 0: none expected */
	.skip	8
	.global	guest_probe_last
guest_probe_last:		/* guest_probe_t: ESR_EL1, FAR_EL1, ELR_EL1, SPSR_EL1 */
	.skip	32

	.text
/* From entry.S's current-EL SPx synchronous vector with x0 = guest_probe_fixup (non-zero):
 * records the exception, disarms (a second one is fatal) and resumes there. Uses x0-x1. */
	.global	guest_probe_caught
guest_probe_caught:
	adrp	x1, guest_probe_last
	add	x1, x1, :lo12:guest_probe_last
	mrs	x0, esr_el1
	str	x0, [x1, #0]
	mrs	x0, far_el1
	str	x0, [x1, #8]
	mrs	x0, elr_el1
	str	x0, [x1, #16]
	mrs	x0, spsr_el1
	str	x0, [x1, #24]
	adrp	x1, guest_probe_fixup
	ldr	x0, [x1, :lo12:guest_probe_fixup]
	str	xzr, [x1, :lo12:guest_probe_fixup]
	msr	elr_el1, x0
	eret

/* bool guest_probe_read(uint64_t address): a 64-bit load; true if it aborted. */
	.global	guest_probe_read
guest_probe_read:
	adrp	x2, guest_probe_fixup
	adr	x3, 1f
	str	x3, [x2, :lo12:guest_probe_fixup]
	ldr	x4, [x0]
	str	xzr, [x2, :lo12:guest_probe_fixup]
	mov	x0, #0
	ret
1:	mov	x0, #1
	ret

/* bool guest_probe_fetch(uint64_t address): a branch there; true if the fetch aborted (an
 * address that holds code must return with ret). */
	.global	guest_probe_fetch
guest_probe_fetch:
	adrp	x2, guest_probe_fixup
	adr	x3, 1f
	str	x3, [x2, :lo12:guest_probe_fixup]
	mov	x5, x30
	blr	x0
	mov	x30, x5
	adrp	x2, guest_probe_fixup
	str	xzr, [x2, :lo12:guest_probe_fixup]
	mov	x0, #0
	ret
1:	mov	x30, x5
	mov	x0, #1
	ret
