/* fuzz_rm_rpc.c - a libFuzzer target for rm/'s RPC library: the input's bytes choose the
 * messages rpc_fixture.c generates (a seeded PRNG does in test_rm_rpc's 100 000-message run),
 * so a broken reply invariant, a lost VM_GET_VMID answer or a sanitizer report is a finding. */
#include <stddef.h>
#include <stdint.h>

#include "rpc_fixture.h"

#define MAX_MESSAGES 200U

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
	unsigned messages = size / 4U < MAX_MESSAGES ? (unsigned)(size / 4U) : MAX_MESSAGES;
	fx_reset_captures();
	(void)fx_fuzz_run((fx_source_t){ bytes_below, &bytes }, messages);
	return 0;
}
