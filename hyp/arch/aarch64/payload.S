/* payload.S - embeds the root VM's flat image and device tree into the hypervisor ELF.
 * The linker script places each at the root VM's physical addresses; QEMU loads them there.
 * The build passes the file names: ROOT_VM_BIN and ROOT_VM_DTB. */
	.section .rm_image, "a"
	.global rm_image_start
rm_image_start:
	.incbin	ROOT_VM_BIN
	.global rm_image_end
rm_image_end:

	.section .rm_dtb, "a"
	.global rm_dtb_start
rm_dtb_start:
	.incbin	ROOT_VM_DTB
	.global rm_dtb_end
rm_dtb_end:
