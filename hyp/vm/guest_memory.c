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

/* The physical address of guest VA `va` for an EL1 read (or write) in *pa; false if the guest
 * has none it may access that way. Needs the calling vCPU's EL1 context and VTTBR loaded,
 * which they are during its hypercall. */
static bool
translate(uint64_t va, bool write, uint64_t *pa)
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
	*pa = (par & PAR_PA_MASK) | (va & (PAGE_SIZE - 1U));
	return (par & PAR_F) == 0U;
}

_Static_assert(PLATFORM_RAM_BASE % PAGE_SIZE == 0U && PLATFORM_RAM_SIZE % PAGE_SIZE == 0U &&
		       HYP_MEM_BASE % PAGE_SIZE == 0U && HYP_MEM_SIZE % PAGE_SIZE == 0U,
	       "RAM and the hypervisor's memory are whole pages");

/* Whether the page holding `pa` is RAM outside the hypervisor's own memory. Both regions are
 * whole pages (above), so a copy that stays within one page is in them or out of them as a
 * whole: only its page needs checking. */
static bool
is_guest_ram_page(uint64_t pa)
{
	return pa - PLATFORM_RAM_BASE < PLATFORM_RAM_SIZE && pa - HYP_MEM_BASE >= HYP_MEM_SIZE;
}

/* Copies `size` bytes between `hyp` and guest VA `guest`, all within one guest page. */
static inline __attribute__((always_inline)) error_t
copy_in_page(uint8_t *hyp, uint64_t guest, size_t size, bool to_guest)
{
	uint64_t pa;
	if (!translate(guest, to_guest, &pa) || !is_guest_ram_page(pa)) {
		return ERROR_ADDR_INVALID;
	}
	if (to_guest) {
		memcpy((void *)(uintptr_t)pa, hyp, size);
	} else {
		memcpy(hyp, (const void *)(uintptr_t)pa, size);
	}
	return OK;
}

/* Copies between hypervisor memory `hyp` and guest VA `guest`, one page at a time: each page
 * is translated on its own, since contiguous virtual pages need not be contiguous below. */
static __attribute__((noinline)) error_t
guest_copy_pages(uint8_t *hyp, uint64_t guest, size_t size, bool to_guest)
{
	if (guest + size < guest) {
		return ERROR_ADDR_OVERFLOW;
	}
	while (size > 0U) {
		size_t chunk = PAGE_SIZE - (guest & (PAGE_SIZE - 1U));
		chunk = chunk < size ? chunk : size;
		error_t err = copy_in_page(hyp, guest, chunk, to_guest);
		if (err != OK) {
			return err;
		}
		hyp += chunk;
		guest += chunk;
		size -= chunk;
	}
	return OK;
}

/* guest_copy_pages, with the common case inline: a copy within one page (every message
 * that does not straddle a page boundary) needs no loop, so its caller keeps fewer values
 * live across the copy. Empty copies take the general path, which translates nothing. */
static inline __attribute__((always_inline)) error_t
guest_copy(uint8_t *hyp, uint64_t guest, size_t size, bool to_guest)
{
	if (size - 1U >= PAGE_SIZE - (guest & (PAGE_SIZE - 1U)) || guest + size < guest) {
		return guest_copy_pages(hyp, guest, size, to_guest);
	}
	return copy_in_page(hyp, guest, size, to_guest);
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
