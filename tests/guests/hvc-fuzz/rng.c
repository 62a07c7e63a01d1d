/* rng.c - the fuzzer's deterministic random stream: one seed from the config replays a run
 * call for call. xorshift64* (Vigna), with the seed spread by splitmix64. */
#include "fuzz.h"

static uint64_t state;

void
rng_seed(uint64_t seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15UL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
	z ^= z >> 31;
	state = z != 0U ? z : 0x2545f4914f6cdd1dUL; /* xorshift must not start at 0 */
}

uint64_t
rng_next(void)
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dUL;
}

uint64_t
rng_below(uint64_t bound)
{
	/* The high bits are the best ones; the modulo bias is irrelevant for a fuzzer. */
	return (rng_next() >> 11) % bound;
}

bool
rng_chance(unsigned percent)
{
	return rng_below(100U) < percent;
}
