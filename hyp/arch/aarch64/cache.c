/* cache.c - zeroing RAM through the hypervisor's identity map with the cache maintenance that
 * makes the zeros what any later reader sees, cached or not (donations from protected extents). */
#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "sysreg.h"
#include "util_string.h"

void
cache_zero_to_poc(uint64_t pa, uint64_t size)
{
	/* EL2 runs identity-mapped over all of RAM outside its own memory. */
	void *start = (void *)(uintptr_t)pa;
	(void)memset(start, 0, (size_t)size);
	size_t line = 4U << ((sysreg_read(ctr_el0) >> 16) & 0xfU); /* CTR_EL0.DminLine, words */
	for (uint64_t p = pa & ~(uint64_t)(line - 1U); p < pa + size; p += line) {
		__asm__ volatile("dc civac, %0" ::"r"(p) : "memory");
	}
	dsb_ish();
}
