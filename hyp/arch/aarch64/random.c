/* random.c - secrets for cap-ID obfuscation: the CPU's RNDR when it has FEAT_RNG, else a
 * mix of the counter and a boot-time value (weaker; reported once at boot). */
#include <stdbool.h>
#include <stdint.h>

#include "cspace.h"
#include "sysreg.h"

static bool
have_rndr(void)
{
	return ((sysreg_read(id_aa64isar0_el1) >> 60) & 0xfU) != 0U;
}

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

uint64_t
cspace_random_key(void)
{
	if (have_rndr()) {
		uint64_t value;
		uint64_t ok;
		/* RNDR sets NZCV.Z on failure; retry a few times before falling back. */
		for (int tries = 0; tries < 8; tries++) {
			__asm__ volatile("mrs %0, s3_3_c2_c4_0\n\tcset %1, ne"
					 : "=r"(value), "=r"(ok)::"cc");
			if (ok != 0U) {
				return value;
			}
		}
	}
	static uint64_t counter;
	counter++;
	return mix(sysreg_read(cntpct_el0) ^ (counter * 0x9e3779b97f4a7c15ULL));
}
