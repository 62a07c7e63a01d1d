/* payload.S - embeds the root VM's flat image and device tree into the hypervisor ELF.
 * The linker script places each at the RM's physical addresses; QEMU loads them there. */
	.section .rm_image, "a"
	.global rm_image_start
rm_image_start:
	.incbin	"rm.bin"
	.global rm_image_end
rm_image_end:

	.section .rm_dtb, "a"
	.global rm_dtb_start
rm_dtb_start:
	.incbin	"rm.dtb"
	.global rm_dtb_end
rm_dtb_end:
