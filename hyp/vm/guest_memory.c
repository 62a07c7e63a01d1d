/* guest_memory.c - reading guest memory safely: the CPU's own AT instruction walks the
 * guest's stage 1 and stage 2, so a bad pointer is an error code, never a hypervisor fault. */
#include <stdint.h>

#include "hyp_config.h"
#include "sysreg.h"
#include "util_string.h"
#include "vm.h"

#define PAR_F (1UL << 0)
#define PAR_PA_MASK 0x0000fffffffff000UL

/* Physical address of guest VA `va` for a read, or 0 if it has none the guest may read. */
static uint64_t
translate_for_read(uint64_t va)
{
	uint64_t saved_par = sysreg_read(par_el1); /* PAR_EL1 is guest state: preserve it */
	__asm__ volatile("at s12e1r, %0" : : "r"(va) : "memory");
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

error_t
guest_copy_from(void *dst, uint64_t src, size_t size)
{
	uint8_t *out = dst;
	if (src + size < src) {
		return ERROR_ADDR_OVERFLOW;
	}
	while (size > 0U) {
		size_t chunk = PAGE_SIZE - (src & (PAGE_SIZE - 1U));
		chunk = chunk < size ? chunk : size;
		uint64_t pa = translate_for_read(src);
		if (pa == 0U || !is_guest_ram(pa, chunk)) {
			return ERROR_ADDR_INVALID;
		}
		memcpy(out, (const void *)(uintptr_t)pa, chunk);
		out += chunk;
		src += chunk;
		size -= chunk;
	}
	return OK;
}
