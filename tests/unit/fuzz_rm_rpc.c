/* fuzz_rm_rpc.c - a libFuzzer target for rm/'s RPC library: the input's bytes choose the
 * messages rpc_fixture.c generates (a seeded PRNG does in test_rm_rpc's 100 000-message run),
 * so a broken reply invariant, a lost VM_GET_VMID answer or a sanitizer report is a finding. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_input.h"
#include "rpc_fixture.h"

#define MAX_MESSAGES 200U

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_input_t bytes = { data, size, 0 };
	unsigned messages = size / 4U < MAX_MESSAGES ? (unsigned)(size / 4U) : MAX_MESSAGES;
	fx_reset_captures();
	(void)fx_fuzz_run((fx_source_t){ fuzz_input_below, &bytes }, messages);
	return 0;
}
