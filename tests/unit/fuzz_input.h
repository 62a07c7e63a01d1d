/* fuzz_input.h - what the libFuzzer targets share: the fuzzer's input bytes as the source of
 * their fixtures' choices, in place of the seeded PRNG the unit tests use. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct {
	const uint8_t *data;
	size_t size, pos;
} fuzz_input_t;

/* The next one or two input bytes, modulo n; 0 once the input is used up. The signature of
 * the fixtures' source callbacks; `ctx` is a fuzz_input_t. */
static inline uint64_t
fuzz_input_below(void *ctx, uint64_t n)
{
	fuzz_input_t *b = ctx;
	uint64_t value = 0;
	for (uint64_t range = 1; range < n && b->pos < b->size; range <<= 8) {
		value = value << 8 | b->data[b->pos++];
	}
	return value % n;
}
