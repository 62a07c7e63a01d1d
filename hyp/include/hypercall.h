/* hypercall.h - entry points from the exception handler into hypercall dispatch.
 * The tables and stubs are generated from abi/hypercalls.yaml (hypercall_table.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "trap_frame.h"

/* hvc #imm with imm != 0: always answers (ERROR_UNIMPLEMENTED for unknown numbers). */
void hypercall_native(trap_frame_t *frame, uint32_t imm);

/* An SMCCC function ID in a hypercall range: true if it was one (and was answered). */
bool hypercall_smccc(trap_frame_t *frame, uint32_t function_id);
