/* test_trapped_insn.c - host tests of hyp/arch/aarch64/trapped_insn.c: AArch32 condition
 * checks (COND from the syndrome or ITSTATE), ITSTATE's advance, the step by ESR.IL. */
#include <stdbool.h>
#include <stdint.h>

#include "trapped_insn.h"
#include "unit.h"

#define EC_WFX (0x01UL << 26)
#define EC_DABT_LOWER (0x24UL << 26)
#define CV (1UL << 24)
#define COND(c) ((uint64_t)(c) << 20)
#define N (1UL << 31)
#define Z (1UL << 30)
#define C (1UL << 29)
#define V (1UL << 28)
#define USR_T32 (0x10UL | 0x20UL) /* AArch32 User mode, T32 */
#define EL1H 0x5UL                /* AArch64 EL1h */

/* An AArch32 SPSR with flags and ITSTATE `it` (IT[1:0] at bits 26:25, IT[7:2] at 15:10). */
static uint64_t
spsr32(uint64_t flags, unsigned it)
{
	return USR_T32 | flags | ((uint64_t)(it & 3U) << 25) | ((uint64_t)(it >> 2) << 10);
}

static unsigned
it_of(uint64_t spsr)
{
	return (unsigned)(((spsr >> 10) & 0x3fU) << 2) | (unsigned)((spsr >> 25) & 3U);
}

static bool
holds(unsigned cond, uint64_t flags)
{
	return trapped_insn_condition_holds(EC_WFX | CV | COND(cond), spsr32(flags, 0));
}

/* Every condition against the flags the Arm ARM's ConditionHolds says. */
static void
test_condition_codes(void)
{
	CHECK(holds(0x0, Z) && !holds(0x0, 0));         /* EQ */
	CHECK(holds(0x1, 0) && !holds(0x1, Z));         /* NE */
	CHECK(holds(0x2, C) && !holds(0x2, 0));         /* CS */
	CHECK(holds(0x3, 0) && !holds(0x3, C));         /* CC */
	CHECK(holds(0x4, N) && !holds(0x4, 0));         /* MI */
	CHECK(holds(0x5, 0) && !holds(0x5, N));         /* PL */
	CHECK(holds(0x6, V) && !holds(0x6, 0));         /* VS */
	CHECK(holds(0x7, 0) && !holds(0x7, V));         /* VC */
	CHECK(holds(0x8, C) && !holds(0x8, C | Z));     /* HI */
	CHECK(holds(0x9, C | Z) && !holds(0x9, C));     /* LS */
	CHECK(holds(0xa, N | V) && !holds(0xa, N));     /* GE */
	CHECK(holds(0xb, V) && !holds(0xb, 0));         /* LT */
	CHECK(holds(0xc, 0) && !holds(0xc, Z));         /* GT */
	CHECK(holds(0xd, Z) && !holds(0xd, N | V));     /* LE */
	CHECK(holds(0xe, 0) && holds(0xe, N | Z | C | V)); /* AL */
	CHECK(holds(0xf, 0));                           /* 0b1111: unconditional */
}

/* Without a valid COND (ISS.CV clear, allowed for T32) the condition is ITSTATE's. */
static void
test_condition_from_itstate(void)
{
	uint64_t esr = EC_WFX;                                           /* CV clear */
	CHECK(trapped_insn_condition_holds(esr, spsr32(0, 0)));         /* outside a block */
	CHECK(trapped_insn_condition_holds(esr, spsr32(Z, 0x08)));      /* IT EQ, Z set */
	CHECK(!trapped_insn_condition_holds(esr, spsr32(0, 0x08)));     /* IT EQ, Z clear */
	CHECK(trapped_insn_condition_holds(esr, spsr32(0, 0x18)));      /* NE slot, Z clear */
	CHECK(!trapped_insn_condition_holds(esr, spsr32(Z, 0x18)));     /* NE slot, Z set */
}

/* Classes without a condition, and anything from AArch64, always hold. */
static void
test_unconditional_traps(void)
{
	CHECK(trapped_insn_condition_holds(EC_DABT_LOWER | CV | COND(0), spsr32(0, 0)));
	CHECK(trapped_insn_condition_holds(EC_WFX | CV | COND(0), EL1H));
	CHECK(trapped_insn_condition_holds(EC_WFX | CV | COND(0), EL1H | (0x3fUL << 10)));
}

/* ITE EQ, then ITTET NE: each instruction gets the block's next condition, and the block
 * ends after its last (the Arm ARM's ITAdvance). */
static void
test_it_advance(void)
{
	uint64_t s = spsr32(Z | C, 0x0c); /* ITE EQ: EQ then NE */
	s = trapped_insn_it_advance(s);
	CHECK_EQ(it_of(s), 0x18); /* NE, last */
	CHECK_EQ(s & ~((3UL << 25) | (0x3fUL << 10)), USR_T32 | Z | C); /* nothing else moved */
	s = trapped_insn_it_advance(s);
	CHECK_EQ(it_of(s), 0);

	unsigned ittet_ne = 0x1bU; /* ITTET NE: NE, NE, EQ, NE (firstcond 0001, mask 1011) */
	s = spsr32(0, ittet_ne);
	unsigned conds[4];
	for (unsigned i = 0; i < 4U; i++) {
		CHECK((it_of(s) & 0xfU) != 0U);
		conds[i] = it_of(s) >> 4;
		s = trapped_insn_it_advance(s);
	}
	CHECK_EQ(conds[0], 0x1);
	CHECK_EQ(conds[1], 0x1);
	CHECK_EQ(conds[2], 0x0);
	CHECK_EQ(conds[3], 0x1);
	CHECK_EQ(it_of(s), 0);
	CHECK_EQ(it_of(trapped_insn_it_advance(spsr32(0, 0))), 0); /* outside a block */
}

/* ELR moves by the trapped instruction's length; ITSTATE only from AArch32. */
static void
test_skip(void)
{
	trap_frame_t f = { .elr = 0x1000, .spsr = spsr32(Z, 0x0c) };
	trapped_insn_skip(&f, EC_WFX);          /* IL clear: 16-bit T32 */
	CHECK_EQ(f.elr, 0x1002);
	CHECK_EQ(it_of(f.spsr), 0x18);
	trapped_insn_skip(&f, EC_WFX | ESR_IL); /* 32-bit */
	CHECK_EQ(f.elr, 0x1006);
	CHECK_EQ(it_of(f.spsr), 0);

	trap_frame_t g = { .elr = 0x2000, .spsr = EL1H | (0x3fUL << 10) };
	trapped_insn_skip(&g, EC_WFX | ESR_IL);
	CHECK_EQ(g.elr, 0x2004);
	CHECK_EQ(g.spsr, EL1H | (0x3fUL << 10)); /* AArch64: bits 15:10 are not ITSTATE */
}

int
main(int argc, char **argv)
{
	static const unit_test_t tests[] = {
		UNIT_TEST(test_condition_codes),
		UNIT_TEST(test_condition_from_itstate),
		UNIT_TEST(test_unconditional_traps),
		UNIT_TEST(test_it_advance),
		UNIT_TEST(test_skip),
	};
	return unit_main(argc, argv, tests, UNIT_COUNT(tests), NULL);
}
