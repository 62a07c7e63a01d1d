/* sysreg.h - access to AArch64 system registers and barriers from C.
 * Register names are spelled as in the Arm ARM; the macros add nothing else. */
#pragma once

#include <stdint.h>

#define sysreg_read(name)                                                      \
	({                                                                     \
		uint64_t v_;                                                   \
		__asm__ volatile("mrs %0, " #name : "=r"(v_));                 \
		v_;                                                            \
	})

#define sysreg_write(name, value)                                              \
	__asm__ volatile("msr " #name ", %0" : : "r"((uint64_t)(value)) : "memory")

static inline void
isb(void)
{
	__asm__ volatile("isb" ::: "memory");
}

static inline void
dsb_ish(void)
{
	__asm__ volatile("dsb ish" ::: "memory");
}

static inline void
dsb_sy(void)
{
	__asm__ volatile("dsb sy" ::: "memory");
}

static inline void
wfi(void)
{
	__asm__ volatile("wfi" ::: "memory");
}
