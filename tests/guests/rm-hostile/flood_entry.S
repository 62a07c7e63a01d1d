/* flood_entry.S - where the hostile VM's vCPU 1 starts (PSCI CPU_ON): its own stack, then
 * flood_main, which never returns. */
	.section .text, "ax"
	.global flood_entry
flood_entry:
	adrp	x1, flood_stack_top
	add	x1, x1, :lo12:flood_stack_top
	mov	sp, x1
	bl	flood_main
1:	wfi
	b	1b

	.section .bss
	.balign	16
flood_stack:
	.skip	0x2000
flood_stack_top:
