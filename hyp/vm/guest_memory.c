/* guest_memory.c - reading and writing guest memory safely: the CPU's own AT instruction walks
 * the guest's stage 1 and stage 2, so a bad pointer is an error code, never a hypervisor fault. */
#include <stdbool.h>
#include <stdint.h>

#include "hyp_config.h"
#include "sysreg.h"
#include "util_string.h"
#include "vm.h"

#define PAR_F (1UL << 0)
#define PAR_PA_MASK 0x0000fffffffff000UL

/* Physical address of guest VA `va` for an EL1 read (or write), or 0 if the guest has none
 * it may access that way. Needs the calling vCPU's EL1 context and VTTBR loaded, which they
 * are during its hypercall. */
static uint64_t
translate(uint64_t va, bool write)
{
	uint64_t saved_par = sysreg_read(par_el1); /* PAR_EL1 is guest state: preserve it */
	if (write) {
		__asm__ volatile("at s12e1w, %0" : : "r"(va) : "memory");
	} else {
		__asm__ volatile("at s12e1r, %0" : : "r"(va) : "memory");
	}
	isb();
	uint64_t par = sysreg_read(par_el1);
	sysreg_write(par_el1, saved_par);
	if ((par & PAR_F) != 0U) {
		return 0;
	}
	return (par & PAR_PA_MASK) | (va & (PAGE_SIZE - 1U));
}

static bool
is_guest_ram(uint64_t pa, uint64_t len)
{
	uint64_t ram_end = PLATFORM_RAM_BASE + PLATFORM_RAM_SIZE;
	uint64_t hyp_end = HYP_MEM_BASE + HYP_MEM_SIZE;
	bool in_ram = pa >= PLATFORM_RAM_BASE && pa + len <= ram_end;
	bool in_hyp = pa < hyp_end && pa + len > HYP_MEM_BASE;
	return in_ram && !in_hyp;
}

/* Copies between hypervisor memory `hyp` and guest VA `guest`, one page at a time: each page
 * is translated on its own, since contiguous virtual pages need not be contiguous below. */
static error_t
guest_copy(uint8_t *hyp, uint64_t guest, size_t size, bool to_guest)
{
	if (guest + size < guest) {
		return ERROR_ADDR_OVERFLOW;
	}
	while (size > 0U) {
		size_t chunk = PAGE_SIZE - (guest & (PAGE_SIZE - 1U));
		chunk = chunk < size ? chunk : size;
		uint64_t pa = translate(guest, to_guest);
		if (pa == 0U || !is_guest_ram(pa, chunk)) {
			return ERROR_ADDR_INVALID;
		}
		if (to_guest) {
			memcpy((void *)(uintptr_t)pa, hyp, chunk);
		} else {
			memcpy(hyp, (const void *)(uintptr_t)pa, chunk);
		}
		hyp += chunk;
		guest += chunk;
		size -= chunk;
	}
	return OK;
}

error_t
guest_copy_from(void *dst, uint64_t src, size_t size)
{
	return guest_copy(dst, src, size, false);
}

error_t
guest_copy_to(uint64_t dst, const void *src, size_t size)
{
	/* guest_copy only reads from `hyp` when copying to the guest. */
	return guest_copy((uint8_t *)(uintptr_t)src, dst, size, true);
}
