/* fuzz_cspace.c - a libFuzzer target: the input's bytes choose cap_model.c's operations (the
 * seeded PRNG does in test_cspace), so a model mismatch or a sanitizer report is a finding. */
#include <stddef.h>
#include <stdint.h>

#include "cap_model.h"
#include "fixture.h"

#define MAX_STEPS 2000

typedef struct {
	const uint8_t *data;
	size_t size, pos;
} bytes_t;

/* The next one or two input bytes, modulo n; 0 once the input is used up. */
static uint64_t
bytes_below(void *ctx, uint64_t n)
{
	bytes_t *b = ctx;
	uint64_t value = 0;
	for (uint64_t range = 1; range < n && b->pos < b->size; range <<= 8) {
		value = value << 8 | b->data[b->pos++];
	}
	return value % n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bytes_t bytes = { data, size, 0 };
	int steps = size < MAX_STEPS ? (int)size : MAX_STEPS;
	model_run((model_source_t){ bytes_below, &bytes }, steps);
	fx_after_test();
	return 0;
}
