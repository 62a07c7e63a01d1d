/* hypercall_dispatch.c - routes a hypercall number to its generated stub, for both entry
 * paths (native hvc #imm, and SMCCC function IDs). Unassigned numbers get ERROR_UNIMPLEMENTED. */
#include <stdbool.h>
#include <stdint.h>

#include "hypercall.h"
#include "hypercall_handlers.h"

void
hypercall_native(trap_frame_t *frame, uint32_t imm)
{
	for (unsigned i = 0; i < HYPERCALL_RANGE_COUNT; i++) {
		const hypercall_range_t *r = &hypercall_ranges[i];
		uint32_t n = imm - r->native_base;
		if (n < r->count && r->table[n] != NULL) {
			r->table[n](frame->x, frame->x, true);
			return;
		}
	}
	frame->x[0] = (uint64_t)(int64_t)ERROR_UNIMPLEMENTED;
}

bool
hypercall_smccc(trap_frame_t *frame, uint32_t function_id)
{
	for (unsigned i = 0; i < HYPERCALL_RANGE_COUNT; i++) {
		const hypercall_range_t *r = &hypercall_ranges[i];
		uint32_t n = function_id - r->smccc_base;
		if (n < r->count) {
			if (r->table[n] != NULL) {
				/* SMCCC shifts inputs by one: x1.. hold the call's x0.. */
				r->table[n](&frame->x[1], frame->x, false);
			} else {
				frame->x[0] = (uint64_t)(int64_t)ERROR_UNIMPLEMENTED;
			}
			return true;
		}
	}
	return false;
}
