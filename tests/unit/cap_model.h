/* cap_model.h - a plain model of caps, rights and derivation, checked step by step against
 * hyp/objects/cspace.c; driven by a seeded PRNG (test_cspace) or fuzzer input (fuzz_cspace). */
#pragma once

#include <stdint.h>

/* Where the model's choices come from: below(ctx, n) is a value in [0, n), n > 0. */
typedef struct model_source {
	uint64_t (*below)(void *ctx, uint64_t n);
	void *ctx;
} model_source_t;

/* Builds a child partition with a few cspaces and objects, runs up to `steps` random cap
 * operations (checking each result, and every cap, against the model), then destroys it all
 * and checks that every byte came back. */
void model_run(model_source_t source, int steps);

/* How often each error code (by value mod 64) was the expected outcome, over all runs. */
const unsigned *model_outcomes(void);
