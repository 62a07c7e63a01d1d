/* fuzz_cspace.c - a libFuzzer target: the input's bytes choose cap_model.c's operations (the
 * seeded PRNG does in test_cspace), so a model mismatch or a sanitizer report is a finding. */
#include <stddef.h>
#include <stdint.h>

#include "cap_model.h"
#include "fixture.h"
#include "fuzz_input.h"

#define MAX_STEPS 2000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_input_t bytes = { data, size, 0 };
	int steps = size < MAX_STEPS ? (int)size : MAX_STEPS;
	model_run((model_source_t){ fuzz_input_below, &bytes }, steps);
	fx_after_test();
	return 0;
}
