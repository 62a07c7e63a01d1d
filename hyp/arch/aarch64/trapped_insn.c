/* trapped_insn.c - the condition code check of trapped AArch32 instructions and the ITSTATE
 * advance that stepping over one needs (pure functions of ESR and SPSR; host unit-tested). */
#include <stdbool.h>
#include <stdint.h>

#include "trapped_insn.h"

#define ESR_CV (1UL << 24)
#define ESR_COND_SHIFT 20
#define COND_AL 0xeU
#define SPSR_N (1UL << 31)
#define SPSR_Z (1UL << 30)
#define SPSR_C (1UL << 29)
#define SPSR_V (1UL << 28)
#define SPSR_IT_LOW_SHIFT 25 /* ITSTATE[1:0] at SPSR[26:25] */
#define SPSR_IT_HIGH_SHIFT 10 /* ITSTATE[7:2] at SPSR[15:10] */
#define SPSR_IT_MASK ((3UL << SPSR_IT_LOW_SHIFT) | (0x3fUL << SPSR_IT_HIGH_SHIFT))

static unsigned
itstate(uint64_t spsr)
{
	return (unsigned)(((spsr >> SPSR_IT_HIGH_SHIFT) & 0x3fU) << 2) |
	       (unsigned)((spsr >> SPSR_IT_LOW_SHIFT) & 3U);
}

static uint64_t
with_itstate(uint64_t spsr, unsigned it)
{
	return (spsr & ~SPSR_IT_MASK) | ((uint64_t)(it & 3U) << SPSR_IT_LOW_SHIFT) |
	       ((uint64_t)(it >> 2) << SPSR_IT_HIGH_SHIFT);
}

/* The exception classes whose ISS has CV and COND (Arm ARM, ESR_ELx): WFI/WFE, the
 * coprocessor and FP/SIMD accesses 0x03-0x08, MRRC from CP14. Only AArch32 sets a COND
 * other than AL in them. */
static bool
conditional_class(unsigned ec)
{
	return ec == 0x01U || (ec >= 0x03U && ec <= 0x08U) || ec == 0x0cU;
}

/* The Arm ARM's ConditionHolds: cond[3:1] picks the test, cond[0] inverts it (except AL). */
static bool
condition_holds(unsigned cond, uint64_t spsr)
{
	bool n = (spsr & SPSR_N) != 0U, z = (spsr & SPSR_Z) != 0U;
	bool c = (spsr & SPSR_C) != 0U, v = (spsr & SPSR_V) != 0U;
	bool result;
	switch (cond >> 1) {
	case 0: result = z; break;            /* EQ / NE */
	case 1: result = c; break;            /* CS / CC */
	case 2: result = n; break;            /* MI / PL */
	case 3: result = v; break;            /* VS / VC */
	case 4: result = c && !z; break;      /* HI / LS */
	case 5: result = n == v; break;       /* GE / LT */
	case 6: result = n == v && !z; break; /* GT / LE */
	default: return true;                 /* AL, and 0b1111 */
	}
	return (cond & 1U) != 0U ? !result : result;
}

bool
trapped_insn_condition_holds(uint64_t esr, uint64_t spsr)
{
	if ((spsr & SPSR_AARCH32) == 0U || !conditional_class((unsigned)(esr >> 26) & 0x3fU)) {
		return true;
	}
	unsigned cond;
	if ((esr & ESR_CV) != 0U) {
		cond = (unsigned)(esr >> ESR_COND_SHIFT) & 0xfU;
	} else {
		/* T32 may leave COND invalid: outside an IT block (ITSTATE[3:0] zero) the
		 * instruction is unconditional, inside it has ITSTATE[7:4]. */
		unsigned it = itstate(spsr);
		cond = (it & 0xfU) == 0U ? COND_AL : it >> 4;
	}
	return condition_holds(cond, spsr);
}

uint64_t
trapped_insn_it_advance(uint64_t spsr)
{
	unsigned it = itstate(spsr);
	if ((it & 7U) == 0U) {
		it = 0; /* the block's last instruction (or none): the block ends */
	} else {
		it = (it & 0xe0U) | ((it << 1) & 0x1fU); /* ITSTATE[4:0] shifted left */
	}
	return with_itstate(spsr, it);
}
